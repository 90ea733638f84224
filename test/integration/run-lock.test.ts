import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tryLockOrTakeOver } from "../../src/lib/lock.js";

// The run lock of `jig run`: a rerun after a crash says the previous run is gone, whether it starts
// at once (the lock still fresh) or late (already stale); after a normal release it says nothing.
describe("run lock", () => {
  it("names a dead holder whether its lock is fresh or already stale, and never a holder that released", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jig-run-lock-"));
    const path = join(dir, "ep");
    // A process that was the holder and is gone: a pid that cannot be alive, recorded beside the lock.
    const dead = spawn(process.execPath, ["-e", ""]);
    const deadPid = await new Promise<number>((resolve) => dead.on("exit", () => resolve(dead.pid!)));
    writeFileSync(`${path}.pid`, String(deadPid));

    // Late rerun: the lock directory is already free (stale and gone), only the record remains.
    const heard: number[] = [];
    const release = await tryLockOrTakeOver(path, (pid) => heard.push(pid));
    expect(release).not.toBeNull();
    expect(heard).toEqual([deadPid]);
    expect(readFileSync(`${path}.pid`, "utf8")).toBe(String(process.pid));

    // While held by a live process (this one), a second taker is refused at once.
    expect(await tryLockOrTakeOver(path, (pid) => heard.push(pid))).toBeNull();

    // A normal release removes the record: the next run hears of no dead holder.
    await release!();
    const next = await tryLockOrTakeOver(path, (pid) => heard.push(pid));
    expect(next).not.toBeNull();
    expect(heard).toEqual([deadPid]);
    await next!();
  });
});
