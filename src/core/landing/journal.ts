import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { readJsonFile, writeFileAtomic } from "../../lib/fs.js";

// The crash journal of one batch (batch.json beside the target's queue). A driver can die at any point
// (kill -9); the next one replays this before anything else. Since rebasing happens in the object store
// only, there is nothing of the workers' to undo: the journal keeps the gate's process group (killed on
// replay) and, just before the target moves, the tip it moves to, the workers landing with it and the
// checkouts to carry along — so a move that happened is reported and its checkouts brought up to date.

export interface JournalLanding {
  worker: string;
  /** The branch commit that lands (the worker's own, unchanged). */
  source: string;
  commits: string[];
}

export interface BatchJournal {
  target: string;
  /** The target's tip the batch was built on. */
  base: string;
  gatePid?: number;
  /** Set just before the target moves. */
  moving?: { tip: string; landing: JournalLanding[]; checkouts: string[]; from: string };
}

export class Journal {
  private data: BatchJournal;
  constructor(
    private readonly file: string,
    target: string,
    base: string,
  ) {
    this.data = { target, base };
  }
  async gate(pid: number | undefined): Promise<void> {
    this.data.gatePid = pid;
    await this.save();
  }
  /** `from`: where the local target (and its checkouts) were before the move. */
  async moving(tip: string, landing: JournalLanding[], checkouts: string[], from: string): Promise<void> {
    this.data.moving = { tip, landing, checkouts, from };
    await this.save();
  }
  async done(): Promise<void> {
    await rm(this.file, { force: true });
  }
  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(this.data));
  }
}

export const readJournal = (file: string): Promise<BatchJournal | null> => readJsonFile<BatchJournal>(file);
