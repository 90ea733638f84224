// The sample project and epic `jig demo` runs: a tiny JS library whose epic splits into four subtasks,
// two of which touch the same line of src/index.js (so one lands, the other conflicts and resolves).

const INDEX_RESOLVED =
  "export {};\nexport { add } from './add.js';\nexport { multiply } from './multiply.js';\n";

function script(steps: unknown[], resolve?: Record<string, string>): string {
  return `\`\`\`jig-script\n${JSON.stringify({ steps, ...(resolve ? { resolve } : {}) })}\n\`\`\``;
}

const plan = {
  subtasks: [
    {
      title: "Add the add function",
      slug: "add",
      objective: "Export add(a, b) from the library.",
      acceptanceCriteria: ["`node --test` passes", "add(2, 3) === 5"],
      context: script(
        [
          { write: { path: "src/add.js", content: "export const add = (a, b) => a + b;\n" } },
          {
            write: {
              path: "test/add.test.js",
              content:
                "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { add } from '../src/index.js';\ntest('add', () => assert.equal(add(2, 3), 5));\n",
            },
          },
          { append: { path: "src/index.js", content: "export { add } from './add.js';\n" } },
          { commit: "Add add()" },
          // Let the multiply worker start from the same target first, so the two really collide.
          { waitForTask: { id: "mathlib-02-multiply", status: ["in-progress", "blocked", "complete"] } },
          { land: true },
        ],
        { "src/index.js": INDEX_RESOLVED },
      ),
    },
    {
      title: "Add the multiply function",
      slug: "multiply",
      objective: "Export multiply(a, b) from the library.",
      acceptanceCriteria: ["`node --test` passes", "multiply(2, 3) === 6"],
      context: script(
        [
          { write: { path: "src/multiply.js", content: "export const multiply = (a, b) => a * b;\n" } },
          {
            write: {
              path: "test/multiply.test.js",
              content:
                "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { multiply } from '../src/index.js';\ntest('multiply', () => assert.equal(multiply(2, 3), 6));\n",
            },
          },
          { append: { path: "src/index.js", content: "export { multiply } from './multiply.js';\n" } },
          { commit: "Add multiply()" },
          { land: true },
        ],
        { "src/index.js": INDEX_RESOLVED },
      ),
    },
    {
      title: "Document the library",
      slug: "docs",
      objective: "Describe the functions in the README.",
      acceptanceCriteria: ["README lists add and multiply"],
      context: script([
        {
          append: {
            path: "README.md",
            content:
              "\n## API\n- `add(a, b)`\n- `multiply(a, b)`\n- `mathlib <op> <a> <b>` on the command line\n",
          },
        },
        { commit: "Document the API" },
        { land: true },
      ]),
    },
    {
      title: "Add a command-line entry",
      slug: "cli",
      objective: "A CLI that applies add or multiply to two numbers.",
      acceptanceCriteria: ["`node src/cli.js add 2 3` prints 5"],
      context: script([
        {
          write: {
            path: "src/cli.js",
            content:
              "import { add, multiply } from './index.js';\nconst [op, a, b] = process.argv.slice(2);\nconst fn = { add, multiply }[op];\nif (!fn) { console.error('usage: cli add|multiply a b'); process.exit(2); }\nconsole.log(fn(Number(a), Number(b)));\n",
          },
        },
        {
          write: {
            path: "test/cli.test.js",
            content:
              "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { execFileSync } from 'node:child_process';\ntest('cli', () => assert.equal(execFileSync(process.execPath, ['src/cli.js', 'add', '2', '3'], { encoding: 'utf8' }).trim(), '5'));\n",
          },
        },
        { commit: "Add the CLI" },
        { land: true },
      ]),
      depends: ["add", "multiply"],
    },
  ],
};

export const DEMO_FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "mathlib", version: "0.0.0", type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
  "README.md": "# mathlib\n\nA tiny library used by `jig demo`.\n",
  "src/index.js": "export {};\n",
  "jig.json": `${JSON.stringify({ agent: "scripted", maxWorkers: 3, gate: { command: "node --test", timeoutSeconds: 60 } }, null, 2)}\n`,
  "issues/mathlib.md": `---\ntarget: feature/mathlib\n---\n\n# mathlib: arithmetic and a CLI\n\nGive the library add and multiply, document them, and add a command-line entry.\n\nThe scripted planner reads this plan; a real planner would write one like it.\n\n\`\`\`jig-plan\n${JSON.stringify(plan)}\n\`\`\`\n`,
};
