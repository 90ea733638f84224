// The sign-in page's script (/dashboard/sign-in.js, a module). `jig serve` prints the dashboard link
// with the admin token in the fragment (`/#token=…`), which a browser never sends to a server: it
// stays out of server and proxy logs and Referer headers. This trades it once for the session cookie
// (a same-origin POST with the token as a bearer credential) and drops it from the address bar and
// the history entry either way.

const note = document.getElementById("sign-in-status");
const token = new URLSearchParams(location.hash.slice(1)).get("token");
history.replaceState(null, "", location.pathname);

if (token) {
  const response = await fetch("/dashboard/session", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  }).catch(() => null);
  if (response?.ok) location.replace("/");
  else if (note) {
    const body = (await response?.json().catch(() => null)) as { error?: { message?: string } } | null;
    note.textContent = body?.error?.message ?? "could not reach jig serve; is it still running?";
  }
}

export {}; // a module: top-level await, no globals
