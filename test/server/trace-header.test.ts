// The W3C `traceparent` header on the HTTP API's create routes (explorer, REST single and batch),
// over a real HTTP server: the instances created keep that trace context, and their run spans
// are children of the caller's span; a malformed header is ignored, as W3C asks of a receiver,
// and the request creates its instance outside any trace.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type SpanRecorder, spanRecorder } from "../helpers/span-recorder.js";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";

class Quick extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only", async () => "done");
  }
}

const REST = "/client/v4/accounts/acct_1/workflows";
const EXPLORER = "/cdn-cgi/explorer/api";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const CALLER = "b7ad6b7169203331";
const TRACEPARENT = `00-${TRACE_ID}-${CALLER}-01`;

describe("the traceparent header on create routes", () => {
  let server: ApiServer<{ QUICK: { name: string; class: typeof Quick } }>;
  let recorder: SpanRecorder;

  afterEach(async () => {
    await server.close();
    await recorder.shutdown();
  });

  async function start() {
    recorder = spanRecorder();
    server = await startApiServer(
      { QUICK: { name: "quick", class: Quick } },
      { open: { tracing: { tracerProvider: recorder.provider } } },
    );
  }

  const stored = async (id: string) =>
    (await server.cairn.engine.store.getInstance("quick", id))?.traceContext ?? null;

  it("makes instances created by the explorer and REST routes (single and batch) continue the caller's trace", async () => {
    await start();
    const headers = { traceparent: TRACEPARENT, tracestate: "shop=7" };
    expect(
      (await server.call("POST", `${EXPLORER}/workflows/quick/instances`, { id: "e1" }, headers)).status,
    ).toBe(200);
    expect(
      (await server.call("POST", `${REST}/quick/instances`, { instance_id: "r1" }, headers)).status,
    ).toBe(200);
    const batch = await server.call(
      "POST",
      `${REST}/quick/instances/batch`,
      [{ instance_id: "b1" }, { instance_id: "b2" }],
      headers,
    );
    expect(batch.status).toBe(200);
    for (const id of ["e1", "r1", "b1", "b2"]) {
      expect(await stored(id)).toEqual({ traceparent: TRACEPARENT, tracestate: "shop=7" });
    }
    const runs = await waitUntil(
      () => recorder.named("workflow.run quick"),
      (spans) => spans.length === 4,
      { what: "four run spans" },
    );
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe(TRACE_ID);
      expect(run.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: CALLER, isRemote: true });
    }
  });

  it("ignores a malformed traceparent (the instance is created outside any trace) and drops only a malformed tracestate", async () => {
    await start();
    const bad = [
      `00-${TRACE_ID.toUpperCase()}-${CALLER}-01`,
      `00-${"0".repeat(32)}-${CALLER}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `ff-${TRACE_ID}-${CALLER}-01`,
      `00-${TRACE_ID}-${CALLER}-01-extra`,
      `${TRACEPARENT}, ${TRACEPARENT}`,
      "not a traceparent",
    ];
    for (const [i, traceparent] of bad.entries()) {
      const answer = await server.call(
        "POST",
        `${REST}/quick/instances`,
        { instance_id: `bad${i}` },
        { traceparent },
      );
      expect(answer.status).toBe(200);
      expect(await stored(`bad${i}`)).toBeNull();
    }
    await server.call(
      "POST",
      `${REST}/quick/instances`,
      { instance_id: "state" },
      {
        traceparent: TRACEPARENT,
        tracestate: "Upper=case",
      },
    );
    expect(await stored("state")).toEqual({ traceparent: TRACEPARENT, tracestate: null });
    // A later version may add fields; what is kept is the version 00 form.
    await server.call(
      "POST",
      `${REST}/quick/instances`,
      { instance_id: "v1" },
      {
        traceparent: `01-${TRACE_ID}-${CALLER}-01-more`,
      },
    );
    expect(await stored("v1")).toEqual({ traceparent: TRACEPARENT, tracestate: null });
  });
});
