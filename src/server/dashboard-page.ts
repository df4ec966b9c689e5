// The dashboard's server-rendered HTML: the page that loads the app (telling it its base path,
// its CSRF token and whether it is signed in, in meta tags) and the sign-in form, which needs no
// JavaScript. Every value put into the HTML is escaped; both pages forbid inline code by CSP.

import { createHash } from "node:crypto";

/** Headers of every HTML answer: no inline script or style, no framing, no sniffing. */
export const HTML_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
};

/** A cairn of three stones, inline so the browser asks for no /favicon.ico. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E" +
  "%3Cellipse cx='16' cy='26' rx='13' ry='5' fill='%23596273'/%3E" +
  "%3Cellipse cx='16' cy='17' rx='9' ry='4.5' fill='%237b8494'/%3E" +
  "%3Cellipse cx='16' cy='9' rx='5.5' ry='3.5' fill='%239ea6b4'/%3E%3C/svg%3E";

/** Text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An ETag's value without its quotes (or weak prefix), for a `?v=` cache-buster. */
function version(etag: string): string {
  return encodeURIComponent(etag.replace(/^W\//, "").replace(/"/g, ""));
}

export type AppPageInput = {
  /** The base path the dashboard is served under, ending with "/". */
  base: string;
  /** The session's CSRF token; empty when there is none. */
  csrf: string;
  session: "signed-in" | "open";
  /** ETags of app.css and app.js. */
  cssEtag: string;
  jsEtag: string;
};

/** The page every dashboard route answers with; the app reads the meta tags and routes itself. */
export function appPage(input: AppPageInput): string {
  const base = escapeHtml(input.base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cairn</title>
<meta name="cairn-base" content="${base}">
<meta name="cairn-csrf" content="${escapeHtml(input.csrf)}">
<meta name="cairn-session" content="${escapeHtml(input.session)}">
<link rel="icon" href="${escapeHtml(FAVICON)}">
<link rel="stylesheet" href="${base}assets/app.css?v=${escapeHtml(version(input.cssEtag))}">
<script type="module" src="${base}assets/app.js?v=${escapeHtml(version(input.jsEtag))}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Cairn dashboard needs JavaScript; the HTTP API and the cairn workflows command work without it.</noscript>
</body>
</html>
`;
}

/** The sign-in form's stylesheet: system colours, so it reads in light and dark alike. */
export const SIGN_IN_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { width: min(22rem, calc(100% - 2rem)); }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
form { display: grid; gap: 0.5rem; }
label { font-weight: 600; }
input, button { font: inherit; padding: 0.5rem 0.75rem; border-radius: 0.375rem; }
input { border: 1px solid CanvasText; background: Field; color: FieldText; }
button { border: 1px solid ButtonBorder; background: ButtonFace; color: ButtonText; cursor: pointer; margin-top: 0.5rem; }
:focus-visible { outline: 2px solid Highlight; outline-offset: 2px; }
.hint { margin: 0; font-size: 0.875rem; }
[role="alert"] { margin: 0; padding: 0.5rem 0.75rem; border-left: 4px solid #d32f2f; }
`;

export const SIGN_IN_CSS_ETAG = `"${createHash("sha256").update(SIGN_IN_CSS).digest("base64url").slice(0, 22)}"`;

export type SignInPageInput = {
  base: string;
  /** Where to go once signed in (already checked to be under `base`). */
  next: string;
  /** Shown in an alert above the field when the last attempt failed. */
  error?: string | undefined;
};

/** The sign-in form: one password field for the API token, posted to `<base>sign-in`. */
export function signInPage(input: SignInPageInput): string {
  const base = escapeHtml(input.base);
  const alert = input.error ? `<p role="alert" id="sign-in-error">${escapeHtml(input.error)}</p>\n` : "";
  const describedBy = input.error ? "sign-in-error token-hint" : "token-hint";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in · Cairn</title>
<link rel="icon" href="${escapeHtml(FAVICON)}">
<link rel="stylesheet" href="${base}assets/sign-in.css?v=${escapeHtml(version(SIGN_IN_CSS_ETAG))}">
</head>
<body>
<main>
<h1>Sign in to Cairn</h1>
<form method="post" action="${base}sign-in">
${alert}<label for="token">API token</label>
<input type="password" name="token" id="token" autocomplete="current-password" required autofocus aria-describedby="${describedBy}"${input.error ? ' aria-invalid="true"' : ""}>
<p class="hint" id="token-hint">The token this server was started with (--api-token or CAIRN_API_TOKEN).</p>
<input type="hidden" name="next" value="${escapeHtml(input.next)}">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
