// Test helper for the HTTP API fuzz: fast-check arbitraries for whole requests (every route of
// the API under each prefix, any method, path segments and query strings of any shape, Host,
// Origin and Content-Type variants, bodies of any JSON shape, broken JSON, deep nesting and sizes
// around the limits), a way to send one to the handler directly or over a real HTTP server, and
// the check every answer must pass: below 500, in Cloudflare's envelope.

import { request as httpRequest } from "node:http";
import fc from "fast-check";
import type { ApiHandler } from "../../../src/server/api-handler.js";
import type { Known } from "./fuzz-fixture.js";

/** One request as the fuzz sends it: `target` is the request-target (path and query), raw. */
export type FuzzRequest = {
  method: string;
  target: string;
  headers: [string, string][];
  body?: string | Uint8Array | undefined;
  /** The route template it was built from, for the failure message. */
  route: string;
};

/** What came back: the status, the content type and the body (the first bytes of a stream). */
export type Observed = { status: number; contentType: string; body: Uint8Array; streamed: boolean };

const EXPLORER = ["/cdn-cgi/local/explorer/api", "/cdn-cgi/explorer/api"];
const REST = "/client/v4/accounts/{acct}/workflows";
const CAIRN = "/cairn/api";

/** What a route reads from its query. */
type QueryKind = "none" | "list" | "workflows" | "step" | "changes" | "activity" | "terminate" | "detail";
/** What a route reads from its body. */
type BodyKind = "none" | "create" | "batch" | "batchDelete" | "status" | "event";

type Template = {
  methods: string[];
  path: string;
  query?: QueryKind;
  body?: BodyKind;
  /** Acts on every instance of a workflow (delete all, terminate all). */
  destructive?: boolean;
  /** Changes or deletes the instance it names: aimed at the fixture's victims, not at the others. */
  mutates?: boolean;
};

const EXPLORER_ROUTES: Template[] = [
  { methods: ["GET"], path: "/workflows" },
  { methods: ["GET"], path: "/workflows/{name}" },
  { methods: ["DELETE"], path: "/workflows/{name}", destructive: true },
  { methods: ["GET"], path: "/workflows/{name}/instances", query: "list" },
  { methods: ["POST"], path: "/workflows/{name}/instances", body: "create" },
  { methods: ["POST"], path: "/workflows/{name}/instances/batch/delete", body: "batchDelete", mutates: true },
  { methods: ["GET"], path: "/workflows/{name}/instances/{id}" },
  { methods: ["DELETE"], path: "/workflows/{name}/instances/{id}", mutates: true },
  { methods: ["PATCH"], path: "/workflows/{name}/instances/{id}/status", body: "status", mutates: true },
  { methods: ["POST"], path: "/workflows/{name}/instances/{id}/events/{type}", body: "event", mutates: true },
  { methods: ["GET"], path: "/local/workers" },
];

const REST_ROUTES: Template[] = [
  { methods: ["GET"], path: "", query: "workflows" },
  { methods: ["GET"], path: "/{name}" },
  { methods: ["DELETE"], path: "/{name}", destructive: true },
  { methods: ["GET"], path: "/{name}/versions" },
  { methods: ["GET"], path: "/{name}/versions/{version}" },
  { methods: ["POST"], path: "/{name}/instances", body: "create" },
  { methods: ["POST"], path: "/{name}/instances/batch", body: "batch" },
  { methods: ["POST"], path: "/{name}/instances/batch/delete", body: "batchDelete", mutates: true },
  { methods: ["PUT"], path: "/{name}/instances/terminate", query: "terminate", destructive: true },
  { methods: ["GET"], path: "/{name}/instances", query: "list" },
  { methods: ["GET"], path: "/{name}/instances/", query: "list" },
  { methods: ["GET"], path: "/{name}/instances/{id}" },
  { methods: ["GET"], path: "/{name}/instances/{id}/step", query: "step" },
  { methods: ["PATCH"], path: "/{name}/instances/{id}/status", body: "status", mutates: true },
  { methods: ["POST"], path: "/{name}/instances/{id}/events/{type}", body: "event", mutates: true },
];

const CAIRN_ROUTES: Template[] = [
  { methods: ["GET"], path: "/workflows" },
  { methods: ["GET"], path: "/workflows/{name}" },
  { methods: ["GET"], path: "/workflows/{name}/instances", query: "list" },
  { methods: ["GET"], path: "/workflows/{name}/instances/{id}", query: "detail" },
  { methods: ["GET"], path: "/changes", query: "changes" },
  { methods: ["GET"], path: "/workflows/{name}/instances/{id}/log" },
  { methods: ["GET"], path: "/workflows/{name}/instances/{id}/steps/{key}/output" },
  { methods: ["GET"], path: "/workflows/{name}/activity", query: "activity" },
];

/** Every route of the API as a full path template, each explorer route under both prefixes. */
export const ROUTES: Template[] = [
  ...EXPLORER.flatMap((prefix) => EXPLORER_ROUTES.map((t) => ({ ...t, path: prefix + t.path }))),
  ...REST_ROUTES.map((t) => ({ ...t, path: REST + t.path })),
  ...CAIRN_ROUTES.map((t) => ({ ...t, path: CAIRN + t.path })),
];

/** A route template's name, as the fuzz's coverage counts it. */
export const routeName = (t: Template) => `${t.methods.join("|")} ${t.path}`;

const STANDARD_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** Methods a `Request` accepts besides the standard ones (CONNECT, TRACE and TRACK it refuses). */
const ODD_METHODS = ["get", "patch", "Post", "PROPFIND", "FOO", "M-SEARCH", "QUERY"];
/** Those Node's HTTP parser knows too (it answers an unknown one itself, before any handler). */
const ODD_HTTP_METHODS = ["get", "patch", "Post", "PROPFIND", "M-SEARCH"];

/** Percent-encodes every byte of the UTF-8 text except unreserved characters. */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const RAW_CHARS = fc.constantFrom(
  ..."abcXYZ019-_.~!$&'()*+,;=:@%/?#[] \\\"<>^`{|}".split(""),
  "é",
  "日",
  "🎉",
  "\u202e",
);

/** Encodings no decoder accepts, dot segments, encoded slashes and NULs. */
const BAD_SEGMENTS = [
  "",
  ".",
  "..",
  "%",
  "%E0%A4%A",
  "%ZZ",
  "%C3%28",
  "%00",
  "%2F",
  "%2e%2e",
  "%FF%FE",
  "%ED%A0%80",
  "%F0%9F%98%80",
  "%25",
  "a%20b",
  "o-wait-1%00",
  "%u0041",
];

/** A path segment: a name that exists, or text of any kind, encoded well or badly. */
function segment(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom(...known).map(percentEncode) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }).map(percentEncode) },
    { weight: 1, arbitrary: fc.string({ unit: RAW_CHARS, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_SEGMENTS) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(64, 65, 100, 101, 271, 272, 2_000, 12_000),
          fc.constantFrom("a", "é", "%", "-"),
        )
        .map(([n, c]) => (c === "é" ? percentEncode(c.repeat(n)) : c.repeat(n))),
    },
  );
}

const QUERY_KEYS: Record<QueryKind, string[]> = {
  none: [],
  list: ["page", "per_page", "status", "date_start", "date_end", "cursor", "order", "id_prefix"],
  workflows: ["page", "per_page", "search"],
  step: ["name", "type"],
  changes: ["since", "workflow", "id"],
  activity: ["from", "to"],
  terminate: ["status"],
  detail: ["output_limit"],
};
const ALL_QUERY_KEYS = [...new Set(Object.values(QUERY_KEYS).flat())];

const NUMBERS = [
  "",
  "0",
  "1",
  "2",
  "-1",
  "25",
  "100",
  "101",
  "1000",
  "1.5",
  "1e1",
  "1e308",
  "-0",
  "NaN",
  "Infinity",
  "99999999999999999999",
  "9007199254740993",
  " 5",
  "0x10",
  "abc",
];
const TIMES = [
  "-271821-04-20T00:00:00.000Z",
  "+275760-09-13T00:00:00.000Z",
  "-8640000000000000",
  "8640000000000000",
  "8640000000000001",
  "9999999999999999",
  "0",
  "2024-02-30",
  "2024-01-01",
  "yesterday",
  "1970-01-01T00:00:00Z",
];
const STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waiting",
  "waitingForPause",
  "unknown",
  "bogus",
];

/** A value for the query key: what the key means (numbers, dates, statuses…) or anything. */
function queryValue(known: Known, key: string): fc.Arbitrary<string> {
  const iso = fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .map((d) => d.toISOString());
  const near = fc.integer({ min: -7_200_000, max: 7_200_000 }).map((d) => String(Date.now() + d));
  const numbers = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer().map(String), fc.double().map(String));
  const times = fc.oneof(fc.constantFrom(...TIMES), iso, near, fc.bigInt().map(String));
  const meant: Record<string, fc.Arbitrary<string>> = {
    page: numbers,
    per_page: numbers,
    output_limit: numbers,
    status: fc.constantFrom(...STATUSES),
    date_start: times,
    date_end: times,
    from: times,
    to: times,
    since: fc.oneof(times, fc.constantFrom(...known.cursors)),
    cursor: fc.oneof(fc.constantFrom(...known.cursors), fc.base64String({ maxLength: 40 })),
    order: fc.constantFrom("asc", "desc", "ASC", ""),
    id_prefix: fc.constantFrom(...known.ids.map((id) => id.slice(0, 3)), "", "%", "_"),
    workflow: fc.constantFrom(...known.workflows),
    id: fc.constantFrom(...known.ids),
    name: fc.constantFrom(...known.stepNames),
    type: fc.constantFrom("step", "do", "sleep", "waitForEvent", "rollback", "x"),
    search: fc.constantFrom("ord", "", "%", "_"),
  };
  return fc.oneof(
    { weight: 4, arbitrary: Object.hasOwn(meant, key) ? meant[key]! : fc.constant("") },
    { weight: 1, arbitrary: fc.oneof(numbers, times, fc.string({ unit: "binary", maxLength: 30 })) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
  );
}

/** A query string: the route's keys and others, values of any kind, encoded well or badly. */
function queryString(known: Known, kind: QueryKind): fc.Arbitrary<string> {
  const keys = QUERY_KEYS[kind];
  const key = fc.oneof(
    { weight: keys.length > 0 ? 6 : 0, arbitrary: fc.constantFrom(...(keys.length > 0 ? keys : ["x"])) },
    { weight: 2, arbitrary: fc.constantFrom(...ALL_QUERY_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const pair = fc
    .tuple(key, fc.boolean())
    .chain(([k, raw]) => queryValue(known, k).map((v): [string, string, boolean] => [k, v, raw]))
    .map(([k, v, raw]) =>
      raw
        ? `${k.replace(/[#\s]/g, "")}=${v.replace(/[#\s]/g, "")}`
        : `${percentEncode(k)}=${percentEncode(v)}`,
    );
  // A step is named by `name` (with its count) and perhaps `type`: mostly just that.
  const step = fc
    .tuple(
      fc.constantFrom(...known.stepNames),
      fc.option(fc.constantFrom("step", "do", "sleep", "waitForEvent")),
    )
    .map(([name, type]) => `?name=${percentEncode(name)}${type ? `&type=${type}` : ""}`);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant("") },
    { weight: kind === "step" ? 6 : 0, arbitrary: step },
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((p) => `?${p.join("&")}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "?",
        "?&&",
        "?page",
        "?per_page=%E0%A4%A",
        "?status=%",
        "?%=%",
        "?since=%FF",
      ),
    },
  );
}

/** Header values a `Headers` object and Node's HTTP client both accept (no CR, LF, NUL). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Host values: loopback names and addresses mostly, others refused, and broken ones. */
const HOSTS = {
  good: ["localhost", "127.0.0.1:8787", "localhost:8787"],
  odd: [
    "[::1]:8787",
    "LOCALHOST",
    "app.localhost",
    "10.1.2.3",
    "127.9.9.9:1",
    "evil.example",
    "localhost.evil.example",
    "",
    "[",
    "[::1",
    "localhost:",
    ":8787",
    "::1",
    "localhost:notaport",
    "local host",
    "localhost/x",
    "localhost@evil.example",
  ],
};

function headers(forHttp: boolean): fc.Arbitrary<[string, string][]> {
  const host = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(...HOSTS.good) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTS.odd) },
    { weight: 1, arbitrary: headerText(30) },
  );
  const optional = (name: string, value: fc.Arbitrary<string>) =>
    fc.option(
      value.map((v): [string, string] => [name, v]),
      { freq: 2 },
    );
  const contentType = fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json; charset=utf-16",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "",
    ),
    headerText(40),
  );
  const origin = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom("http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]"),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom("https://evil.example", "null", "", "http://localhost.evil.example"),
    },
    { weight: 1, arbitrary: headerText(30) },
  );
  const length = fc.constantFrom("abc", "-1", "0", "1e20", "99999999999", "8388609");
  return fc
    .tuple(
      host,
      optional("content-type", contentType),
      fc.option(
        origin.map((v): [string, string] => ["origin", v]),
        { freq: 5 },
      ),
      optional("authorization", fc.oneof(fc.constant("Bearer x"), headerText(30))),
      optional("last-event-id", fc.oneof(fc.constantFrom("1", "0", "9999999999999999"), headerText(20))),
      optional("accept", fc.constantFrom("text/event-stream", "*/*", "application/json")),
      // Over HTTP a wrong Content-Length breaks the framing itself, so only the direct calls lie.
      forHttp ? fc.constant(null) : optional("content-length", length),
    )
    .map(([h, ...rest]) => [["host", h], ...rest.filter((x): x is [string, string] => x !== null)]);
}

/** Deeply nested arrays, as JSON: "[[[…]]]". */
export const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** The engine's limit on params and event payloads, as stored (structured clone) bytes. */
const VALUE_LIMIT = 1024 * 1024;
/** The API's limit on a request body. */
const BODY_LIMIT = 8 * 1024 * 1024;

/** Bodies around the size limits; built once, when first drawn. */
const BIG_BODIES: Record<string, () => string> = {
  paramsJustUnder: () => JSON.stringify({ params: "x".repeat(VALUE_LIMIT - 16) }),
  paramsJustOver: () => JSON.stringify({ params: "x".repeat(VALUE_LIMIT + 16) }),
  payloadJustOver: () => JSON.stringify("x".repeat(VALUE_LIMIT + 16)),
  bodyAtLimit: () => `{"params":"${"x".repeat(BODY_LIMIT - 13)}"}`,
  bodyOverLimit: () => `{"params":"${"x".repeat(BODY_LIMIT - 12)}"}`,
};
const bigBodyCache = new Map<string, string>();
const bigBody = (name: string) => {
  let body = bigBodyCache.get(name);
  if (body === undefined) {
    body = BIG_BODIES[name]!();
    bigBodyCache.set(name, body);
  }
  return body;
};

/** JSON bodies by what a route reads, each field of the right kind or of any other. */
function jsonBodies(known: Known): Record<Exclude<BodyKind, "none">, fc.Arbitrary<unknown>> {
  const json = fc.jsonValue({ maxDepth: 4 });
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.ids, ...known.victims) },
    { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,20}$/) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom("a".repeat(100), "a".repeat(101), "-a", "a.b", "日本") },
    { weight: 1, arbitrary: json },
  );
  const duration = fc.oneof(
    fc.constantFrom("1 day", "0 seconds", "-1 ms", "1e400 years", "soon", "2 weeks", "1 minute"),
    fc.integer(),
    fc.double(),
    json,
  );
  const retention = fc.oneof(
    fc.record({ successRetention: duration, errorRetention: duration }, { requiredKeys: [] }),
    json,
  );
  const stepBase = fc.constantFrom("charge", "token", "receipt", "cool off", "approval", "explode", "only");
  const from = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          name: fc.oneof(stepBase, fc.string({ maxLength: 10 }), json),
          count: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.constant(1e300), json),
          type: fc.oneof(fc.constantFrom("do", "sleep", "waitForEvent", "step", "x"), json),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: json },
  );
  // Mostly an id (or none) and params, as clients send them; else every field of any kind.
  const createItem = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        { instance_id: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,20}$/), params: json },
        { requiredKeys: [] },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.record(
        { id, instance_id: id, params: json, retention, instance_retention: retention },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: json },
  );
  // Mostly a change that makes sense (each op with only its own options), else fields at random.
  const sensible = fc.oneof(
    fc.record({ status: fc.constantFrom("pause", "resume") }),
    fc.record({ action: fc.constantFrom("pause", "resume", "terminate", "restart") }),
    fc.record({ status: fc.constant("terminate"), rollback: fc.boolean() }, { requiredKeys: ["status"] }),
    fc.record({ status: fc.constant("restart"), from }, { requiredKeys: ["status"] }),
  );
  const status = fc.oneof(
    { weight: 4, arbitrary: sensible },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          status: fc.oneof(
            fc.constantFrom("pause", "resume", "terminate", "restart", "bogus", "", "PAUSE"),
            json,
          ),
          action: fc.oneof(fc.constantFrom("pause", "resume", "terminate", "restart"), json),
          rollback: fc.oneof(fc.boolean(), json),
          from,
        },
        { requiredKeys: [] },
      ),
    },
  );
  // A batch delete aims at the victims (and ids of any shape), never at the fixture's others.
  const victim = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.victims, "ghost") },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: json },
  );
  const ids = fc.oneof(
    fc.array(victim, { maxLength: 5 }),
    fc.constantFrom(0, 100, 101).map((n) => Array.from({ length: n }, (_, i) => `batch-${i}`)),
    json,
  );
  return {
    create: createItem,
    batch: fc.oneof(
      { weight: 4, arbitrary: fc.array(createItem, { maxLength: 5 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(0, 100, 101).map((n) => Array.from({ length: n }, () => ({}))),
      },
      { weight: 1, arbitrary: json },
    ),
    batchDelete: fc.oneof(
      { weight: 4, arbitrary: fc.record({ instances: ids }) },
      { weight: 1, arbitrary: json },
    ),
    status: fc.oneof({ weight: 6, arbitrary: status }, { weight: 1, arbitrary: json }),
    event: fc.oneof(
      json,
      fc.anything().filter((v) => JSON.stringify(v) !== undefined),
    ),
  };
}

/** Where deep nesting goes in a body of this kind. */
const DEEP_FIELD: Record<BodyKind, string | null> = {
  none: "params",
  create: "params",
  batch: null,
  batchDelete: "instances",
  status: "from",
  event: null,
};

function bodies(
  known: Known,
  kind: BodyKind,
  options: { big: boolean },
): fc.Arbitrary<string | Uint8Array | undefined> {
  const byKind = jsonBodies(known);
  const anyKind = fc
    .constantFrom(...(Object.keys(byKind) as (keyof typeof byKind)[]))
    .chain((k) => byKind[k]);
  const meant = kind === "none" ? anyKind : byKind[kind];
  const invalid = fc.oneof(
    fc.constantFrom("{", '{"a":', "nul", "[1,]", "\uFEFF{}", "{}{}", "NaN", "'x'", '{"params":}', "\u0000"),
    fc.string({ unit: "binary", maxLength: 40 }),
  );
  const field = DEEP_FIELD[kind];
  const deep = fc
    .integer({ min: 1, max: 200_000 })
    .map((depth) => (field === null ? nested(depth) : `{${JSON.stringify(field)}:${nested(depth)}}`));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("", " \n\t") },
    { weight: 10, arbitrary: meant.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: anyKind.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: invalid },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 2, arbitrary: deep },
    {
      weight: options.big ? 1 : 0,
      arbitrary: fc.constantFrom(...Object.keys(BIG_BODIES)).map(bigBody),
    },
  );
}

/** A path from a route template, its slots filled with known values or anything. */
function routePath(known: Known, template: Template): fc.Arbitrary<string> {
  const slots: Record<string, fc.Arbitrary<string>> = {
    acct: segment(["acct_123", "0", "a".repeat(32)]),
    name: segment(known.workflows),
    id: segment(template.mutates ? [...known.victims, "ghost"] : known.ids),
    type: segment(known.eventTypes),
    key: segment(known.stepKeys),
    version: segment(known.versions),
  };
  const parts = template.path.split(/(\{[a-z]+\})/).filter((p) => p !== "");
  // Two times in three a workflow and one of its instances (ids are per workflow), so that
  // instance routes reach instances; otherwise each slot on its own.
  const refs = template.mutates ? known.victims.map((id) => ({ workflow: "orders", id })) : known.refs;
  const ref = fc.option(fc.constantFrom(...refs), { freq: 3 });
  return fc
    .tuple(ref, fc.tuple(...parts.map((p) => (p.startsWith("{") ? slots[p.slice(1, -1)]! : fc.constant(p)))))
    .map(([r, filled]) =>
      filled
        .map((f, i) => {
          if (r && parts[i] === "{name}") return percentEncode(r.workflow);
          if (r && parts[i] === "{id}") return percentEncode(r.id);
          return f;
        })
        .join(""),
    );
}

/** A path mangled now and then: a segment added or dropped, a doubled or a trailing slash. */
function mangle(path: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const how = fc.oneof(
    { weight: 16, arbitrary: fc.constant("keep") },
    { weight: 1, arbitrary: fc.constantFrom("add", "drop", "double", "trailing") },
  );
  return fc.tuple(path, how, fc.string({ unit: RAW_CHARS, maxLength: 6 })).map(([p, how, extra]) => {
    if (how === "add") return `${p}/${extra}`;
    if (how === "drop") return p.slice(0, Math.max(1, p.lastIndexOf("/")));
    if (how === "double") return p.replace("/", "//");
    if (how === "trailing") return `${p}/`;
    return p;
  });
}

/** A whole request: a route of the API (or a path of any kind), method, query, headers, body. */
export function requests(
  known: Known,
  options: { destructive: boolean; forHttp?: boolean; big?: boolean },
): fc.Arbitrary<FuzzRequest> {
  const templates = ROUTES.filter((t) => options.destructive || !t.destructive);
  const odd = options.forHttp ? ODD_HTTP_METHODS : ODD_METHODS;
  const big = options.big ?? false;
  const fromTemplate = fc.constantFrom(...templates).chain((template) =>
    fc.record({
      route: fc.constant(routeName(template)),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...template.methods) },
        { weight: template.methods.includes("GET") ? 2 : 0, arbitrary: fc.constant("HEAD") },
        { weight: 3, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
        { weight: 1, arbitrary: fc.constantFrom(...odd) },
      ),
      path: mangle(routePath(known, template)),
      query: queryString(known, template.query ?? "none"),
      body: bodies(known, template.body ?? "none", { big }),
    }),
  );
  const anyPath = fc.record({
    route: fc.constant("any path"),
    method: fc.constantFrom(...STANDARD_METHODS),
    path: fc
      .array(segment([...known.workflows, "cairn", "api", "cdn-cgi", "explorer"]), { maxLength: 6 })
      .map((s) => `/${s.join("/")}`),
    query: queryString(known, "none"),
    body: bodies(known, "none", { big: false }),
  });
  const all = fc
    .tuple(
      fc.oneof({ weight: 15, arbitrary: fromTemplate }, { weight: 1, arbitrary: anyPath }),
      headers(options.forHttp === true),
    )
    .map(([{ route, method, path, query, body }, hs]) => {
      const upper = method.toUpperCase();
      // Node's HTTP client sends a request-target of visible ASCII only; the rest goes encoded.
      const target = options.forHttp ? visibleAscii(`${path}${query}`) : `${path}${query}`;
      const request: FuzzRequest = { method, target, headers: hs, route };
      // A GET or HEAD has no body (a Request refuses one).
      if (upper !== "GET" && upper !== "HEAD" && body !== undefined) request.body = body;
      return request;
    });
  // Node answers a request line and headers over 16 KiB itself (431), before any handler.
  return options.forHttp ? all.filter((r) => r.target.length <= MAX_HTTP_TARGET) : all;
}

/** The longest request-target the HTTP share sends (Node's limit is 16 KiB of head). */
const MAX_HTTP_TARGET = 12_000;

/** The text with every character outside visible ASCII percent-encoded. */
function visibleAscii(text: string): string {
  return [...text].map((c) => (/[\x21-\x7e]/.test(c) ? c : percentEncode(c))).join("");
}

/** How a failure shows the request: method, target (cut), headers, the body's start. */
export function describeRequest(r: FuzzRequest): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const body =
    r.body === undefined
      ? "none"
      : typeof r.body === "string"
        ? JSON.stringify(cut(r.body, 200))
        : `${r.body.byteLength} bytes`;
  return `${r.method} ${cut(r.target, 300)} [route ${r.route}] headers ${JSON.stringify(r.headers)} body ${body}`;
}

async function firstBytes(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  const { value } = await reader.read();
  await reader.cancel().catch(() => {});
  return value ?? new Uint8Array();
}

/** Sends the request to the handler as a `Request`; a stream answer is read to its first bytes. */
export async function sendDirect(api: ApiHandler, r: FuzzRequest): Promise<Observed> {
  const controller = new AbortController();
  const request = new Request(`http://localhost${r.target}`, {
    method: r.method,
    headers: r.headers,
    signal: controller.signal,
    ...(r.body !== undefined ? { body: r.body, duplex: "half" } : {}),
  } as RequestInit);
  try {
    const response = await api.fetch(request);
    const contentType = response.headers.get("content-type") ?? "";
    const streamed = /^(text\/event-stream|application\/octet-stream)/.test(contentType);
    const body =
      response.body === null
        ? new Uint8Array()
        : contentType.startsWith("text/event-stream")
          ? await firstBytes(response.body)
          : new Uint8Array(await response.arrayBuffer());
    return { status: response.status, contentType, body, streamed };
  } finally {
    controller.abort();
  }
}

/**
 * Sends the request over HTTP with node:http (the request-target goes out exactly as given); a
 * stream answer is read to its first bytes, then the connection is dropped.
 */
export function sendHttp(port: number, r: FuzzRequest): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of r.headers) headers[name] = value;
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    if (body) headers["content-length"] = String(body.byteLength);
    const req = httpRequest(
      { host: "127.0.0.1", port, method: r.method, path: r.target, headers, agent: false, setHost: false },
      (res) => {
        const contentType = String(res.headers["content-type"] ?? "");
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        if (contentType.startsWith("text/event-stream")) {
          res.once("data", (chunk: Buffer) => {
            resolve({ status, contentType, body: chunk, streamed: true });
            req.destroy();
          });
          res.once("end", () => resolve({ status, contentType, body: new Uint8Array(), streamed: true }));
          return;
        }
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status,
            contentType,
            body: Buffer.concat(chunks),
            streamed: contentType.startsWith("application/octet-stream"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const ENVELOPE_KEYS = ["success", "errors", "messages", "result", "result_info"];

/**
 * Why the answer breaks the contract, or null when it keeps it: a status below 500, no 1xx or
 * 3xx, a stream only from the change feed or a step's output, and otherwise JSON in Cloudflare's
 * envelope (`success:false`, one error with a numeric code, a message and a cairn_code, no result).
 */
export function contractBreach(r: FuzzRequest, o: Observed): string | null {
  if (o.status >= 500) return `status ${o.status}`;
  if (!((o.status >= 200 && o.status < 300) || (o.status >= 400 && o.status < 500))) {
    return `status ${o.status} is neither a success nor a client error`;
  }
  const path = r.target.split("?")[0]!;
  if (o.streamed) {
    if (o.status !== 200) return `a stream with status ${o.status}`;
    const isFeed = o.contentType.startsWith("text/event-stream");
    if (isFeed && !/^\/cairn\/api\/changes$/.test(path)) return `an event stream from ${path}`;
    if (isFeed && r.method !== "HEAD" && !new TextDecoder().decode(o.body).startsWith("retry:")) {
      return "an event stream that does not start with its retry line";
    }
    if (!isFeed && !/(\/step|\/output)$/.test(path)) return `raw bytes from ${path}`;
    return null;
  }
  if (o.status === 204) {
    if (r.method !== "OPTIONS") return `204 for ${r.method}`;
    return o.body.byteLength === 0 ? null : "a 204 with a body";
  }
  if (!o.contentType.startsWith("application/json")) return `content-type "${o.contentType}"`;
  // A HEAD answer has no body as routes answer it; the guard's refusals carry their envelope
  // (a server drops it on the way out), which then must be well formed like any other.
  if (r.method.toUpperCase() === "HEAD" && o.body.byteLength === 0) return null;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(new TextDecoder().decode(o.body));
  } catch {
    return "a body that is not JSON";
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "a body that is not an object";
  const extra = Object.keys(body).filter((k) => !ENVELOPE_KEYS.includes(k));
  if (extra.length > 0) return `envelope keys ${extra.join(", ")}`;
  if (!Array.isArray(body.messages) || body.messages.length !== 0) return "messages is not []";
  if (o.status >= 400) {
    const errors = body.errors as { code?: unknown; message?: unknown; cairn_code?: unknown }[];
    if (body.success !== false) return "success is not false on an error";
    if (body.result !== null) return "result is not null on an error";
    if ("result_info" in body) return "result_info on an error";
    if (!Array.isArray(errors) || errors.length !== 1) return "errors is not one error";
    const [e] = errors;
    if (Object.keys(e!).sort().join() !== "cairn_code,code,message") return "error keys";
    if (typeof e!.code !== "number" || !Number.isInteger(e!.code)) return "error code is not a whole number";
    if (typeof e!.message !== "string" || e!.message === "") return "error message is not a non-empty string";
    if (typeof e!.cairn_code !== "string" || !/^[a-z_]+\.[a-z_]+$|^internal$/.test(e!.cairn_code)) {
      return "cairn_code is not a code";
    }
    return null;
  }
  if (body.success !== true) return "success is not true on a 2xx";
  if (!Array.isArray(body.errors) || body.errors.length !== 0) return "errors is not [] on a 2xx";
  if (!("result" in body)) return "no result on a 2xx";
  return null;
}
