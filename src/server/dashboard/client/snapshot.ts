// What the page reads from the server: the JSON of /dashboard/snapshot and /dashboard/issues/{id}.
// Only types (the browser build and the server both import this file); the server's own types must be
// assignable to these, which test/unit/dashboard-client.test.ts checks at compile time.

export type TaskState = "complete" | "running" | "waiting" | "blocked" | "ready" | "cancelled";
export type WorkerStatus = "working" | "blocked" | "done" | "dead" | "exited" | "starting";

export interface Changes {
  added: number;
  removed: number;
  files: number;
}

export interface Subtask {
  id: string;
  number: number | null;
  title: string;
  status: string;
  state: TaskState;
  assigned: string | null;
  depends: string[];
  waitingOn: string[];
  /** Longest chain of dependencies inside the epic below this subtask: its column in the graph. */
  depth: number;
  worker: { name: string; status: WorkerStatus; message: string | null } | null;
}

export interface Commit {
  sha: string;
  subject: string;
  author: string;
  date: string;
}

/** One task's times from the epic's event record (core/epic-timeline.ts). */
export interface TimelineTask {
  task: string;
  state: "planned" | "claimed" | "queued" | "blocked" | "landed";
  readyAt: string | null;
  claimedAt: string | null;
  queuedAt: string | null;
  landedAt: string | null;
  toClaimMs: number | null;
  workingMs: number | null;
  landWaitMs: number | null;
  retries: number;
  costUsd: number | null;
}

export interface Timeline {
  start: string;
  end: string;
  tasks: TimelineTask[];
}

export interface Spend {
  usd: number;
  tokens: number;
  limitUsd: number | null;
  limitTokens: number | null;
  fraction: number | null;
  reached: boolean;
}

export interface Alarm {
  kind: string;
  worker: string;
  since: string | null;
  message: string;
}

export interface Epic {
  id: string;
  title: string;
  error: string | null;
  target: string | null;
  base: string | null;
  targetExists: boolean;
  diff: Changes | null;
  complete: number;
  total: number;
  costUsd: number | null;
  budget: { text: string; reached: boolean } | null;
  spend: Spend;
  timeline: Timeline | null;
  subtasks: Subtask[];
  landed: Commit[];
}

export interface Worker {
  name: string;
  kind: string;
  issue: string | null;
  agent: string;
  status: WorkerStatus;
  message: string | null;
  exit: string | null;
  changes: Changes | null;
  costUsd: number | null;
  started: string;
  updated: string | null;
  attempt: number;
  landing: { state: string; position: number | null } | null;
  conflicts: { kind: string; with: string; files: string[] }[];
}

export interface Snapshot {
  generated: string;
  epics: Epic[];
  workers: Worker[];
  blocked: { worker: string; issue: string | null; message: string | null; updated: string | null }[];
  problems: { file: string; field: string | null; message: string }[];
  costUsd: number | null;
  /** Stuck work, most urgent first. */
  alarms: Alarm[];
}

export interface Issue {
  id: string;
  title: string;
  status: string;
  assigned: string | null;
  depends: string[];
  /** The markdown body as written: untrusted, rendered by markdown.ts into elements it chooses. */
  body: string;
}

/** The JSON body of a refused request. */
export interface ErrorBody {
  error?: { code: string; message: string; hint: string | null };
}
