// The short prompts that start each kind of session; the skills carry the protocol in detail.

export function workerPrompt(issue: string, target: string): string {
  return [
    `You are a jig worker. Your task is issue ${issue}; your work lands on branch ${target}.`,
    "Use the jig MCP tools (follow the jig-worker skill):",
    "1. Call claim_task (mcp__jig__claim_task) first: it returns your task's full text.",
    "2. Call set_status with status working, then do the work in this directory (your own git worktree).",
    "3. Commit your work with git (small commits are fine).",
    "4. Call land. If it says queued, call land again. If it reports a conflict or a failing gate, fix it, commit, and call land again.",
    "If you are stuck, call set_status with status blocked and a message saying exactly what you need.",
  ].join("\n");
}

export function plannerPrompt(epic: string, epicFile: string, keep: string[] = []): string {
  return [
    ...(keep.length
      ? [
          `This is a re-plan. These subtasks exist and stay (do not plan them again; new subtasks may list their ids in depends): ${keep.join(", ")}.`,
        ]
      : []),
    `You are the jig planner for epic ${epic}. Read the epic in ${epicFile} and the code it concerns.`,
    "Decompose it into 3–10 subtasks that can be worked on in parallel where possible (follow the jig-planner skill):",
    "each with a title, a slug, an objective, acceptance criteria, context (files, modules, decisions) and depends (slugs of subtasks that must land first).",
    `Then call plan_epic (mcp__jig__plan_epic) once with epic "${epic}" and the whole plan. If it returns an error, fix what it names and call it again. Then stop.`,
  ].join("\n");
}

export function adhocPrompt(name: string, context: string): string {
  return `You are jig worker ${name}, working in your own git worktree on branch _jig/${name}. Your task:\n\n${context}\n\nCommit your work with git when done. A human reviews and merges your branch.`;
}

/** The prompt a resumed session gets: what happened since it stopped, then its original instructions. */
export function resumePrompt(whatHappened: string, original: string): string {
  return [
    `jig here: you are resuming your earlier session; ${whatHappened}.`,
    "Your worktree and commits are as you left them. Continue where you stopped: check what is committed, finish the work, commit, and call land.",
    "",
    original,
  ].join("\n");
}
