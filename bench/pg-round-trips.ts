// pg-round-trips: how many statements (round trips to PostgreSQL) one process sends for a
// one-step workflow from create to complete, one instance at a time as in W2, and for an event
// sent to an instance hibernated in waitForEvent until it completes, as in W7; read from Cairn's
// own cairn_postgres_round_trips_total, with the statements of a few creates and of one event
// listed in order, each with when it was sent and answered. Round trips do not depend on the
// machine's moment, so this shows what a change to the path saves even on a busy machine; the
// times show where an instance's milliseconds go (in the engine between statements, or waiting
// on the server for each). Starts a throwaway server (test/helpers/postgres-server.ts).
// A measurement to read, not a test: `npx tsx --conditions=source bench/pg-round-trips.ts`.

import pg from "pg";
import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { startPostgresServer } from "../test/helpers/postgres-server.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const event = await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
    return step.do("after", async () => event.payload);
  }
}

const RUNS = 100;
/** How much of each listed statement to print (`--full` for all of it). */
const LISTED_CHARS = process.argv.includes("--full") ? Number.POSITIVE_INFINITY : 100;
/** How many instances' statements to list, with their times. */
const LISTED = 3;
const server = await startPostgresServer();
const cairn = await Cairn.open({
  storage: server.url,
  workflows: { ONE: { name: "one", class: OneStep }, WAIT: { name: "wait", class: Waiter } },
  hibernateAfterMs: 0,
});
const finished = new Map<string, () => void>();
const waiting = new Map<string, () => void>();
cairn.engine.changes.subscribe((change) => {
  if (change.type !== "status") return;
  if (change.status === "complete") finished.get(change.id)?.();
  if (change.status === "waiting") waiting.get(change.id)?.();
});
/** An instance hibernated in waitForEvent, then its event until it completes: the trips of the latter. */
const eventRoundTrip = async (id: string, list?: Sent[]): Promise<number> => {
  const parked = new Promise<void>((resolve) => waiting.set(id, resolve));
  const done = new Promise<void>((resolve) => finished.set(id, resolve));
  const instance = await cairn.env.WAIT.create({ id });
  await parked;
  // The hibernation's own writes settle before the count starts.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = await roundTrips();
  const sending = async () => {
    await instance.sendEvent({ type: "go", payload: 1 });
    await done;
  };
  if (list) list.push(...(await listing(sending)));
  else await sending();
  return (await roundTrips()) - before;
};
const runOne = async (id: string) => {
  const done = new Promise<void>((resolve) => finished.set(id, resolve));
  await cairn.env.ONE.create({ id });
  await done;
};
/** A statement the pg driver sent: its text, and when it was sent and answered (ms from the start of the work). */
type Sent = { text: string; sentMs: number; answeredMs: number | null };
/** The statements the pg driver sends while `work` runs, in order, each cut to 100 characters. */
const listing = async (work: () => Promise<unknown>): Promise<Sent[]> => {
  const sent: Sent[] = [];
  const query = pg.Client.prototype.query;
  const t0 = performance.now();
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string; callback?: (...a: unknown[]) => unknown };
    const text = typeof q === "string" ? q : (q?.text ?? "");
    const entry: Sent = {
      text: text.replace(/\s+/g, " ").trim().slice(0, LISTED_CHARS),
      sentMs: performance.now() - t0,
      answeredMs: null,
    };
    sent.push(entry);
    const answered = () => {
      entry.answeredMs = performance.now() - t0;
    };
    // The pool passes a callback (in the config or last); a direct call gets a promise.
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (...a: unknown[]) => {
        answered();
        return (last as (...a: unknown[]) => unknown)(...a);
      };
    } else if (typeof q === "object" && typeof q?.callback === "function") {
      const callback = q.callback;
      q.callback = (...a: unknown[]) => {
        answered();
        return callback(...a);
      };
    }
    const result = (query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) result.then(answered, () => {});
    return result;
  } as typeof query;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
};
/** One line per statement: when it was sent and answered, and its text. */
const show = (sent: Sent[]) =>
  sent.map(
    (s) =>
      `  ${s.sentMs.toFixed(2).padStart(6)} → ${(s.answeredMs?.toFixed(2) ?? "?").padStart(6)} ms  ${s.text}`,
  );
const roundTrips = async () => {
  const match = /^cairn_postgres_round_trips_total(?:\{[^}]*\})? (\d+)/m.exec(await cairn.metrics());
  return Number(match?.[1] ?? Number.NaN);
};

try {
  for (let i = 0; i < 20; i++) await runOne(`warm-${i}`);
  // The statements of a few instances, as the pg driver sends them, with their times.
  const listed = [];
  for (let i = 0; i < LISTED; i++) listed.push(await listing(() => runOne(`listed-${i}`)));
  const sent = listed[0] ?? [];
  const before = await roundTrips();
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) await runOne(`run-${i}`);
  const ms = (performance.now() - start) / RUNS;
  const perInstance = ((await roundTrips()) - before) / RUNS;
  console.log(
    `statements of one instance, create to complete (${sent.length}), sent → answered, ms from the create:`,
  );
  for (const one of listed) console.log(`${show(one).join("\n")}\n`);
  console.log(
    `${perInstance.toFixed(2)} round trips per instance from create to complete over ${RUNS} instances (${ms.toFixed(2)} ms each on this machine now)`,
  );
  let eventTrips = 0;
  for (let i = 0; i < 20; i++) eventTrips += await eventRoundTrip(`event-${i}`);
  const sentForEvent: Sent[] = [];
  await eventRoundTrip("event-listed", sentForEvent);
  console.log(
    `statements of one event round trip, sendEvent to complete (${sentForEvent.length}), sent → answered, ms from the sendEvent:`,
  );
  console.log(show(sentForEvent).join("\n"));
  console.log(
    `${(eventTrips / 20).toFixed(2)} round trips from sendEvent to complete (hibernated waiter), over 20`,
  );
} finally {
  await cairn.close();
  await server.destroy();
}
