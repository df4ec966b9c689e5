// Who may call the API. A browser page on another site must not drive it: a request whose Host
// is not a loopback name, an IP address or a name the operator allowed is refused (a DNS
// rebinding attack arrives under the attacker's host name), and so is a write whose Origin is
// another site. When a token is set, every request must carry it as `Authorization: Bearer`, or
// (a browser signed in to the dashboard) carry a valid session cookie and, for a write, the
// session's CSRF token in `x-cairn-csrf` (see session.ts).

import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { ApiError, CF_CODE } from "./api-error.js";
import { CSRF_HEADER, Sessions, sessionCookies } from "./session.js";

export type GuardOptions = {
  /** The bearer token every request must carry; none means no token is asked for. */
  token?: string | undefined;
  /** Host names besides loopback names and IP addresses that requests may address. */
  allowedHosts?: string[] | undefined;
};

/** How a request proved who it is: no token is set, the bearer token, or a session cookie. */
export type Auth = { via: "open" } | { via: "bearer" } | { via: "session"; session: string };

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const BEARER = /^Bearer\s+(.+)$/i;

/** The host name of a Host header or origin ("[::1]:8787" → "::1"), lower case. */
export function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") > 0 ? host.indexOf("]") : undefined);
  const colon = host.lastIndexOf(":");
  return colon > 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

/** True for localhost names and the loopback addresses. */
export function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** True for an address only this machine reaches (what binding to needs no token). */
export function isLoopbackAddress(address: string): boolean {
  return address === "localhost" || address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address);
}

export class RequestGuard {
  readonly #token: Buffer | null;
  readonly #allowed: Set<string>;
  /** Sessions keyed by the token; null when no token is set (cookies are then ignored). */
  readonly sessions: Sessions | null;

  constructor(options: GuardOptions = {}) {
    this.#token = options.token ? digest(options.token) : null;
    this.sessions = options.token ? new Sessions(options.token) : null;
    this.#allowed = new Set((options.allowedHosts ?? []).map((h) => hostName(h)));
  }

  /** Throws ApiError 401/403 when the request may not go on; answers how it was authenticated. */
  check(request: Request): Auth {
    this.checkSite(request);
    return this.authenticate(request);
  }

  /** Throws ApiError 403 for a Host that is not this server's or a write from another site. */
  checkSite(request: Request): void {
    const host = this.checkHost(request);
    const origin = request.headers.get("origin");
    if (origin && !SAFE_METHODS.has(request.method) && !this.#originAllowed(origin, host)) {
      throw new ApiError(
        403,
        "origin.not_allowed",
        `Invalid Origin header "${origin}": a write may only come from this server's own site`,
        CF_CODE.internal,
      );
    }
  }

  /**
   * Checks the token: the bearer header when there is one, else a session cookie (with the
   * CSRF header on a write). Throws ApiError 401 (no or wrong credentials) or 403 `auth.csrf`.
   */
  authenticate(request: Request): Auth {
    if (!this.#token || !this.sessions) return { via: "open" };
    const header = request.headers.get("authorization");
    // Any other scheme (a proxy's Basic sign-in in front of Cairn) leaves the cookie to decide.
    const bearer = header !== null && BEARER.test(header);
    if (!bearer && sessionCookies(request.headers.get("cookie")).length > 0) {
      const session = this.session(request);
      if (!session) {
        throw new ApiError(
          401,
          "auth.invalid",
          "The session cookie has expired or is not valid for this server: sign in again",
          CF_CODE.internal,
        );
      }
      if (
        !SAFE_METHODS.has(request.method) &&
        !this.sessions.csrfMatches(session, request.headers.get(CSRF_HEADER))
      ) {
        throw new ApiError(
          403,
          "auth.csrf",
          `A write signed in by the session cookie must carry the session's CSRF token in the '${CSRF_HEADER}' header (the dashboard page's cairn-csrf meta tag)`,
          CF_CODE.internal,
        );
      }
      return { via: "session", session };
    }
    this.#checkToken(header);
    return { via: "bearer" };
  }

  /** The request's valid session cookie, if it has one (never when no token is set). */
  session(request: Request): string | null {
    const sessions = this.sessions;
    if (!sessions) return null;
    const now = Date.now();
    return sessionCookies(request.headers.get("cookie")).find((value) => sessions.valid(value, now)) ?? null;
  }

  /** True when a token is set and `candidate` is it (compared in constant time). */
  tokenMatches(candidate: string): boolean {
    return this.#token !== null && timingSafeEqual(digest(candidate), this.#token);
  }

  /** Throws ApiError 403 unless the Host header names this server; returns it. */
  checkHost(request: Request): string {
    const host = request.headers.get("host");
    if (!host || !validAuthority(host) || !this.#hostAllowed(hostName(host))) {
      throw new ApiError(
        403,
        "host.not_allowed",
        `Invalid Host header "${host ?? ""}": only loopback names, IP addresses and the names given with --admin-host may reach this API`,
        CF_CODE.internal,
      );
    }
    return host;
  }

  /** True when a browser page of this origin may read answers (CORS). */
  originAllowed(origin: string, host: string | null): boolean {
    return this.#originAllowed(origin, host ?? "");
  }

  #hostAllowed(name: string): boolean {
    return isLoopbackName(name) || isIP(name) !== 0 || this.#allowed.has(name);
  }

  #originAllowed(origin: string, host: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.host.toLowerCase() === host.trim().toLowerCase()) return true;
    const name = hostName(url.host);
    return isLoopbackName(name) || this.#allowed.has(name);
  }

  #checkToken(header: string | null): void {
    const match = BEARER.exec(header ?? "");
    if (!match) {
      throw new ApiError(
        401,
        "auth.missing",
        "This API needs a token: send it as 'Authorization: Bearer <token>' (the server's --api-token or CAIRN_API_TOKEN)",
        CF_CODE.internal,
      );
    }
    if (!timingSafeEqual(digest(match[1]!.trim()), this.#token!)) {
      throw new ApiError(401, "auth.invalid", "The API token is not valid for this server", CF_CODE.internal);
    }
  }
}

/** True for a bare "name[:port]" (no user, no path, a numeric port), as a Host header must be. */
function validAuthority(host: string): boolean {
  try {
    const url = new URL(`http://${host}`);
    return (
      url.host !== "" && !url.username && !url.password && url.pathname === "/" && !url.search && !url.hash
    );
  } catch {
    return false;
  }
}

/** Compared as digests: equal lengths for timingSafeEqual, whatever the token's length. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
