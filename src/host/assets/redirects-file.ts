// The `_redirects` file of the assets folder: one rule a line, `<from> <to> [status]`, `#` for
// comments. A rule that names one path wins over patterns; patterns are tried in file order.
// Status 301, 302 (the default), 303, 307 and 308 redirect; 200 serves another path's asset at
// this URL. Lines that break the rules are skipped and reported, as wrangler does.

import {
  compileRulePattern,
  fillPlaceholders,
  isStaticPattern,
  matchRulePattern,
  type RulePattern,
} from "./rule-pattern.js";

export type RedirectRule = { line: number; source: string; pattern: RulePattern; to: string; status: number };
export type RedirectRules = { exact: Map<string, RedirectRule>; patterns: RedirectRule[] };

const REDIRECT_STATUSES = new Set([200, 301, 302, 303, 307, 308]);
const MAX_STATIC = 2000;
const MAX_DYNAMIC = 100;
const MAX_LINE = 1000;

/** Adds the rule on one line to `rules`; returns what is wrong with the line, if anything. */
function addRedirectLine(rules: RedirectRules, raw: string, line: number): string | null {
  if (raw.length > MAX_LINE) return `longer than ${MAX_LINE} characters`;
  const [source, to, statusText, ...rest] = raw.trim().split(/\s+/);
  if (!source || !to || rest.length > 0) return "expected <from> <to> [status]";
  const status = statusText === undefined ? 302 : Number(statusText);
  if (!REDIRECT_STATUSES.has(status)) {
    return `status ${statusText} is not one of ${[...REDIRECT_STATUSES].join(", ")}`;
  }
  if (status === 200 && !to.startsWith("/")) return "a 200 rule must serve a path of this site";
  const pattern = compileRulePattern(source);
  if (typeof pattern === "string") return `${source}: ${pattern}`;
  const rule = { line, source, pattern, to, status };
  if (isStaticPattern(source)) {
    if (rules.exact.size >= MAX_STATIC) return `more than ${MAX_STATIC} rules for single paths`;
    if (!rules.exact.has(source)) rules.exact.set(source, rule);
  } else {
    if (rules.patterns.length >= MAX_DYNAMIC) return `more than ${MAX_DYNAMIC} rules with * or :name`;
    rules.patterns.push(rule);
  }
  return null;
}

/** The rules of a `_redirects` file and the problems of the lines left out. */
export function parseRedirectsFile(text: string): { rules: RedirectRules; problems: string[] } {
  const rules: RedirectRules = { exact: new Map(), patterns: [] };
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const content = raw.trim();
    if (content === "" || content.startsWith("#")) continue;
    const problem = addRedirectLine(rules, raw, index + 1);
    if (problem) problems.push(`_redirects line ${index + 1}: ${problem}`);
  }
  return { rules, problems };
}

/** The redirect for `url` under `rules`: its status and target with placeholders filled. */
export function findRedirect(rules: RedirectRules, url: URL): { status: number; to: string } | null {
  const byPath = rules.exact.get(url.pathname);
  const byUrl = rules.exact.get(`https://${url.hostname}${url.pathname}`);
  const exact = byPath && byUrl ? (byPath.line < byUrl.line ? byPath : byUrl) : (byPath ?? byUrl);
  if (exact) return { status: exact.status, to: exact.to };
  for (const rule of rules.patterns) {
    const captures = matchRulePattern(rule.pattern, url);
    if (captures) return { status: rule.status, to: fillPlaceholders(rule.to, captures) };
  }
  return null;
}

/**
 * The Location for a redirect to `to` from `url`: a path on this site keeps the request's query
 * unless the target gives its own; another site's URL is used as written.
 */
export function redirectLocation(to: string, url: URL): string {
  const target = new URL(to, url);
  const search = target.search || url.search;
  if (target.origin === url.origin) return `${target.pathname}${search}${target.hash}`;
  return `${target.origin}${target.pathname}${search}${target.hash}`;
}
