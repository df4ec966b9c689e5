// `.assetsignore` in the assets folder: files it names are not assets (never served), written in
// the .gitignore syntax Cloudflare uses for it: `#` comments, `!` to re-include, a leading `/` to
// anchor at the folder, a trailing `/` for folders only, `*`, `?` and `**`. The file itself and
// the `_headers` and `_redirects` rule files are never served either, as on Cloudflare.

/** Files that configure the assets rather than being assets. */
export const RESERVED_FILES = new Set([".assetsignore", "_headers", "_redirects"]);

type IgnoreRule = { negate: boolean; directoryOnly: boolean; pattern: RegExp };

function patternToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*" && glob[i + 1] === "*") {
      // "**/" matches any number of folders (none included); a trailing "**" matches everything.
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "\\" && i + 1 < glob.length)
      source += glob[++i]!.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    else source += char.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function parseLine(line: string): IgnoreRule | null {
  let text = line.replace(/(?<!\\)\s+$/, "");
  if (text === "" || text.startsWith("#")) return null;
  const negate = text.startsWith("!");
  if (negate) text = text.slice(1);
  const directoryOnly = text.endsWith("/");
  if (directoryOnly) text = text.slice(0, -1);
  // A pattern with a slash before its end is relative to the folder; one without matches at any depth.
  const anchored = text.includes("/");
  if (text.startsWith("/")) text = text.slice(1);
  if (text === "") return null;
  return { negate, directoryOnly, pattern: patternToRegExp(anchored ? text : `**/${text}`) };
}

/** The rules of an `.assetsignore` file's text. */
export class AssetsIgnore {
  private readonly rules: IgnoreRule[];

  constructor(text: string) {
    this.rules = text.split(/\r?\n/).flatMap((line) => parseLine(line) ?? []);
  }

  /**
   * Whether the file at `relativePath` (slash-separated, no leading slash) is excluded. A file is
   * excluded when it, or a folder it is in, matches the last rule that speaks of it.
   */
  ignores(relativePath: string): boolean {
    const parts = relativePath.split("/");
    if (RESERVED_FILES.has(relativePath)) return true;
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join("/");
      const isFolder = depth < parts.length;
      if (this.decide(path, isFolder)) return true;
    }
    return false;
  }

  private decide(path: string, isFolder: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.directoryOnly && !isFolder) continue;
      if (rule.pattern.test(path)) ignored = !rule.negate;
    }
    return ignored;
  }
}
