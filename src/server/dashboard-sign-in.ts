// Signing a browser in and out of the dashboard: the API token is posted once from a form (never
// put in a URL or handed to JavaScript) and exchanged for the HttpOnly session cookie; signing
// out needs the session's CSRF token. After sign-in the browser goes back only to a path of this
// dashboard, so `next` cannot send it to another site.

import { ApiError } from "./api-error.js";
import { HTML_HEADERS, signInPage } from "./dashboard-page.js";
import { readText } from "./request-body.js";
import type { RequestGuard } from "./request-guard.js";
import { CSRF_HEADER, clearSessionCookie, setSessionCookie } from "./session.js";

/** The most a sign-in or sign-out form may send. */
export const FORM_LIMIT_BYTES = 8 * 1024;

export const WRONG_TOKEN = "That is not this server's API token.";

/** A 303 to `location`, uncached, with any Set-Cookie headers given. */
export function seeOther(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** A plain-text answer (errors, 405s). */
export function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}

/** The answer for a method a dashboard path does not take. */
export function methodNotAllowed(request: Request, allow: string): Response {
  return text(405, `${request.method} is not allowed here; use ${allow}`, { allow });
}

/** The path to go to after signing in: `raw` if it is a path under `base` on this origin, else `base`. */
export function safeNext(raw: string | null, base: string, url: URL): string {
  if (!raw?.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return base;
  let target: URL;
  try {
    target = new URL(raw, url.origin);
  } catch {
    return base;
  }
  if (target.origin !== url.origin || !target.pathname.startsWith(base)) return base;
  // Normalising can turn "/.//evil.example" into "//evil.example", which a browser reads as
  // another host: a path that starts with two slashes after normalising goes to the base.
  if (target.pathname.startsWith("//")) return base;
  return `${target.pathname}${target.search}`;
}

/** The request's media type, lower case, without parameters. */
function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

const FORM_TYPE = "application/x-www-form-urlencoded";

/** A form body (application/x-www-form-urlencoded) of at most FORM_LIMIT_BYTES. */
async function readForm(request: Request): Promise<URLSearchParams> {
  const type = mediaType(request);
  if (type !== FORM_TYPE) {
    throw new ApiError(
      415,
      "request.unsupported_media",
      `Send the form as ${FORM_TYPE}, not "${type || "no content type"}"`,
    );
  }
  return new URLSearchParams(await readText(request, FORM_LIMIT_BYTES));
}

const secure = (request: Request) => new URL(request.url).protocol === "https:";

function html(status: number, body: string): Response {
  return new Response(body, { status, headers: HTML_HEADERS });
}

/** `<base>sign-in`: GET shows the form, POST checks the token and starts a session. */
export async function signIn(request: Request, base: string, guard: RequestGuard): Promise<Response> {
  const url = new URL(request.url);
  const sessions = guard.sessions;
  if (!sessions) return seeOther(base);
  if (request.method === "GET" || request.method === "HEAD") {
    const next = safeNext(url.searchParams.get("next"), base, url);
    if (guard.session(request)) return seeOther(next);
    return html(200, signInPage({ base, next }));
  }
  if (request.method !== "POST") return methodNotAllowed(request, "GET, HEAD, POST");
  const form = await readForm(request);
  const next = safeNext(form.get("next"), base, url);
  if (!guard.tokenMatches(form.get("token") ?? "")) {
    return html(401, signInPage({ base, next, error: WRONG_TOKEN }));
  }
  return seeOther(next, [setSessionCookie(sessions.issue(), secure(request))]);
}

/** `<base>sign-out`: POST with the session's CSRF token (form field `csrf` or header) ends it. */
export async function signOut(request: Request, base: string, guard: RequestGuard): Promise<Response> {
  if (request.method !== "POST") return methodNotAllowed(request, "POST");
  const sessions = guard.sessions;
  if (!sessions) return seeOther(base);
  const session = guard.session(request);
  if (!session) return text(403, "There is no valid session to sign out of.");
  const header = request.headers.get(CSRF_HEADER);
  const candidate =
    header ?? (mediaType(request) === FORM_TYPE ? (await readForm(request)).get("csrf") : null);
  if (!sessions.csrfMatches(session, candidate)) {
    return text(
      403,
      `Signing out needs the session's CSRF token, as the form field csrf or the ${CSRF_HEADER} header.`,
    );
  }
  return seeOther(`${base}sign-in`, [clearSessionCookie(secure(request))]);
}
