// The only user of @bomb.sh/tab: shell completion for bash, zsh and fish. The script it prints calls back
// `jig complete -- <words>`, which answers from a description of the CLI's commands (cli/completion.ts
// reads it off the commander program, so nothing is listed twice). Loaded only when completing.

/** Values for a positional argument or an option's value, looked up when the user presses Tab. */
export type Suggest = () => Array<{ value: string; description?: string }>;

export interface DynamicValues {
  /** By argument name, e.g. `epic` in `status <epic>`, for every command that has one. */
  arguments: Record<string, Suggest>;
  /** By long option name without dashes, e.g. `epic` in `--epic <epic>`. */
  options: Record<string, Suggest>;
}

// The part of @bomb.sh/tab's RootCommand used here.
type Complete = (value: string, description: string) => void;
type Handler = (complete: Complete) => void;
interface TabCommand {
  option(name: string, description: string, handlerOrAlias?: Handler | string, alias?: string): TabCommand;
  argument(name: string, handler?: Handler, variadic?: boolean): TabCommand;
}
interface TabRoot extends TabCommand {
  command(path: string, description: string): TabCommand;
  parse(words: string[]): void;
  setup(name: string, executable: string, shell: string): void;
}

/** One command as completion sees it: `path` is "" for the program itself, else e.g. "issues list". */
export interface CompletionCommand {
  path: string;
  description: string;
  options: Array<{
    long: string;
    short?: string;
    description: string;
    takesValue: boolean;
    choices?: readonly string[];
  }>;
  arguments: Array<{ name: string; variadic: boolean; choices?: readonly string[] }>;
}

async function load(commands: CompletionCommand[], values?: DynamicValues): Promise<TabRoot> {
  // A computed specifier: the library is resolved at run time, only by the completion commands.
  const specifier = "@bomb.sh/tab";
  const { RootCommand } = (await import(specifier)) as { RootCommand: new () => TabRoot };
  const root = new RootCommand();
  const suggest =
    (fn: Suggest | undefined, choices: readonly string[] | undefined): Handler =>
    (complete) => {
      try {
        for (const choice of choices ?? []) complete(choice, "");
        for (const item of fn?.() ?? []) complete(item.value, item.description ?? "");
      } catch {
        // Completion never prints an error into the user's command line.
      }
    };
  for (const command of commands) {
    const target = command.path === "" ? root : root.command(command.path, command.description);
    for (const option of command.options) {
      if (option.takesValue)
        target.option(
          option.long,
          option.description,
          suggest(values?.options[option.long], option.choices),
          option.short,
        );
      else if (option.short) target.option(option.long, option.description, option.short);
      else target.option(option.long, option.description);
    }
    for (const argument of command.arguments)
      target.argument(
        argument.name,
        suggest(values?.arguments[argument.name], argument.choices),
        argument.variadic,
      );
  }
  return root;
}

/** Prints the completion script for `shell` (bash, zsh, fish) on stdout; it calls `<name> complete -- …`. */
export async function printCompletionScript(name: string, shell: string): Promise<void> {
  (await load([])).setup(name, name, shell);
}

/** Prints the completions of the command line `words` (the last one being completed), as the script expects. */
export async function printCompletions(
  commands: CompletionCommand[],
  words: string[],
  values: DynamicValues,
): Promise<void> {
  (await load(commands, values)).parse(words);
}
