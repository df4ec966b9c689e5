// Who may call the API. A browser page on another site must not drive it: a request whose Host
// is not a loopback name, an IP address or a name the operator allowed is refused (a DNS
// rebinding attack arrives under the attacker's host name), and so is a write whose Origin is
// another site. When a token is set, every request must carry it as `Authorization: Bearer`.

import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { ApiError, CF_CODE } from "./api-error.js";

export type GuardOptions = {
  /** The bearer token every request must carry; none means no token is asked for. */
  token?: string | undefined;
  /** Host names besides loopback names and IP addresses that requests may address. */
  allowedHosts?: string[] | undefined;
};

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

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

  constructor(options: GuardOptions = {}) {
    this.#token = options.token ? digest(options.token) : null;
    this.#allowed = new Set((options.allowedHosts ?? []).map((h) => hostName(h)));
  }

  /** Throws ApiError 401/403 when the request may not go on. */
  check(request: Request): void {
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
    if (this.#token) this.#checkToken(request.headers.get("authorization"));
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
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
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
