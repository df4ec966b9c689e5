// The URL patterns of the `_headers` and `_redirects` files: a path (or an https:// URL to match
// the host too) where `*` captures any run of characters as `:splat` and `:name` captures one
// path segment (one host label in the host part). Captured values fill the same names in a
// rule's target or header values.

export type RulePattern = { regExp: RegExp; withHost: boolean };

const PLACEHOLDER = /:([A-Za-z]\w*)/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** The pattern of `source`, or a message saying why it is not one. */
export function compileRulePattern(source: string): RulePattern | string {
  const withHost = source.startsWith("https://");
  if (!withHost && !source.startsWith("/")) return "it must start with / or https://";
  if ((source.match(/\*/g) ?? []).length > 1) return "it may use * only once";
  const names = new Set<string>();
  const hostEnd = withHost ? source.indexOf("/", "https://".length) : 0;
  let regex = "";
  let last = 0;
  const pieces = [...source.matchAll(/\*|:([A-Za-z]\w*)/g)];
  for (const piece of pieces) {
    const at = piece.index ?? 0;
    regex += escapeRegExp(source.slice(last, at));
    last = at + piece[0].length;
    if (piece[0] === "*") {
      names.add("splat");
      regex += "(?<splat>.*)";
      continue;
    }
    const name = piece[1]!;
    if (names.has(name)) return `it uses :${name} twice`;
    names.add(name);
    const inHost = withHost && (hostEnd === -1 || at < hostEnd);
    regex += inHost ? `(?<${name}>[^/.]+)` : `(?<${name}>[^/]+)`;
  }
  regex += escapeRegExp(source.slice(last));
  return { regExp: new RegExp(`^${regex}$`), withHost };
}

/** The captures of `pattern` for `url`, or null when it does not match. */
export function matchRulePattern(pattern: RulePattern, url: URL): Record<string, string> | null {
  const subject = pattern.withHost ? `https://${url.hostname}${url.pathname}` : url.pathname;
  const found = pattern.regExp.exec(subject);
  return found ? { ...(found.groups ?? {}) } : null;
}

/** `text` with each `:name` that was captured replaced by its value; others stay as written. */
export function fillPlaceholders(text: string, captures: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => captures[name] ?? whole);
}

/** Whether `source` has no `*` or `:name`, so it matches one path only. */
export function isStaticPattern(source: string): boolean {
  return !source.includes("*") && !/:[A-Za-z]/.test(source);
}
