// Conditional reads and writes (`onlyIf`): an R2Conditional object or request Headers carrying
// If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since. Evaluated as HTTP does
// (RFC 9110): an etag condition, when present, takes precedence over its date counterpart.
// Headers compare dates to the second, as HTTP dates carry no milliseconds.

type Etag = { kind: "any" } | { kind: "strong" | "weak"; value: string };

/** A condition ready to test against an object's etag and upload time. */
export type Condition = {
  etagMatches?: Etag[];
  etagDoesNotMatch?: Etag[];
  uploadedBefore?: number;
  uploadedAfter?: number;
  secondsGranularity: boolean;
};

/** What a condition looks at: the stored object, or undefined when the key holds none. */
export type ConditionTarget = { etag: string; uploaded: number } | undefined;

function conditionalEtag(value: unknown): Etag[] {
  const text = String(value);
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    throw new TypeError(`Conditional ETag should not be wrapped in quotes (${text}).`);
  }
  return [text === "*" ? { kind: "any" } : { kind: "strong", value: text }];
}

/** Parses an If-Match / If-None-Match list: `*`, `"etag"` and `W/"etag"`, comma separated. */
export function parseEtagHeader(header: string): Etag[] {
  const etags: Etag[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    if (rest.startsWith(",")) {
      rest = rest.slice(1).trimStart();
      continue;
    }
    if (rest.startsWith("*")) return [{ kind: "any" }];
    const weak = rest.startsWith("W/");
    const body = weak ? rest.slice(2) : rest;
    if (!body.startsWith('"')) throw new Error(`Invalid conditional header: ${header}`);
    const close = body.indexOf('"', 1);
    if (close < 0) throw new Error("Unclosed double quote for Etag");
    etags.push({ kind: weak ? "weak" : "strong", value: body.slice(1, close) });
    rest = body.slice(close + 1).trimStart();
    if (rest.length > 0 && !rest.startsWith(",")) {
      throw new Error(`Comma was expected to separate etags: ${header}`);
    }
  }
  return etags;
}

function dateOption(value: unknown, what: string): number {
  const millis = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(millis)) throw new TypeError(`onlyIf.${what} must be a valid Date`);
  return millis;
}

function headerDate(value: string, name: string): number {
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new TypeError(`${name} is not a valid HTTP date: ${value}`);
  return millis;
}

/** Reads `onlyIf` (an R2Conditional or Headers); undefined when there is no condition. */
export function readCondition(onlyIf: unknown): Condition | undefined {
  if (onlyIf === undefined || onlyIf === null) return undefined;
  if (onlyIf instanceof Headers) {
    const condition: Condition = { secondsGranularity: true };
    const ifMatch = onlyIf.get("if-match");
    if (ifMatch !== null) condition.etagMatches = parseEtagHeader(ifMatch);
    const ifNoneMatch = onlyIf.get("if-none-match");
    if (ifNoneMatch !== null) condition.etagDoesNotMatch = parseEtagHeader(ifNoneMatch);
    const since = onlyIf.get("if-modified-since");
    if (since !== null) condition.uploadedAfter = headerDate(since, "If-Modified-Since");
    const unmodified = onlyIf.get("if-unmodified-since");
    if (unmodified !== null) condition.uploadedBefore = headerDate(unmodified, "If-Unmodified-Since");
    return condition;
  }
  if (typeof onlyIf !== "object")
    throw new TypeError(`onlyIf must be an object or a Headers, got ${typeof onlyIf}`);
  const fields = onlyIf as Record<string, unknown>;
  const condition: Condition = { secondsGranularity: fields.secondsGranularity === true };
  if (fields.etagMatches !== undefined) condition.etagMatches = conditionalEtag(fields.etagMatches);
  if (fields.etagDoesNotMatch !== undefined)
    condition.etagDoesNotMatch = conditionalEtag(fields.etagDoesNotMatch);
  if (fields.uploadedBefore !== undefined)
    condition.uploadedBefore = dateOption(fields.uploadedBefore, "uploadedBefore");
  if (fields.uploadedAfter !== undefined)
    condition.uploadedAfter = dateOption(fields.uploadedAfter, "uploadedAfter");
  return condition;
}

function anyMatches(etags: Etag[], etag: string, weakCounts: boolean): boolean {
  return etags.some((e) => e.kind === "any" || (e.value === etag && (weakCounts || e.kind === "strong")));
}

/**
 * Whether `condition` holds for `target`. With no object under the key, only the conditions
 * that ask for a match (etagMatches, uploadedAfter) fail.
 */
export function conditionHolds(condition: Condition | undefined, target: ConditionTarget): boolean {
  if (!condition) return true;
  if (!target) return condition.etagMatches === undefined && condition.uploadedAfter === undefined;
  const uploaded = condition.secondsGranularity ? Math.floor(target.uploaded / 1000) * 1000 : target.uploaded;
  const match = condition.etagMatches ? anyMatches(condition.etagMatches, target.etag, false) : undefined;
  const noneMatch = condition.etagDoesNotMatch
    ? !anyMatches(condition.etagDoesNotMatch, target.etag, true)
    : undefined;
  if (match === false || noneMatch === false) return false;
  if (match === undefined && condition.uploadedBefore !== undefined) {
    const before = condition.secondsGranularity
      ? uploaded <= condition.uploadedBefore
      : uploaded < condition.uploadedBefore;
    if (!before) return false;
  }
  if (
    noneMatch === undefined &&
    condition.uploadedAfter !== undefined &&
    !(uploaded > condition.uploadedAfter)
  ) {
    return false;
  }
  return true;
}
