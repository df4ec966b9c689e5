// A process for trace-restart.test.ts, with a real OpenTelemetry SDK that writes each finished
// span as a JSON line to the file given as argv[3]. Phase "create" (argv[4]) creates the
// instance "trip" inside a span of its own, waits until its run has hibernated in a one-hour
// sleep and its span is written, then kills itself. Phase "finish" opens the same SQLite file
// (argv[2]) two hours later by its clock and runs the instance to its end.

import { appendFileSync, readFileSync } from "node:fs";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";

const [dbPath, spansFile, phase] = process.argv.slice(2) as [string, string, "create" | "finish"];
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** Writes finished spans as JSON lines at once, so that a process killed later has kept them. */
class JsonLinesExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    const lines = spans.map((s) =>
      JSON.stringify({
        phase,
        name: s.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId ?? null,
        attributes: s.attributes,
      }),
    );
    appendFileSync(spansFile, lines.map((l) => `${l}\n`).join(""));
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

class Trip extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("book", async () => "booked");
    await step.sleep("wait for the day", "1 hour");
    return step.do("travel", async () => "arrived");
  }
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new JsonLinesExporter())],
});
const cairn = await Cairn.open({
  storage: `sqlite:${dbPath}`,
  workflows: { TRIP: { name: "trip", class: Trip } },
  clock: new FakeClock(phase === "create" ? T0 : T0 + 2 * HOUR),
  hibernateAfterMs: 0,
  tracing: { tracerProvider: provider },
});

if (phase === "create") {
  const tracer = provider.getTracer("client");
  await tracer.startActiveSpan("checkout", async (span) => {
    await cairn.env.TRIP.create({ id: "trip" });
    span.end();
  });
  await waitForStatus(await cairn.env.TRIP.get("trip"), "waiting");
  await waitUntil(
    () => readFileSync(spansFile, "utf8"),
    (text) => text.includes('"cairn.run.end_reason":"hibernated"'),
    { what: "the first run's span in the file" },
  );
  // Gone without closing anything, as a crashed or redeployed process would be.
  process.kill(process.pid, "SIGKILL");
} else {
  await waitForStatus(await cairn.env.TRIP.get("trip"), "complete");
  await cairn.close();
  await provider.shutdown();
}
