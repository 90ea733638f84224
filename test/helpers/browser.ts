import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

// The dashboard's browser tests: Debian's Chromium driven by playwright-core. Without Chromium a test
// says so in one line and skips; in CI (.ci/run sets CI=true and installs Chromium) a missing browser
// fails instead, so a green CI always includes the browser tests.

export const CHROMIUM = "/usr/bin/chromium";
export const TEST_OUTPUT = join(import.meta.dirname, "..", "..", "test-output");
const HAS_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === "true";

/** Whether a browser test skips here (no Chromium, not CI); prints the one line that says so. */
export function skipWithoutChromium(): boolean {
  const skip = !HAS_CHROMIUM && !IN_CI;
  if (skip) console.log(`skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return skip;
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchChromium(): Promise<Browser> {
  if (!HAS_CHROMIUM) throw new Error(`no Chromium at ${CHROMIUM}: CI must run the dashboard's browser tests`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
