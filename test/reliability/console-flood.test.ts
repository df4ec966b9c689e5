// End-to-end: a workflow that floods the console from a step under `cairn dev` with JSON logs
// (100,000 lines, then one 10 MB line). The process keeps answering another route, the instance
// completes, and the long line is written cut to the console line cap.

import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_CONSOLE_LINE_CHARS } from "../../src/observability/console-capture.js";
import { CairnProcess } from "../host/helpers/cairn-process.js";
import { copyFixture, postJson, removeProjects, waitForHttpStatus } from "../host/helpers/projects.js";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

describe("a console flood inside a step", () => {
  it("leaves cairn dev answering, completes the instance, and cuts the long line", async () => {
    const cairn = CairnProcess.start(["dev", "--port", "0"], copyFixture("flood-project"));
    const url = await cairn.ready();
    expect((await postJson(url, "/floods/f1", {})).status).toBe(201);
    const pong = await waitUntil(
      () => fetch(`${url}/ping`).then((r) => r.text()),
      (text) => text === "pong",
      { timeoutMs: 60_000, intervalMs: 100, what: "/ping to answer during the flood" },
    );
    expect(pong).toBe("pong");
    await waitForHttpStatus(url, "/floods/f1", "complete", 60_000);

    const lines = cairn.stdout.split("\n").filter((line) => line.includes('"source":"console"'));
    expect(lines.filter((line) => line.includes('"msg":"flood line ')).length).toBe(100_000);
    const huge = lines.find((line) => line.includes('"msg":"huge:'));
    expect(huge).toBeDefined();
    const { msg, instance, step } = JSON.parse(huge!) as { msg: string; instance: string; step: string };
    expect({ instance, step }).toEqual({ instance: "f1", step: "flood" });
    expect(msg.length).toBeLessThan(MAX_CONSOLE_LINE_CHARS + 200);
    expect(msg).toContain(`(truncated: the line was ${10 * 1024 * 1024 + 5} characters`);
  });
});
