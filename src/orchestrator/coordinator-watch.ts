import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { redactSecrets } from "../lib/redact.js";
import { VERSION } from "../version.js";

// How a remote worker notices that its coordinator is gone (docs/remote.md): nothing else tells it — the
// launcher that started it may be dead with the coordinator (kill -9, a lost machine), while a Job or a
// host runs on. It asks the coordinator, as itself, every few seconds.

/**
 * Checks the coordinator every few seconds (a fresh MCP session and a ping, as the worker's own token)
 * and calls `gone` once: at once when the token is refused (the coordinator revoked it — the session
 * was abandoned, cleaned or replaced by a new attempt), or when no check has succeeded for `timeoutMs`.
 * Returns the function that stops watching.
 */
export function watchCoordinator(
  url: string,
  token: string,
  timeoutMs: number,
  gone: (why: string) => void,
): () => void {
  const intervalMs = Math.max(500, Math.min(30_000, Math.floor(timeoutMs / 4)));
  let lastOk = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const outcome = await pingCoordinator(url, token, intervalMs);
    if (stopped) return;
    if (outcome === null) lastOk = Date.now();
    else if (outcome === "refused") {
      gone(
        "the coordinator no longer accepts this session's token (abandoned, cleaned or replaced by a new attempt)",
      );
      return;
    } else if (Date.now() - lastOk >= timeoutMs) {
      gone(
        `the coordinator at ${url} has been unreachable for ${Math.round((Date.now() - lastOk) / 1000)} s (${outcome})`,
      );
      return;
    }
    timer = setTimeout(check, intervalMs);
  };
  timer = setTimeout(check, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** null when the coordinator answered a ping; "refused" when it refused the token; else why it did not answer. */
async function pingCoordinator(url: string, token: string, timeoutMs: number): Promise<string | null> {
  const client = new Client({ name: "jig-worker-watch", version: VERSION });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    await client.ping({ timeout: timeoutMs });
    // Sessions count against the identity's cap until they end: end this one now, not at its idle expiry.
    await transport.terminateSession().catch(() => {});
    return null;
  } catch (error) {
    const status = (error as { code?: unknown }).code;
    if (status === 401 || status === 403) return "refused";
    // Any other 4xx is the coordinator answering (e.g. 429: this identity at its session cap): alive.
    if (typeof status === "number" && status >= 400 && status < 500) return null;
    return redactSecrets((error as Error).message).split("\n")[0] ?? "no answer";
  } finally {
    await client.close().catch(() => {});
  }
}
