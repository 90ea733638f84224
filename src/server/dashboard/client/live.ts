// Keeping the page current: server-sent events when the browser has them, polling every 3 s while the
// stream is down, and "signed out" once the server answers 401 (nothing retries after that).
import type { ErrorBody, Issue } from "./snapshot.js";

export type LiveState = "connecting" | "live" | "polling" | "offline" | "signed-out";

export interface LiveOptions {
  /** A snapshot's JSON text, as the server sent it. */
  onSnapshot: (json: string) => void;
  onState: (state: LiveState, text: string) => void;
}

const POLL_MS = 3_000;
const RECONNECT_MS = 5_000;
const JSON_REQUEST: RequestInit = { credentials: "same-origin", headers: { accept: "application/json" } };

export interface Live {
  /** Called on any 401: stop the stream and polling for good. */
  signOut: () => void;
}

export function startLive(options: LiveOptions): Live {
  let source: EventSource | null = null;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let signedOut = false;

  const signOut = () => {
    signedOut = true;
    source?.close();
    stopPolling();
    options.onState("signed-out", "signed out: open the URL jig serve printed");
  };

  const poll = async () => {
    try {
      const res = await fetch("/dashboard/snapshot", JSON_REQUEST);
      if (res.status === 401) return signOut();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (!source || source.readyState !== EventSource.OPEN) options.onState("polling", "polling");
      options.onSnapshot(text);
    } catch {
      options.onState("offline", "offline: is jig serve running?");
    }
  };
  const startPolling = () => {
    if (pollTimer || signedOut) return;
    pollTimer = setInterval(() => void poll(), POLL_MS);
    void poll();
  };
  const stopPolling = () => {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  };

  const connect = () => {
    if (typeof EventSource !== "function") return startPolling();
    const stream = new EventSource("/dashboard/events");
    source = stream;
    stream.addEventListener("snapshot", (event) => {
      stopPolling();
      options.onState("live", "live");
      options.onSnapshot((event as MessageEvent<string>).data);
    });
    stream.onopen = () => {
      stopPolling();
      options.onState("live", "live");
    };
    // The browser reconnects by itself; meanwhile (or if it gives up) the page polls.
    stream.onerror = () => {
      if (signedOut) return;
      options.onState("polling", "reconnecting…");
      startPolling();
      if (stream.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
    };
  };

  void poll();
  connect();
  return { signOut };
}

export type IssueResult = { ok: true; issue: Issue } | { ok: false; message: string } | { signedOut: true };

/** One issue for the side panel: the issue, why it could not be had, or that the session ended. */
export async function fetchIssue(id: string): Promise<IssueResult> {
  try {
    const res = await fetch(`/dashboard/issues/${encodeURIComponent(id)}`, JSON_REQUEST);
    if (res.status === 401) return { signedOut: true };
    const body = (await res.json()) as Issue & ErrorBody;
    if (!res.ok) return { ok: false, message: body.error?.message ?? "could not load" };
    return { ok: true, issue: body };
  } catch {
    return { ok: false, message: "could not load (is jig serve running?)" };
  }
}
