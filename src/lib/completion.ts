import type { Command } from "commander";

// The only user of @bomb.sh/tab: shell completion for bash, zsh and fish. The script it prints calls back
// `jig complete -- <words>`, which answers from a description of the commander program itself, so a
// command or flag added to cli.ts completes with no second list to keep. Loaded only when completing.

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

async function describeProgram(program: Command, values?: DynamicValues): Promise<TabRoot> {
  // A computed specifier: the library is resolved at run time, only by the completion commands.
  const specifier = "@bomb.sh/tab";
  const { RootCommand } = (await import(specifier)) as { RootCommand: new () => TabRoot };
  const root = new RootCommand();
  const help = program.createHelp();
  const suggest =
    (fn: Suggest | undefined, choices: readonly string[] | undefined): Handler | undefined =>
    (complete) => {
      try {
        for (const choice of choices ?? []) complete(choice, "");
        for (const item of fn?.() ?? []) complete(item.value, item.description ?? "");
      } catch {
        // Completion never prints an error into the user's command line.
      }
    };
  const walk = (command: Command, path: string) => {
    const target = path === "" ? root : root.command(path, command.description());
    for (const option of help.visibleOptions(command)) {
      const long = option.long?.slice(2);
      if (!long) continue;
      const short = option.short?.slice(1);
      if (option.required || option.optional)
        target.option(long, option.description, suggest(values?.options[long], option.argChoices), short);
      else if (short) target.option(long, option.description, short);
      else target.option(long, option.description);
    }
    for (const argument of command.registeredArguments)
      target.argument(
        argument.name(),
        suggest(values?.arguments[argument.name()], argument.argChoices),
        argument.variadic,
      );
    for (const sub of help.visibleCommands(command))
      if (sub.name() !== "help") walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, "");
  return root;
}

/** Prints the completion script for `shell` (bash, zsh, fish) on stdout. */
export async function printCompletionScript(program: Command, shell: string): Promise<void> {
  (await describeProgram(program)).setup(program.name(), program.name(), shell);
}

/** Prints the completions of the command line `words` (the last one being completed), as the script expects. */
export async function printCompletions(
  program: Command,
  words: string[],
  values: DynamicValues,
): Promise<void> {
  (await describeProgram(program, values)).parse(words);
}
