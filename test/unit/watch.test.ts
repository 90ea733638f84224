import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { subscribe, watchChanges } from "../../src/lib/watch.js";

// lib/watch: one fs.watch per directory shared by its subscribers, each owning its subscription; a
// change flag that never loses a change made between two waits. Every wait here has a long timeout:
// the test finishes only if the event arrives (vitest's own timeout fails it otherwise).

const dir = () => mkdtempSync(join(tmpdir(), "jig-watch-"));
const LONG = 600_000;

/** A listener, and a promise of its first call about `name` (writing a file fires more than one event). */
function nextCall(name: string): { listener: (file: string) => void; called: Promise<string> } {
  let resolve: (file: string) => void = () => {};
  const called = new Promise<string>((r) => {
    resolve = r;
  });
  return { listener: (file) => file === name && resolve(file), called };
}

describe("lib/watch", () => {
  it("gives every subscriber of a directory its changes, and keeps watching for the ones left", async () => {
    const d = dir();
    const a = nextCall("one.json");
    const b1 = nextCall("one.json");
    const b2 = nextCall("two.json");
    const subA = subscribe(d, a.listener);
    const subB = subscribe(d, (file) => {
      b1.listener(file);
      b2.listener(file);
    });
    expect(subA.watching && subB.watching).toBe(true);
    writeFileSync(join(d, "one.json"), "1");
    expect(await a.called).toBe("one.json");
    expect(await b1.called).toBe("one.json");
    subA.unsubscribe(); // B still holds the shared watch
    writeFileSync(join(d, "two.json"), "2");
    expect(await b2.called).toBe("two.json");
    subB.unsubscribe();
  });

  it("a missing directory is no watch, not an error: the caller's timeout still ends its wait", async () => {
    const missing = join(dir(), "nope");
    const sub = subscribe(missing, () => {});
    expect(sub.watching).toBe(false);
    sub.unsubscribe();
    const changes = watchChanges([missing]);
    await changes.next(10);
    changes.close();
  });

  it("a change made before next() is waited for is not lost", async () => {
    const d = dir();
    const changes = watchChanges([d], (_dir, file) => file === "mine.json");
    const seen = nextCall("mine.json");
    const probe = subscribe(d, seen.listener);
    writeFileSync(join(d, "mine.json"), "x");
    await seen.called; // the event has been delivered to every subscriber, before anyone waits
    await changes.next(LONG); // resolves at once: the change is pending
    probe.unsubscribe();
    changes.close();
  });

  it("next() ends when the signal aborts or the watch is closed", async () => {
    const d = dir();
    const changes = watchChanges([d]);
    const controller = new AbortController();
    const aborted = changes.next(LONG, controller.signal);
    controller.abort();
    await aborted;
    const closed = changes.next(LONG);
    changes.close();
    await closed;
  });
});
