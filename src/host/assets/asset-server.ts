// Answers requests from the assets folder the way Cloudflare's asset server does: it applies
// `_redirects`, decodes the path, resolves it through html_handling and not_found_handling,
// redirects (307) to the canonical spelling of a path, refuses methods other than GET and HEAD
// (405) on a path that names an asset, serves the file, and adds `_headers`. It can also say
// whether it would answer at all, which is how the router decides between assets and Worker.

import type { AssetFiles } from "./asset-files.js";
import { assetResponse } from "./asset-response.js";
import type { AssetsConfig, NotFoundHandling } from "./assets-config.js";
import { withRuleHeaders } from "./headers-file.js";
import { resolveAssetPath } from "./html-handling.js";
import { findRedirect, redirectLocation } from "./redirects-file.js";
import type { AssetRuleFiles } from "./rule-files.js";

/** What the assets make of a request: a response to send, or null when no asset matches. */
type Answer = { respond: () => Promise<Response> } | null;

/**
 * Each segment percent-decoded (one that does not decode is kept as is) and runs of slashes made
 * one. An encoded slash thus becomes a real one; the file lookup then refuses `..` and the like.
 */
export function decodeAssetPath(pathname: string): string {
  const decoded = pathname.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  return decoded.join("/").replace(/\/+/g, "/");
}

/** The canonical URL spelling of a decoded path: every segment percent-encoded. */
export function encodeAssetPath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

const STATUS_TEXT: Record<number, string> = {
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
};

function emptyResponse(status: number, statusText: string, headers?: Record<string, string>): Response {
  return new Response(null, { status, statusText, ...(headers ? { headers } : {}) });
}

export class AssetServer {
  private readonly config: AssetsConfig;
  private readonly files: AssetFiles;
  private readonly rules: AssetRuleFiles;

  constructor(config: AssetsConfig, files: AssetFiles, rules: AssetRuleFiles) {
    this.config = config;
    this.files = files;
    this.rules = rules;
  }

  /**
   * Whether the assets would answer `request` ahead of the Worker. single-page-application
   * handling counts only for navigations, and only where they prefer assets; a miss otherwise
   * goes to the Worker.
   */
  async answers(request: Request): Promise<boolean> {
    const navigation =
      this.config.navigationPrefersAssets && request.headers.get("Sec-Fetch-Mode") === "navigate";
    const notFound =
      this.config.notFoundHandling === "single-page-application" && !navigation
        ? "none"
        : this.config.notFoundHandling;
    return (await this.answer(request, notFound)) !== null;
  }

  /** The assets' response to `request`: an asset, a redirect, a 405, or an empty 404; `_headers` added. */
  async serve(request: Request): Promise<Response> {
    const answer = await this.answer(request, this.config.notFoundHandling);
    const response = answer ? await answer.respond() : emptyResponse(404, "Not Found");
    return withRuleHeaders(response, await this.rules.headers(), new URL(request.url));
  }

  private async answer(request: Request, notFound: NotFoundHandling): Promise<Answer> {
    const url = new URL(request.url);
    let pathname = url.pathname;
    const redirect = findRedirect(await this.rules.redirects(), url);
    if (redirect && redirect.status !== 200) {
      const location = redirectLocation(redirect.to, url);
      return {
        respond: async () =>
          emptyResponse(redirect.status, STATUS_TEXT[redirect.status]!, { Location: location }),
      };
    }
    // A 200 rule serves another path's asset at this URL; a miss there is a plain 404.
    if (redirect) pathname = new URL(redirect.to, url).pathname;
    const path = decodeAssetPath(pathname);
    const resolution = await resolveAssetPath(
      path,
      { html: this.config.htmlHandling, notFound },
      (candidate) => this.files.find(candidate),
    );
    if (!resolution) return redirect ? { respond: async () => emptyResponse(404, "Not Found") } : null;
    const method = request.method.toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      return { respond: async () => emptyResponse(405, "Method Not Allowed") };
    }
    const destination = encodeAssetPath(resolution.kind === "redirect" ? resolution.to : path);
    if (resolution.kind === "redirect" || destination !== pathname) {
      const location = `${destination}${url.search}`;
      return { respond: async () => emptyResponse(307, "Temporary Redirect", { Location: location }) };
    }
    return { respond: () => assetResponse(request, resolution.file, resolution.status) };
  }
}
