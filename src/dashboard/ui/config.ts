// What the server wrote into the page: where the dashboard lives (its base path), the CSRF token
// for the signed-in session, and whether a session exists at all (a token is required).

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

const rawBase = meta("cairn-base") || "/";

export const config = {
  /** The base path, always ending with "/": `/cdn-cgi/local/explorer/` or `/`. */
  base: rawBase.endsWith("/") ? rawBase : `${rawBase}/`,
  /** Sent as `x-cairn-csrf` with every write when signed in. */
  csrf: meta("cairn-csrf"),
  /** True when the server requires a token and this browser signed in with one. */
  signedIn: meta("cairn-session") === "signed-in",
};

/** The router's base: the base path without its trailing slash ("" at the root). */
export const routerBase = config.base.replace(/\/$/, "");

/** Cairn's own routes and the explorer API, both absolute on this origin. */
export const CAIRN_API = "/cairn/api";
export const EXPLORER_API = "/cdn-cgi/local/explorer/api";
