import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { redactSecrets } from "../lib/redact.js";
import { VERSION } from "../version.js";

// How a remote worker notices that its coordinator is gone (docs/remote.md): nothing else tells it — the
// launcher that started it may be dead with the coordinator (kill -9, a lost machine), while a Job or a
// host runs on. It asks the coordinator, as itself, every few seconds.

/**
 * Pings the coordinator every few seconds on one MCP session of its own (as the worker's token; opened
 * again when it fails, e.g. after the coordinator restarted) and calls `gone` once: at once when the
 * token is refused (the coordinator revoked it — the worker was killed, abandoned or cleaned, or a new
 * attempt replaced it), or when no ping has been answered for `timeoutMs`. Returns the function that
 * stops watching (and ends the session).
 */
export function watchCoordinator(watch: {
  url: string;
  token: string;
  timeoutMs: number;
  gone: (why: string) => void;
  /** Each check's outcome (null: answered), for tests and logs. */
  checked?: (outcome: string | null) => void;
}): () => void {
  const { url, token, timeoutMs, gone } = watch;
  const intervalMs = Math.max(500, Math.min(30_000, Math.floor(timeoutMs / 4)));
  const link = new CoordinatorLink(url, token, intervalMs);
  let lastOk = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const outcome = await link.ping();
    if (stopped) return;
    watch.checked?.(outcome);
    if (outcome === null) lastOk = Date.now();
    else if (outcome === "refused") {
      gone(
        "the coordinator no longer accepts this session's token (killed, abandoned, cleaned or replaced by a new attempt)",
      );
      return void link.close();
    } else if (Date.now() - lastOk >= timeoutMs) {
      gone(
        `the coordinator at ${url} has been unreachable for ${Math.round((Date.now() - lastOk) / 1000)} s (${outcome})`,
      );
      return void link.close();
    }
    timer = setTimeout(check, intervalMs);
  };
  timer = setTimeout(check, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
    void link.close();
  };
}

/** One MCP session with the coordinator for pings: one request a check, not a session a check. */
class CoordinatorLink {
  private client: Client | null = null;
  private transport: StreamableHTTPClientTransport | null = null;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  /** null when the coordinator answered; "refused" when it refused the token; else why it did not answer. */
  async ping(): Promise<string | null> {
    try {
      if (!this.client) {
        this.client = new Client({ name: "jig-worker-watch", version: VERSION });
        this.transport = new StreamableHTTPClientTransport(new URL(this.url), {
          requestInit: { headers: { Authorization: `Bearer ${this.token}` } },
        });
        await this.client.connect(this.transport, { timeout: this.timeoutMs });
      }
      await this.client.ping({ timeout: this.timeoutMs });
      return null;
    } catch (error) {
      void this.close(); // not awaited: ending a session with an unreachable coordinator may hang
      const status = (error as { code?: unknown }).code;
      if (status === 401 || status === 403) return "refused";
      // Any other 4xx is the coordinator answering (404: it restarted and forgot the session; 429: this
      // identity at its session cap): alive, and the next check opens a new session.
      if (typeof status === "number" && status >= 400 && status < 500) return null;
      return redactSecrets((error as Error).message).split("\n")[0] ?? "no answer";
    }
  }

  /** Ends the session (it counts against the identity's cap until it does), best effort. */
  async close(): Promise<void> {
    const { client, transport } = this;
    this.client = null;
    this.transport = null;
    await transport?.terminateSession().catch(() => {});
    await client?.close().catch(() => {});
  }
}
