// Which asset a decoded URL path names, as Cloudflare decides it: `html_handling` lets /page
// serve page.html and /folder/ serve folder/index.html, and redirects the other spellings of
// those paths to the canonical one; `not_found_handling` picks what a miss serves. A redirect is
// only made to a path that would serve the very same file, so it can never loop or mislead.

import type { AssetFile } from "./asset-files.js";
import type { HtmlHandling, NotFoundHandling } from "./assets-config.js";

/** What a path resolves to: an asset (with its status), a redirect to another path, or nothing. */
export type Resolution =
  | { kind: "asset"; file: AssetFile; status: 200 | 404 }
  | { kind: "redirect"; to: string }
  | null;

export type Lookup = (path: string) => Promise<AssetFile | null>;

export type ResolveOptions = { html: HtmlHandling; notFound: NotFoundHandling };

type Step = () => Promise<Resolution>;

/** The endings of a path that html_handling treats specially ("" for any other path). */
type Ending = "/index" | "/index.html" | "/" | ".html" | "";

/** The ending of `path` that html_handling cares about, and the path without it. */
function shapeOf(path: string): { ending: Ending; base: string } {
  for (const ending of ["/index.html", "/index", "/", ".html"] as const) {
    if (path.endsWith(ending)) return { ending, base: path.slice(0, path.length - ending.length) };
  }
  return { ending: "", base: path };
}

function served(file: AssetFile | null): Resolution {
  return file ? { kind: "asset", file, status: 200 } : null;
}

/** Resolves paths for one request: `find` looks an asset up by path. */
class Resolver {
  private readonly seen = new Map<string, Promise<AssetFile | null>>();
  private readonly options: ResolveOptions;
  private readonly lookup: Lookup;

  constructor(lookup: Lookup, options: ResolveOptions) {
    this.lookup = lookup;
    this.options = options;
  }

  /** Looks `path` up once per request, however many steps ask about it. */
  private find(path: string): Promise<AssetFile | null> {
    let found = this.seen.get(path);
    if (!found) {
      found = this.lookup(path);
      this.seen.set(path, found);
    }
    return found;
  }

  async resolve(path: string, allowRedirects = true): Promise<Resolution> {
    const steps = this.steps(path, allowRedirects);
    for (const step of steps) {
      const result = await step();
      if (result) return result;
    }
    return this.notFound(path);
  }

  /** Serves `path` itself if it is an asset. */
  private exact(path: string): Step {
    return async () => served(await this.find(path));
  }

  /** Serves `file` at the requested path if it exists. */
  private serve(file: string): Step {
    return async () => served(await this.find(file));
  }

  /**
   * Redirects to `to` when `file` exists, `to` is not itself an asset, and `to` resolves (without
   * further redirects) to the same content as `file`.
   */
  private redirect(file: string, to: string, allowed: boolean): Step {
    return async () => {
      if (!allowed || (await this.find(to))) return null;
      const target = await this.resolve(to, false);
      const source = await this.find(file);
      if (target?.kind === "asset" && source && target.file.etag === source.etag)
        return { kind: "redirect", to };
      return null;
    };
  }

  /**
   * The steps for `p` in order, the first to give an answer winning: first those for the
   * path's ending (`/index`, `/index.html`, `/`, `.html`), then those for any path. `r` says
   * whether redirects may be made (not while checking where a redirect would lead).
   */
  private steps(p: string, r: boolean): Step[] {
    const { ending, base } = shapeOf(p);
    const root = base === "";
    switch (this.options.html) {
      case "none":
        return [this.exact(p)];
      case "auto-trailing-slash": {
        const byEnding: Record<Ending, Step[]> = {
          "/index": [
            this.exact(p),
            this.redirect(`${base}/index.html`, `${base}/`, r),
            this.redirect(`${base}.html`, base, r),
          ],
          "/index.html": [this.redirect(p, `${base}/`, r), this.redirect(`${base}.html`, base, r)],
          "/": [this.serve(`${base}/index.html`), this.redirect(`${base}.html`, base, r)],
          ".html": [this.redirect(p, base, r), this.redirect(`${base}/index.html`, `${base}/`, r)],
          "": [],
        };
        return [
          ...byEnding[ending],
          this.exact(p),
          this.serve(`${p}.html`),
          this.redirect(`${p}/index.html`, `${p}/`, r),
        ];
      }
      case "force-trailing-slash": {
        const byEnding: Record<Ending, Step[]> = {
          "/index": [
            this.exact(p),
            this.redirect(`${base}/index.html`, `${base}/`, r),
            this.redirect(`${base}.html`, `${base}/`, r),
          ],
          "/index.html": [this.redirect(p, `${base}/`, r), this.redirect(`${base}.html`, `${base}/`, r)],
          "/": [this.serve(`${base}/index.html`), this.serve(`${base}.html`)],
          ".html": [
            this.redirect(p, `${base}/`, r),
            this.exact(p),
            this.redirect(`${base}/index.html`, `${base}/`, r),
          ],
          "": [],
        };
        return [
          ...byEnding[ending],
          this.exact(p),
          this.redirect(`${p}.html`, `${p}/`, r),
          this.redirect(`${p}/index.html`, `${p}/`, r),
        ];
      }
      case "drop-trailing-slash": {
        // The root keeps its slash: "/" is the only spelling of the top folder.
        const byEnding: Record<Ending, Step[]> = {
          "/index": root
            ? [this.exact(p), this.redirect("/index.html", "/", r)]
            : [
                this.exact(p),
                this.redirect(`${base}.html`, base, r),
                this.redirect(`${base}/index.html`, base, r),
              ],
          "/index.html": root
            ? [this.redirect(p, "/", r)]
            : [this.redirect(p, base, r), this.exact(p), this.redirect(`${base}.html`, base, r)],
          "/": root
            ? [this.serve("/index.html")]
            : [this.redirect(`${base}.html`, base, r), this.redirect(`${base}/index.html`, base, r)],
          ".html": [this.redirect(p, base, r), this.redirect(`${base}/index.html`, base, r)],
          "": [],
        };
        return [...byEnding[ending], this.exact(p), this.serve(`${p}.html`), this.serve(`${p}/index.html`)];
      }
    }
  }

  private async notFound(path: string): Promise<Resolution> {
    if (this.options.notFound === "single-page-application") return served(await this.find("/index.html"));
    if (this.options.notFound === "404-page") {
      // The nearest 404.html: in the request's folder, then each folder above it.
      let folder = path;
      while (folder) {
        folder = folder.slice(0, folder.lastIndexOf("/"));
        const page = await this.find(`${folder}/404.html`);
        if (page) return { kind: "asset", file: page, status: 404 };
      }
    }
    return null;
  }
}

/** What the decoded path `path` resolves to under `options`, looking assets up with `find`. */
export function resolveAssetPath(path: string, options: ResolveOptions, find: Lookup): Promise<Resolution> {
  return new Resolver(find, options).resolve(path);
}
