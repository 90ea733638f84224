import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import matter from "gray-matter";
import { IssueStore } from "../src/core/issue-store.js";
import { fmt, printTable, ratio, sample } from "./util.js";

// Issue store reads: jig's cached load vs the naive baseline (read + gray-matter-parse every file), and
// a server's load (the store trusting the directory's watch) beside the CLI's (every file stat'ed).
export async function run(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const count of [10, 1_000, 10_000]) {
    const root = mkdtempSync(join(tmpdir(), "jig-bench-store-"));
    const dir = join(root, "issues");
    mkdirSync(dir);
    // Realistic shape: epics of up to 50 subtasks, each depending on the one before.
    for (let i = 0; i < count; i++) {
      const epic = `e${Math.floor(i / 50)}`;
      const n = (i % 50) + 1;
      const id = `${epic}-${String(n).padStart(2, "0")}-task`;
      const depends = n > 1 ? `[${epic}-${String(n - 1).padStart(2, "0")}-task]` : "[]";
      if (n === 1)
        writeFileSync(join(dir, `${epic}.md`), `---\ntarget: feature/${epic}\n---\n# Epic ${epic}\n`);
      writeFileSync(
        join(dir, `${id}.md`),
        `---\nepic: ${epic}\nstatus: planned\nassigned:\ndepends: ${depends}\n---\n\n# Task ${i}\n\n## Objective\n${"Do the thing. ".repeat(20)}\n`,
      );
    }
    const check = await new IssueStore({ dir, stateDir: join(root, ".jig") }).load();
    if (check.problems.length > 0) throw new Error(`bench data invalid: ${check.problems[0]!.message}`);
    const store = new IssueStore({ dir, stateDir: join(root, ".jig", "locks", "issue-store") });
    const cold = await sample(async () => new IssueStore({ dir, stateDir: join(root, ".jig") }).load(), {
      n: count >= 10_000 ? 3 : 10,
      warmup: 1,
    });
    await store.load();
    const warm = await sample(() => store.load(), { n: count >= 10_000 ? 5 : 30 });
    // As `jig serve` reads: the store trusts the directory's watch and stats only what an event named.
    const watched = new IssueStore({ dir, stateDir: join(root, ".jig", "locks", "issue-store") });
    watched.trackChanges();
    await watched.load();
    const served = await sample(() => watched.load(), { n: count >= 10_000 ? 30 : 100 });
    watched.stopTracking();
    const naive = await sample(
      async () => {
        for (const name of readdirSync(dir)) matter(readFileSync(join(dir, name), "utf8"), {});
      },
      { n: count >= 10_000 ? 3 : 10, warmup: 1 },
    );
    rows.push([
      count,
      fmt(naive.p50),
      fmt(cold.p50),
      fmt(warm.p50),
      fmt(served.p50),
      ratio(warm.p50, naive.p50),
      ratio(warm.p50, served.p50),
    ]);
    rmSync(root, { recursive: true, force: true });
  }
  printTable(
    "Issue store: load every issue (validated, with graph checks)",
    [
      "issues",
      "naive read+parse p50",
      "jig cold p50",
      "jig warm p50 (CLI: every file stat'ed)",
      "jig warm p50 (server: watched)",
      "warm ÷ naive",
      "CLI ÷ server (warm)",
    ],
    rows,
  );
}
