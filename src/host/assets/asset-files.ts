// The files of the assets folder, looked up by URL path with a stat per request (no index to go
// stale), so a file changed or added while `cairn dev` runs is served at the next request. A
// path never reaches outside the folder: `.` and `..` segments, backslashes and NUL bytes are
// refused, and a symlink is followed only when it stays inside. Each file's ETag is a hash of
// its content, kept until its size, mtime or inode change.

import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { lookup } from "mime-types";
import { AssetsIgnore } from "./ignore-file.js";

/** A file that is an asset. */
export type AssetFile = {
  /** Absolute path on disk. */
  path: string;
  size: number;
  /** Hex content hash (unquoted); the ETag header is this in quotes. */
  etag: string;
  contentType: string;
};

type Hashed = { key: string; etag: string };

/** The content type Cloudflare sends for a file name: text types carry `charset=utf-8`. */
export function contentTypeFor(name: string): string {
  const type = lookup(name) || "application/octet-stream";
  return type.startsWith("text/") ? `${type}; charset=utf-8` : type;
}

/**
 * The folder-relative path (slash-separated) a decoded URL path names, or null when it could
 * name something outside the folder or is not a file name (a folder path ending in `/`).
 */
export function relativeAssetPath(urlPath: string): string | null {
  if (!urlPath.startsWith("/")) return null;
  const segments = urlPath.slice(1).split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") return null;
    if (segment.includes("\\") || segment.includes("\0")) return null;
  }
  return segments.join("/");
}

export class AssetFiles {
  readonly directory: string;
  private root: string | null = null;
  private readonly hashes = new Map<string, Hashed>();
  private ignore: { key: string; rules: AssetsIgnore } | null = null;
  private readonly ruleFiles = new Map<string, { text: string; key: string }>();

  constructor(directory: string) {
    this.directory = directory;
  }

  /** The asset at the decoded URL path `urlPath`, or null when there is none. */
  async find(urlPath: string): Promise<AssetFile | null> {
    const relative = relativeAssetPath(urlPath);
    if (relative === null) return null;
    if ((await this.ignoreRules()).ignores(relative)) return null;
    const path = join(this.directory, ...relative.split("/"));
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return null;
    if (!(await this.inside(path))) return null;
    const etag = await this.etagOf(path, `${info.size}:${info.mtimeMs}:${info.ino}:${info.ctimeMs}`);
    if (etag === null) return null;
    return { path, size: info.size, etag, contentType: contentTypeFor(path) };
  }

  /**
   * A rule file at the top of the folder (`.assetsignore`, `_headers`, `_redirects`) with a key
   * that changes when the file does, or null if it is absent. It is read again only when its
   * size, mtime or inode change; a stat per request sees an edit at once.
   */
  async readRuleFile(name: string): Promise<{ text: string; key: string } | null> {
    const path = join(this.directory, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return null;
    const key = `${info.size}:${info.mtimeMs}:${info.ino}:${info.ctimeMs}`;
    const known = this.ruleFiles.get(name);
    if (known?.key === key) return known;
    const text = await readFile(path, "utf8").catch(() => null);
    if (text === null) return null;
    const read = { text, key };
    this.ruleFiles.set(name, read);
    return read;
  }

  private async ignoreRules(): Promise<AssetsIgnore> {
    const file = await this.readRuleFile(".assetsignore");
    const key = file?.key ?? "none";
    if (this.ignore?.key !== key) this.ignore = { key, rules: new AssetsIgnore(file?.text ?? "") };
    return this.ignore.rules;
  }

  /** Whether `path`, symlinks resolved, is still inside the folder. */
  private async inside(path: string): Promise<boolean> {
    this.root ??= await realpath(this.directory);
    const resolved = await realpath(path).catch(() => null);
    return resolved?.startsWith(this.root + sep) === true;
  }

  private async etagOf(path: string, key: string): Promise<string | null> {
    const known = this.hashes.get(path);
    if (known?.key === key) return known.etag;
    const content = await readFile(path).catch(() => null);
    if (content === null) return null;
    const etag = createHash("sha256").update(content).digest("hex").slice(0, 32);
    this.hashes.set(path, { key, etag });
    return etag;
  }
}
