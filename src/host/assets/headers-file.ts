// The `_headers` file of the assets folder: a line at the margin names a URL pattern, the
// indented lines under it set headers (`Name: value`) or remove them (`! Name`) on every
// response the assets give for a matching URL. Rules apply in file order; a header set by two
// rules gets both values. Lines that break the rules are skipped and reported.

import { compileRulePattern, fillPlaceholders, matchRulePattern, type RulePattern } from "./rule-pattern.js";

export type HeaderRule = { pattern: RulePattern; set: [string, string][]; unset: string[] };

const MAX_RULES = 100;
const MAX_LINE = 2000;

/** Adds a header line to `rule`; returns what is wrong with the line, if anything. */
function addHeaderLine(rule: HeaderRule | null, content: string): string | null {
  if (!rule) return "a header line must follow a URL pattern line";
  if (content.startsWith("!")) {
    rule.unset.push(content.slice(1).trim());
    return null;
  }
  const colon = content.indexOf(":");
  const name = colon > 0 ? content.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `expected Name: value, got "${content}"`;
  rule.set.push([name, content.slice(colon + 1).trim()]);
  return null;
}

/** The rules of a `_headers` file and the problems of the lines left out. */
export function parseHeadersFile(text: string): { rules: HeaderRule[]; problems: string[] } {
  const rules: HeaderRule[] = [];
  const problems: string[] = [];
  let current: HeaderRule | null = null;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const content = raw.trim();
    if (content === "" || content.startsWith("#")) continue;
    let problem: string | null = null;
    if (raw.length > MAX_LINE) problem = `longer than ${MAX_LINE} characters`;
    else if (/^\s/.test(raw)) problem = addHeaderLine(current, content);
    else {
      // A line at the margin starts a new rule; header lines under a bad one are dropped with it.
      current = null;
      const pattern =
        rules.length >= MAX_RULES ? `more than ${MAX_RULES} rules` : compileRulePattern(content);
      if (typeof pattern === "string") problem = `${content}: ${pattern}`;
      else {
        current = { pattern, set: [], unset: [] };
        rules.push(current);
      }
    }
    if (problem) problems.push(`_headers line ${index + 1}: ${problem}`);
  }
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
