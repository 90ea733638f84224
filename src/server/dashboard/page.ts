// The dashboard's HTML: a static shell (all data arrives as JSON and is put in the page as text by
// the client script), the sign-in page, and the security headers every dashboard response carries.

export const ASSET_PATHS = {
  /** The client's modules (client-files.ts), each served under this prefix by its file name. */
  client: "/dashboard/client/",
  script: "/dashboard/client/app.js",
  /** The sign-in page's script: served to anyone (it holds nothing), unlike the client's modules. */
  signIn: "/dashboard/sign-in.js",
  /** Where that script trades the admin token (a bearer credential) for the session cookie. */
  session: "/dashboard/session",
  style: "/dashboard/app.css",
} as const;

/** No inline script or style, nothing from elsewhere: the page runs only its own script file. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );
}

export function dashboardPage(repo: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jig · ${escapeHtml(repo)}</title>
<link rel="stylesheet" href="${ASSET_PATHS.style}">
<script type="module" src="${ASSET_PATHS.script}"></script>
</head>
<body>
<header class="top">
  <h1>jig <span class="repo">${escapeHtml(repo)}</span></h1>
  <span id="totals" class="totals"></span>
  <span id="live" class="live" data-state="connecting">connecting…</span>
</header>
<div class="layout">
  <main id="app"><p class="muted">Loading…</p></main>
  <aside id="issue" class="issue" hidden></aside>
</div>
</body>
</html>
`;
}

export function signInPage(reason: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>jig · sign-in required</title>
<script type="module" src="${ASSET_PATHS.signIn}"></script></head>
<body>
<h1>401 — sign-in required</h1>
<p>${escapeHtml(reason)}</p>
<p id="sign-in-status"></p>
<p>Open the dashboard link that <code>jig serve</code> printed (it ends in <code>/#token=…</code>; the
part after <code>#</code> never leaves this browser). This browser keeps a session cookie afterwards.</p>
</body>
</html>
`;
}
