// The operations docs cannot drift from the metrics: the Grafana dashboard in docs/grafana is
// valid JSON whose every query names metrics a Cairn exposes, and the table of metrics in
// docs/operations.md lists exactly the cairn_ metrics a Cairn exposes (one on SQLite and
// one on a real PostgreSQL, since each store adds its own).

import { readFileSync } from "node:fs";
import { Cairn, WorkflowEntrypoint } from "cairn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { parseExposition } from "../helpers/prometheus.js";
import { tempDir } from "../helpers/temp-store.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

class Nothing extends WorkflowEntrypoint {
  async run() {}
}

/** Every metric family a Cairn exposes on SQLite and on PostgreSQL, by name, with its type. */
let exposed: Map<string, string>;
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
  const dir = tempDir("cairn-metrics-docs-");
  exposed = new Map();
  const storages = [
    `sqlite:${dir.dbPath}`,
    `${db.url}${db.url.includes("?") ? "&" : "?"}schema=${db.newSchema("docs")}`,
  ];
  for (const storage of storages) {
    const cairn = await Cairn.open({ storage, workflows: { NOTHING: { name: "nothing", class: Nothing } } });
    try {
      for (const f of parseExposition(await cairn.metrics()).families) exposed.set(f.name, f.type);
    } finally {
      await cairn.close();
    }
  }
  dir.cleanup();
});
afterAll(async () => {
  await db?.close();
});

/** The family a sample name belongs to: a histogram's _bucket, _sum and _count go to the histogram. */
function familyOf(name: string): string {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && exposed.get(base) === "HISTOGRAM" ? base : name;
}

describe("the operations docs", () => {
  it("ship a Grafana dashboard whose queries use only metrics a Cairn exposes", () => {
    const dashboard = JSON.parse(read("docs/grafana/cairn.json")) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { definition?: string }[] };
    };
    const queries = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
    ];
    const used = new Set(queries.flatMap((q) => q.match(/\b(cairn|nodejs|process)_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter((name) => !exposed.has(familyOf(name)));
    expect(unknown).toEqual([]);
    for (const title of ["Throughput", "Step attempt duration", "Instances by status", "Event-loop lag"]) {
      expect(dashboard.panels.map((p) => p.title)).toContain(title);
    }
  });

  it("list every cairn_ metric in the table, and no other", () => {
    const text = read("docs/operations.md");
    const listed = new Set([...text.matchAll(/^\| `(cairn_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
    const cairnMetrics = [...exposed.keys()].filter((name) => name.startsWith("cairn_")).sort();
    expect([...listed].sort()).toEqual(cairnMetrics);
  });
});
