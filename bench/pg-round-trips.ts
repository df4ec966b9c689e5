// pg-round-trips: how many statements (round trips to PostgreSQL) one process sends for a
// one-step workflow from create to complete, one instance at a time as in W2, read from Cairn's
// own cairn_postgres_round_trips_total, with the statements of one such instance listed in
// order. Round trips do not depend on the machine's moment, so this shows what a change to the
// path saves even on a busy machine. Starts a throwaway server (test/helpers/postgres-server.ts).
// A measurement to read, not a test: `npx tsx --conditions=source bench/pg-round-trips.ts`.

import pg from "pg";
import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { startPostgresServer } from "../test/helpers/postgres-server.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

const RUNS = 100;
const server = await startPostgresServer();
const cairn = await Cairn.open({ storage: server.url, workflows: { ONE: { name: "one", class: OneStep } } });
const finished = new Map<string, () => void>();
cairn.engine.changes.subscribe((change) => {
  if (change.type === "status" && change.status === "complete") finished.get(change.id)?.();
});
const runOne = async (id: string) => {
  const done = new Promise<void>((resolve) => finished.set(id, resolve));
  await cairn.env.ONE.create({ id });
  await done;
};
const roundTrips = async () => {
  const match = /^cairn_postgres_round_trips_total(?:\{[^}]*\})? (\d+)/m.exec(await cairn.metrics());
  return Number(match?.[1] ?? Number.NaN);
};

try {
  for (let i = 0; i < 20; i++) await runOne(`warm-${i}`);
  // The statements of one instance, as the pg driver sends them.
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    const text = typeof q === "string" ? q : (q?.text ?? "");
    sent.push(text.replace(/\s+/g, " ").trim().slice(0, 100));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  await runOne("listed");
  pg.Client.prototype.query = query;
  const before = await roundTrips();
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) await runOne(`run-${i}`);
  const ms = (performance.now() - start) / RUNS;
  const perInstance = ((await roundTrips()) - before) / RUNS;
  console.log(`statements of one instance, create to complete (${sent.length}):`);
  for (const text of sent) console.log(`  ${text}`);
  console.log(
    `${perInstance.toFixed(2)} round trips per instance from create to complete over ${RUNS} instances (${ms.toFixed(2)} ms each on this machine now)`,
  );
} finally {
  await cairn.close();
  await server.destroy();
}
