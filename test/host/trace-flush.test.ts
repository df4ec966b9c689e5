// `cairn start` ends its own process after a graceful stop, so an SDK's exit handling never runs:
// the spans a batching processor still holds must be flushed before the exit, or the last runs
// before a deploy are missing from every trace.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects } from "./helpers/projects.js";

const SDK = fileURLToPath(new URL("../fixtures/tracing/batching-sdk.mjs", import.meta.url));
const EXPLORER = "/cdn-cgi/local/explorer/api/workflows";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

describe("cairn start and a tracing SDK", () => {
  it("flushes the spans the SDK still holds before it exits on SIGTERM", async () => {
    const dir = copyFixture("two-workflows-toml");
    const spans = join(dir, "spans.jsonl");
    const cairn = CairnProcess.start(
      ["start", "--port", "0", "--admin-port", "0", "--storage", `sqlite:${join(dir, "cairn.db")}`],
      dir,
      { NODE_OPTIONS: `--import ${SDK}`, CAIRN_TEST_SPANS_FILE: spans },
    );
    await cairn.ready();
    const admin = cairn.logs().find((l) => l.msg === "ready")?.admin as string;
    const created = await postJson(admin, `${EXPLORER}/greet/instances`, {
      id: "g1",
      params: { name: "Ada" },
    });
    expect(created.status).toBe(200);
    await waitUntil(
      () => getJson(admin, `${EXPLORER}/greet/instances/g1`),
      (answer) => answer.body?.result?.status === "complete",
      { what: "instance g1 to complete" },
    );
    // The batching processor holds them for ten minutes: nothing is written yet.
    expect(existsSync(spans)).toBe(false);

    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    const names = readFileSync(spans, "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { name: string }).name);
    expect(names).toContain("workflow.run greet");
    expect(names).toContain("workflow.step compose");
  });
});
