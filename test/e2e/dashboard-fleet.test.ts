import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium, TEST_OUTPUT } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, planAndSpawn, waitFor, writeAndLand } from "../helpers/epic.js";

// Operating a fleet from the dashboard, in Debian's Chromium against a real `jig serve`: an epic in flight
// where one task landed, one worker went silent and one task waits on it. The page must show the timeline
// rows, the alarm banner on top and the epic's spend against its budget. Screenshot: test-output/.

/** A duration as the page writes it: 2.2s, 23s, 3m 4s. */
const D = String.raw`(?:\d+\.\ds|\d+s|\d+m(?: \d+s)?)`;

const cleanups: (() => void)[] = [];
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  for (const cleanup of cleanups) cleanup();
});

describe.skipIf(skipWithoutChromium())("the dashboard operates a fleet", () => {
  it("shows each task's timeline, the alarm banner and spend against the budget", async () => {
    const root = epicRepo(
      [
        {
          slug: "one",
          steps: [
            { usage: { costUsd: 0.4, inputTokens: 3000, outputTokens: 1000 } },
            ...writeAndLand("one.txt", "1\n"),
          ],
        },
        { slug: "two", steps: [{ status: "working", message: "thinking hard" }, { hang: true }] },
        { slug: "three", steps: writeAndLand("three.txt", "3\n"), depends: ["two"] },
      ],
      { agent: "scripted", maxRetries: 0, alarms: { silentMinutes: 0.02, landWaitMinutes: 30 } },
    );
    expect(runCli(root, ["budget", "ep", "$1"]).code).toBe(0);
    planAndSpawn(root, ["ep-01-one", "ep-02-two"]);
    cleanups.push(() => {
      const record = JSON.parse(readFileSync(join(root, ".jig", "workers", "ep-02-two.json"), "utf8"));
      if (record.pid) process.kill(-record.pid, "SIGKILL");
    });
    const issue = (id: string) => JSON.parse(runCli(root, ["issues", "show", id, "--json"]).stdout);
    await waitFor(() => issue("ep-01-one").status === "complete", "ep-01-one to land");

    const serve = background(root, ["serve", "--port", "0"]);
    cleanups.push(() => serve.child.kill("SIGTERM"));
    await waitFor(() => /dashboard at (\S+)/.test(serve.output()), "jig serve to print its URL", {
      timeoutMs: 20_000,
      dump: serve.output,
    });
    const url = /dashboard at (\S+)/.exec(serve.output())![1]!;

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);

    // The alarm banner, above everything else on the page.
    const alarm = page.locator('#alarms .alarm[data-kind="silent"][data-worker="ep-02-two"]');
    await alarm.waitFor({ timeout: 60_000 });
    expect(await alarm.textContent()).toMatch(
      /^silent ep-02-two: silent for \d+ min \(no status change, commit or tool call\)/,
    );
    expect(await page.locator("#app > section").first().getAttribute("id")).toBe("alarms");
    expect(await page.locator("#totals").textContent()).toContain("1 alarm");

    // The timeline: one landed (waited, worked, waited to land), two still working, three not ready.
    const row = (task: string) => page.locator(`.timeline tr[data-task="${task}"]`);
    await row("ep-01-one").and(page.locator('[data-state="landed"]')).waitFor({ timeout: 20_000 });
    expect(await row("ep-01-one").locator("td.figures").textContent()).toMatch(
      new RegExp(`^waited ${D} · worked ${D} · landed after ${D} · \\$0\\.40$`),
    );
    expect(
      await row("ep-01-one")
        .locator("rect.bar")
        .evaluateAll((bars) => bars.map((b) => b.getAttribute("data-kind"))),
    ).toEqual(["claim-wait", "work", "land-wait"]);
    expect(await row("ep-02-two").getAttribute("data-state")).toBe("claimed");
    expect(await row("ep-02-two").locator("td.figures").textContent()).toMatch(
      new RegExp(`^waited ${D} · working ${D}$`),
    );
    expect(await row("ep-02-two").locator('rect.bar[data-kind="work"]').count()).toBe(1);
    expect(await row("ep-03-three").getAttribute("data-state")).toBe("planned");
    expect(await row("ep-03-three").locator("td.figures").textContent()).toBe("waiting on its dependencies");
    expect(await row("ep-03-three").locator("rect.bar").count()).toBe(0);

    // Spend against the epic's budget: the landed task's session reported $0.40 of the $1 budget.
    const spend = page.locator('section.epic[data-epic="ep"] .spend');
    expect(await spend.textContent()).toBe("spend  $0.40 of $1.00");
    expect(await spend.getAttribute("data-fraction")).toBe("0.400");
    expect(await spend.locator("svg.meter rect.fill").getAttribute("width")).toBe("64.0");

    mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: join(TEST_OUTPUT, "dashboard-fleet.png"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
