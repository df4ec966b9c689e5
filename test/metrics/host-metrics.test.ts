// Metrics served by the real `cairn` binary: `cairn start` on its admin listener at /metrics,
// behind the API token (401 without it) unless started with --metrics-without-token, and
// `cairn dev` at /cdn-cgi/cairn/metrics on the Worker's port. The scrape is parsed with a
// Prometheus text-format parser and shows the instance that ran, under its workflow's name only.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseExposition } from "../helpers/prometheus.js";
import { CairnProcess } from "../host/helpers/cairn-process.js";
import { copyFixture, postJson, removeProjects, waitForHttpStatus } from "../host/helpers/projects.js";

const TOKEN = "host-metrics-token";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

/** Starts `cairn start` on the two-workflow fixture; answers the Worker's and the admin listener's URLs. */
async function start(extra: string[]): Promise<{ url: string; admin: string }> {
  const dir = copyFixture("two-workflows-toml");
  const db = join(mkdtempSync(join(tmpdir(), "cairn-metrics-db-")), "prod.db");
  const args = ["start", "--port", "0", "--admin-port", "0", "--storage", `sqlite:${db}`, ...extra];
  const cairn = CairnProcess.start(args, dir, { CAIRN_API_TOKEN: TOKEN });
  const ready = await cairn.waitForLog((l) => l.msg === "ready", "the ready line");
  return { url: ready.url as string, admin: ready.admin as string };
}

describe("metrics served by cairn start and cairn dev", () => {
  it("cairn start serves /metrics on the admin listener, behind the API token", async () => {
    const { url, admin } = await start([]);
    expect((await postJson(url, "/greet/ada", { name: "Ada" })).status).toBe(201);
    await waitForHttpStatus(url, "/greet/ada", "complete");

    expect((await fetch(`${admin}/metrics`)).status).toBe(401);
    // Not on the Worker's port: that path is the Worker's own.
    expect((await fetch(`${url}/metrics`)).headers.get("content-type")).not.toContain("version=0.0.4");
    const answer = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    const m = parseExposition(await answer.text());
    expect(m.value("cairn_instances_finished_total", { workflow: "greet", outcome: "complete" })).toBe(1);
    expect(m.value("cairn_step_attempts_total", { workflow: "greet", outcome: "success" })).toBeGreaterThan(
      0,
    );
    expect(m.value("cairn_instances", { workflow: "greet", status: "complete" })).toBe(1);
    expect(m.value("cairn_instances", { workflow: "count", status: "complete" })).toBe(0);
    const labels = new Set(
      m.samples("cairn_instances_finished_total").flatMap((s) => Object.keys(s.labels ?? {})),
    );
    expect([...labels].sort()).toEqual(["outcome", "workflow"]);
  });

  it("cairn start --metrics-without-token serves /metrics to anyone, the API still asks", async () => {
    const { admin } = await start(["--metrics-without-token"]);
    const answer = await fetch(`${admin}/metrics`);
    expect(answer.status).toBe(200);
    expect(parseExposition(await answer.text()).family("cairn_instances_started_total")?.type).toBe(
      "COUNTER",
    );
    expect((await fetch(`${admin}/cairn/api/workflows`)).status).toBe(401);
  });

  it("cairn dev serves /cdn-cgi/cairn/metrics on the Worker's port", async () => {
    const dir = copyFixture("two-workflows-toml");
    const cairn = CairnProcess.start(["dev", "--port", "0", "--log-format", "json"], dir);
    const url = await cairn.ready();
    expect((await postJson(url, "/greet/bea", { name: "Bea" })).status).toBe(201);
    await waitForHttpStatus(url, "/greet/bea", "complete");
    const answer = await fetch(`${url}/cdn-cgi/cairn/metrics`);
    expect(answer.status).toBe(200);
    const m = parseExposition(await answer.text());
    expect(m.value("cairn_instances_finished_total", { workflow: "greet", outcome: "complete" })).toBe(1);
    expect(m.family("nodejs_eventloop_lag_seconds")).toBeDefined();
  });
});
