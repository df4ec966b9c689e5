// A browser's sign-in, so the API token never sits in a URL or in the page's JavaScript. Signing
// in with the token sets an HttpOnly cookie `cairn_session=v1.<expiresAtMs>.<mac>` where mac is
// base64url HMAC-SHA256(key = the API token, "cairn-session:" + expiresAtMs); it is valid for 7
// days, and changing the token invalidates every session. A session's CSRF token is base64url
// HMAC-SHA256(key = the API token, "cairn-csrf:" + the cookie's value): the page carries it and
// writes send it back as `x-cairn-csrf`, which a page of another origin cannot read or forge.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "cairn_session";
export const CSRF_HEADER = "x-cairn-csrf";
/** How long a session lasts: 7 days. */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

const VALUE = /^v1\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/;

/** Issues and checks session cookies and their CSRF tokens, keyed by the API token. */
export class Sessions {
  readonly #key: string;

  constructor(token: string) {
    this.#key = token;
  }

  /** A new session's cookie value, valid for SESSION_MAX_AGE_SECONDS from `now`. */
  issue(now: number = Date.now()): string {
    const expiresAt = now + SESSION_MAX_AGE_SECONDS * 1000;
    return `v1.${expiresAt}.${this.#mac(`cairn-session:${expiresAt}`)}`;
  }

  /** True for a cookie value this token issued that has not expired. */
  valid(value: string, now: number = Date.now()): boolean {
    const match = VALUE.exec(value);
    if (!match) return false;
    const expiresAt = match[1]!;
    return Number(expiresAt) > now && same(match[2]!, this.#mac(`cairn-session:${expiresAt}`));
  }

  /** The CSRF token of the session with this cookie value. */
  csrf(value: string): string {
    return this.#mac(`cairn-csrf:${value}`);
  }

  /** True when `candidate` is the CSRF token of this session (compared in constant time). */
  csrfMatches(value: string, candidate: string | null | undefined): boolean {
    return typeof candidate === "string" && candidate !== "" && same(candidate, this.csrf(value));
  }

  #mac(message: string): string {
    return createHmac("sha256", this.#key).update(message, "utf8").digest("base64url");
  }
}

/** Every value named `cairn_session` in a Cookie header (a browser may send more than one). */
export function sessionCookies(header: string | null): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/**
 * The request without its `cairn_session` cookies. A cookie goes to every port of a host name,
 * so the dashboard's session would otherwise reach the user's Worker (the same origin in
 * `cairn dev`, the next port in `cairn start`), which might forward or log it.
 */
export function withoutSessionCookie(request: Request): Request {
  const header = request.headers.get("cookie");
  if (!header || sessionCookies(header).length === 0) return request;
  const kept = header
    .split(";")
    .filter((part) => {
      const eq = part.indexOf("=");
      return eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE;
    })
    .join(";")
    .trim();
  const headers = new Headers(request.headers);
  if (kept) headers.set("cookie", kept);
  else headers.delete("cookie");
  return new Request(request, { headers });
}

const ATTRIBUTES = "HttpOnly; SameSite=Strict; Path=/";

/** The Set-Cookie header that starts a session (Secure when the page came over https). */
export function setSessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; ${ATTRIBUTES}; Max-Age=${SESSION_MAX_AGE_SECONDS}${secure ? "; Secure" : ""}`;
}

/** The Set-Cookie header that ends a session. */
export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** Compared as digests: equal lengths for timingSafeEqual, whatever was sent. */
function same(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}
