// The `_headers` file of the assets folder: a line at the margin names a URL pattern, the
// indented lines under it set headers (`Name: value`) or remove them (`! Name`) on every
// response the assets give for a matching URL. Rules apply in file order; a header set by two
// rules gets both values. Lines that break the rules are skipped and reported.

import { compileRulePattern, fillPlaceholders, matchRulePattern, type RulePattern } from "./rule-pattern.js";

export type HeaderRule = { pattern: RulePattern; set: [string, string][]; unset: string[] };

const MAX_RULES = 100;
const MAX_LINE = 2000;

/** The rules of a `_headers` file and the problems of the lines left out. */
export function parseHeadersFile(text: string): { rules: HeaderRule[]; problems: string[] } {
  const rules: HeaderRule[] = [];
  const problems: string[] = [];
  let current: HeaderRule | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const problem = (message: string) => problems.push(`_headers line ${index + 1}: ${message}`);
    const content = raw.trim();
    if (content === "" || content.startsWith("#")) return;
    if (raw.length > MAX_LINE) return problem(`longer than ${MAX_LINE} characters`);
    if (!/^\s/.test(raw)) {
      current = null;
      if (rules.length >= MAX_RULES) return problem(`more than ${MAX_RULES} rules`);
      const pattern = compileRulePattern(content);
      if (typeof pattern === "string") return problem(`${content}: ${pattern}`);
      current = { pattern, set: [], unset: [] };
      rules.push(current);
      return;
    }
    const rule = current as HeaderRule | null;
    if (!rule) return problem("a header line must follow a URL pattern line");
    if (content.startsWith("!")) {
      rule.unset.push(content.slice(1).trim());
      return;
    }
    const colon = content.indexOf(":");
    const name = colon > 0 ? content.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return problem(`expected Name: value, got "${content}"`);
    rule.set.push([name, content.slice(colon + 1).trim()]);
  });
  return { rules, problems };
}

/** `response` with the headers of every rule matching `url` set and removed, in file order. */
export function withRuleHeaders(response: Response, rules: HeaderRule[], url: URL): Response {
  const matching = rules.flatMap((rule) => {
    const captures = matchRulePattern(rule.pattern, url);
    return captures ? [{ rule, captures }] : [];
  });
  if (matching.length === 0) return response;
  const headers = new Headers(response.headers);
  const setByRules = new Set<string>();
  for (const { rule, captures } of matching) {
    for (const name of rule.unset) headers.delete(name);
    for (const [name, value] of rule.set) {
      const filled = fillPlaceholders(value, captures);
      if (setByRules.has(name.toLowerCase())) headers.append(name, filled);
      else headers.set(name, filled);
      setByRules.add(name.toLowerCase());
    }
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
