// The route patterns of `assets.run_worker_first`: "/api/*" sends matching paths to the Worker
// ahead of the assets, "!/api/docs/*" sends them to the assets even so (a negative rule wins over
// a positive one). `*` matches any run of characters, `/` included; nothing else is special.
// The checks and their wording follow the ones Cloudflare makes when a Worker is deployed.

/** The parsed rules: paths for the Worker first, and the exceptions that go to the assets. */
export type RouteRules = { worker: RegExp[]; assets: RegExp[] };

const MAX_RULES = 100;
const MAX_RULE_LENGTH = 100;

function globToRegExp(rule: string): RegExp {
  const escaped = rule.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

/** Problems in one group of rules (positive, or negative with their `!`): length, duplicates, redundancy. */
function groupProblems(rules: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    if (rule.length > MAX_RULE_LENGTH) {
      problems.push(`'${rule}': all rules must be less than ${MAX_RULE_LENGTH} characters in length`);
    }
    if (seen.has(rule)) problems.push(`'${rule}': rule is a duplicate; rules must be unique`);
    seen.add(rule);
    if (!rule.endsWith("*")) continue;
    const prefix = rule.slice(0, -1);
    for (const other of rules) {
      if (other !== rule && other.startsWith(prefix))
        problems.push(`'${other}': rule '${rule}' makes it redundant`);
    }
  }
  return problems;
}

/** The rules parsed, or a message saying what is wrong with them. */
export function parseRouteRules(input: string[]): RouteRules | string {
  if (input.length === 0) return "no rules were given; give at least 1 rule, or use true or false";
  if (input.length > MAX_RULES) return `${input.length} rules were given; at most ${MAX_RULES} are allowed`;
  const positive: string[] = [];
  const negative: string[] = [];
  const problems: string[] = [];
  for (const rule of input) {
    if (rule.startsWith("!/")) negative.push(rule);
    else if (rule.startsWith("/")) positive.push(rule);
    else if (rule.startsWith("!")) problems.push(`'${rule}': negative rules must start with '!/'`);
    else problems.push(`'${rule}': rules must start with '/' or '!/'`);
  }
  if (negative.length > 0 && positive.length === 0) {
    return "only negative rules were given; give at least 1 rule that does not start with '!'";
  }
  problems.push(...groupProblems(positive), ...groupProblems(negative));
  if (problems.length > 0) return `invalid rules:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
  return {
    worker: positive.map(globToRegExp),
    assets: negative.map((rule) => globToRegExp(rule.slice(1))),
  };
}

/**
 * Where `rules` send `pathname`: "assets" (a negative rule matched: the assets answer, a miss
 * included), "worker" (a positive rule matched: the Worker runs first), or "either" (no rule
 * matched: an asset if one matches, else the Worker).
 */
export function routeFor(rules: RouteRules, pathname: string): "assets" | "worker" | "either" {
  if (rules.assets.some((rule) => rule.test(pathname))) return "assets";
  if (rules.worker.some((rule) => rule.test(pathname))) return "worker";
  return "either";
}
