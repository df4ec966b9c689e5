// The web dashboard under one or more base paths: `<base>assets/…` are the public bundle's files
// (ETag, 304), `<base>sign-in` and `<base>sign-out` start and end a browser session, and every
// other path under the base is a client-side route answered with the page that loads the app.
// With a token set, a page asks for a session (or the bearer token) and sends a browser without
// one to the sign-in form. The HTTP API's own paths never reach here: the API handler takes them.

import { type DashboardAsset, dashboardAssets } from "../dashboard/assets.js";
import { ApiError } from "./api-error.js";
import { appPage, HTML_HEADERS, SIGN_IN_CSS, SIGN_IN_CSS_ETAG } from "./dashboard-page.js";
import { methodNotAllowed, seeOther, signIn, signOut, text } from "./dashboard-sign-in.js";
import type { Auth, RequestGuard } from "./request-guard.js";
import { clearSessionCookie, sessionCookies } from "./session.js";

/** Where `dashboard: true` serves the dashboard (beside the local explorer API). */
export const DEFAULT_DASHBOARD_BASE = "/cdn-cgi/local/explorer/";

export type DashboardOptions = {
  /** Paths the dashboard is served under, each starting and ending with "/". */
  basePaths: string[];
  guard: RequestGuard;
  onError: (error: unknown, context: string) => void;
};

export type DashboardRoutes = {
  /** True when the path is under one of the base paths (or is one without its final "/"). */
  handles(pathname: string): boolean;
  /** Answers a dashboard request; never throws. */
  fetch(request: Request): Promise<Response>;
};

const SIGN_IN_ASSET: DashboardAsset = {
  body: new TextEncoder().encode(SIGN_IN_CSS),
  type: "text/css; charset=utf-8",
  etag: SIGN_IN_CSS_ETAG,
};

/** True when an If-None-Match header names this ETag (or is "*"). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}

function serveAsset(request: Request, asset: DashboardAsset): Response {
  const headers = { etag: asset.etag, "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  if (matches(request.headers.get("if-none-match"), asset.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(asset.body as Uint8Array<ArrayBuffer>, {
    headers: { ...headers, "content-type": asset.type, "content-length": String(asset.body.byteLength) },
  });
}

export function dashboardRoutes(options: DashboardOptions): DashboardRoutes {
  const { guard, onError } = options;
  for (const base of options.basePaths) {
    if (!base.startsWith("/") || !base.endsWith("/")) {
      throw new TypeError(`dashboard base path "${base}" must start and end with "/"`);
    }
  }
  // The longest base first: under "/" and "/cdn-cgi/local/explorer/", the latter wins its paths.
  const bases = [...options.basePaths].sort((a, b) => b.length - a.length);
  const baseOf = (path: string) => bases.find((base) => path.startsWith(base) || `${path}/` === base);

  async function asset(request: Request, name: string): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(request, "GET, HEAD");
    const found = name === "sign-in.css" ? SIGN_IN_ASSET : (await dashboardAssets()).get(name);
    if (!found) return text(404, `No dashboard asset "${name}"`);
    return serveAsset(request, found);
  }

  async function page(request: Request, base: string, url: URL): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(request, "GET, HEAD");
    let auth: Auth;
    try {
      auth = guard.authenticate(request);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const next = encodeURIComponent(`${url.pathname}${url.search}`);
      // A cookie that is no longer valid (expired, or the token changed) is dropped on the way.
      const stale = sessionCookies(request.headers.get("cookie")).length > 0;
      const secure = url.protocol === "https:";
      return seeOther(`${base}sign-in?next=${next}`, stale ? [clearSessionCookie(secure)] : []);
    }
    const files = await dashboardAssets();
    const body = appPage({
      base,
      csrf: auth.via === "session" ? guard.sessions!.csrf(auth.session) : "",
      session: auth.via === "open" ? "open" : "signed-in",
      cssEtag: files.get("app.css")?.etag ?? "",
      jsEtag: files.get("app.js")?.etag ?? "",
    });
    return new Response(body, { headers: HTML_HEADERS });
  }

  async function route(request: Request): Promise<Response> {
    guard.checkSite(request);
    const url = new URL(request.url);
    const base = baseOf(url.pathname);
    if (base === undefined) return text(404, `No dashboard page ${url.pathname}`);
    if (!url.pathname.startsWith(base)) {
      return new Response(null, { status: 308, headers: { location: `${base}${url.search}` } });
    }
    const rest = url.pathname.slice(base.length);
    if (rest.startsWith("assets/")) return asset(request, rest.slice("assets/".length));
    if (rest === "sign-in") return signIn(request, base, guard);
    if (rest === "sign-out") return signOut(request, base, guard);
    return page(request, base, url);
  }

  return {
    handles: (pathname) => baseOf(pathname) !== undefined,
    async fetch(request) {
      let response: Response;
      try {
        response = await route(request);
      } catch (error) {
        if (error instanceof ApiError) response = text(error.status, error.message);
        else {
          onError(error, "dashboard request");
          response = text(500, "Internal error: the server's log has the details");
        }
      }
      if (request.method !== "HEAD" || !response.body) return response;
      await response.body.cancel().catch(() => {});
      return new Response(null, { status: response.status, headers: response.headers });
    },
  };
}
