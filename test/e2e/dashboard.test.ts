import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium, TEST_OUTPUT } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { background, epicRepo, waitFor, writeAndLand } from "../helpers/epic.js";
import { tempDir } from "../helpers/repo.js";

// The web dashboard in a real browser: Debian's Chromium driven by playwright-core, against `jig serve`
// on a repository where an epic runs with the scripted agent. The screenshot is kept in test-output/.

const HOSTILE = '<script>window.__pwned = 1</script>\n<img src="x" onerror="window.__pwned = 2">';

const children: { child: { kill: (signal?: NodeJS.Signals) => boolean } }[] = [];
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  for (const { child } of children) child.kill("SIGTERM");
});

describe.skipIf(skipWithoutChromium())("the dashboard in Chromium", () => {
  it("shows the graph and workers, updates live, opens an issue, never runs its script", async () => {
    const go = join(tempDir(), "go");
    const root = epicRepo([
      { slug: "one", steps: writeAndLand("one.txt", "1\n") },
      {
        slug: "two",
        steps: [
          { status: "working", message: "waiting for the go signal" },
          { waitForFile: go },
          ...writeAndLand("two.txt", "2\n"),
        ],
      },
      { slug: "three", steps: writeAndLand("three.txt", "3\n"), depends: ["two"] },
    ]);
    expect(runCli(root, ["plan", "ep"], { timeoutMs: 60_000 }).code).toBe(0);
    // A human (or an agent) wrote HTML into an issue body: the page must show it as text.
    appendFileSync(join(root, "issues", "ep-01-one.md"), `\n## Notes\n${HOSTILE}\n`);

    const serve = background(root, ["serve", "--port", "0"]);
    children.push(serve);
    await waitFor(() => /dashboard at (\S+)/.test(serve.output()), "jig serve to print its URL", {
      timeoutMs: 20_000,
    });
    const url = /dashboard at (\S+)/.exec(serve.output())![1]!;
    const origin = new URL(url).origin;

    // Without the token: the sign-in page, nothing else; a foreign Origin is refused.
    const anonymous = await fetch(`${origin}/`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain("sign-in required");
    expect((await fetch(`${origin}/dashboard/snapshot`)).status).toBe(401);
    const foreign = await fetch(`${origin}/dashboard/snapshot`, {
      headers: {
        Origin: "http://evil.example",
        Authorization: `Bearer ${new URLSearchParams(new URL(url).hash.slice(1)).get("token")}`,
      },
    });
    expect(foreign.status).toBe(403);

    const run = background(root, ["run", "ep"]);
    children.push(run);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    await page.locator("#app").waitFor({ timeout: 30_000 });
    // The token (in the link's fragment, never sent) was traded for a cookie and left the address bar.
    expect(new URL(page.url()).hash).toBe("");
    expect(new URL(page.url()).search).toBe("");

    // The graph and the workers table, with the running worker's message.
    const node = (id: string) => page.locator(`svg.graph .node[data-id="${id}"]`);
    await node("ep-02-two").and(page.locator('[data-state="running"]')).waitFor({ timeout: 60_000 });
    await node("ep-01-one").and(page.locator('[data-state="complete"]')).waitFor({ timeout: 60_000 });
    expect(await node("ep-03-three").getAttribute("data-state")).toBe("waiting");
    await expect
      .poll(() => page.locator('#workers tr[data-worker="ep-02-two"]').textContent(), { timeout: 20_000 })
      .toContain("waiting for the go signal");
    await expect
      .poll(() => page.locator("ol.commits").textContent(), { timeout: 20_000 })
      .toContain("write one.txt");

    // Live: let the worker go on, and watch two and three finish without a reload.
    await page.evaluate(() => {
      (globalThis as unknown as { __same: boolean }).__same = true;
    });
    mkdirSync(join(go, ".."), { recursive: true });
    writeFileSync(go, "");
    await node("ep-03-three").and(page.locator('[data-state="complete"]')).waitFor({ timeout: 90_000 });
    expect(await node("ep-02-two").getAttribute("data-state")).toBe("complete");
    expect(await page.evaluate(() => (globalThis as unknown as { __same?: boolean }).__same)).toBe(true);
    await expect.poll(() => page.locator("ol.commits").textContent()).toContain("write three.txt");

    // Click a subtask: its issue text, HTML shown as text and never run.
    await node("ep-01-one").click();
    const aside = page.locator('aside#issue[data-issue="ep-01-one"]');
    await aside.waitFor();
    const text = await aside.textContent();
    expect(text).toContain("Do one.");
    expect(text).toContain("<script>window.__pwned = 1</script>");
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator("aside#issue script, aside#issue img").count()).toBe(0);

    mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: join(TEST_OUTPUT, "dashboard.png"), fullPage: true });
    expect(errors).toEqual([]);
    expect(await run.exited).toBe(0);
  });
});
