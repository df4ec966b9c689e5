// Test helper for the HTTP API fuzz and bad-input tests: a Cairn on a real SQLite file with the
// API tests' workflows and instances in several states (complete, errored, waiting on an event,
// paused, terminated), the API handler serving it, and the names, ids, step names and keys a
// request can aim at so that fuzzed requests reach real code, not only 404s.

import { Cairn, createApiHandler } from "cairn";
import { waitUntil } from "cairn/testing";
import type { ApiHandler, ApiHandlerOptions } from "../../../src/server/api-handler.js";
import { versionId } from "../../../src/server/cloudflare-shapes.js";
import { tempDir } from "../../helpers/temp-store.js";
import { workflows } from "../workflows.js";

/** Values a request can name that exist (and a few that do not), for path segments and queries. */
export type Known = {
  workflows: string[];
  /** Instances of every state, for reading routes; mutating routes leave them alone. */
  ids: string[];
  /** Instances of "orders" for the routes that change or delete an instance (see `replenish`). */
  victims: string[];
  /** Each fixture instance with its workflow (ids are per workflow). */
  refs: { workflow: string; id: string }[];
  stepNames: string[];
  stepKeys: string[];
  eventTypes: string[];
  versions: string[];
  cursors: string[];
};

export type FuzzFixture = {
  cairn: Cairn<typeof workflows>;
  api: ApiHandler;
  known: Known;
  /** What the API reported as its own fault (every 500) and the engine's background errors. */
  errors: { error: unknown; context: string }[];
  /** Creates the victims again that requests deleted (those that exist stay as they are). */
  replenish(): Promise<void>;
  close(): Promise<void>;
};

/** Instances the mutating routes pause, terminate, restart, send events to and delete. */
export const VICTIMS = Array.from({ length: 12 }, (_, i) => `v-${i}`);

/** Ids of the instances the fixture creates, by the state they are left in. */
export const FIXTURE_IDS = {
  complete: ["q-done-1", "q-done-2"],
  errored: ["b-err-1", "b-err-2"],
  waiting: ["o-wait-1", "o-wait-2", "o-wait-3", "o-wait-4"],
  paused: ["o-paused-1", "o-paused-2"],
  terminated: ["o-term-1"],
} as const;

const WAIT = { timeoutMs: 15_000 };

export async function openFuzzFixture(
  options: Omit<ApiHandlerOptions, "target" | "onError"> = {},
): Promise<FuzzFixture> {
  const dir = tempDir("cairn-fuzz-");
  const errors: { error: unknown; context: string }[] = [];
  const cairn = await Cairn.open({
    storage: `sqlite:${dir.dbPath}`,
    workflows,
    env: {},
    onError: (error, context) => errors.push({ error, context }),
  });
  const api = createApiHandler({
    ...options,
    target: cairn,
    onError: (error, context) => errors.push({ error, context }),
  });

  const { ORDERS, BROKEN, QUICK } = cairn.env;
  for (const id of FIXTURE_IDS.complete) await QUICK.create({ id });
  for (const id of FIXTURE_IDS.errored) await BROKEN.create({ id });
  const orders = [...FIXTURE_IDS.waiting, ...FIXTURE_IDS.paused, ...FIXTURE_IDS.terminated];
  for (const id of orders) await ORDERS.create({ id, params: { amount: 5 } });
  const statuses = async () => {
    const [q, b, o] = await Promise.all(
      ["quick", "broken", "orders"].map((w) => cairn.inspect.instances(w, { limit: 100 })),
    );
    return [...q!.instances, ...b!.instances, ...o!.instances];
  };
  const settled = (want: string) => (list: { id: string; status: string }[], ids: readonly string[]) =>
    ids.every((id) => list.find((i) => i.id === id)?.status === want);
  await waitUntil(
    statuses,
    (list) =>
      settled("complete")(list, FIXTURE_IDS.complete) &&
      settled("errored")(list, FIXTURE_IDS.errored) &&
      settled("waiting")(list, orders),
    { ...WAIT, what: "the fixture's instances complete, errored and waiting" },
  );
  for (const id of FIXTURE_IDS.paused) await (await ORDERS.get(id)).pause();
  for (const id of FIXTURE_IDS.terminated) await (await ORDERS.get(id)).terminate();
  await waitUntil(
    statuses,
    (list) =>
      settled("paused")(list, FIXTURE_IDS.paused) && settled("terminated")(list, FIXTURE_IDS.terminated),
    { ...WAIT, what: "the fixture's instances paused and terminated" },
  );

  const detail = await cairn.inspect.instance("orders", FIXTURE_IDS.waiting[0]);
  const stepKeys = detail.steps.map((s) => s.key);
  const stepNames = detail.steps.map((s) => `${s.name}-${s.count}`);
  const cursor = (await cairn.inspect.instances("orders", { limit: 1 })).nextCursor;
  const known: Known = {
    workflows: ["orders", "broken", "quick", "nope", "ORDERS", ""],
    ids: [...Object.values(FIXTURE_IDS).flat(), "ghost", "0 0 * * MON#2-1786001400000"],
    victims: VICTIMS,
    refs: [
      ...FIXTURE_IDS.complete.map((id) => ({ workflow: "quick", id })),
      ...FIXTURE_IDS.errored.map((id) => ({ workflow: "broken", id })),
      ...[...FIXTURE_IDS.waiting, ...FIXTURE_IDS.paused, ...FIXTURE_IDS.terminated].map((id) => ({
        workflow: "orders",
        id,
      })),
    ],
    stepNames: [...stepNames, "charge-2", "charge", "nope-1"],
    stepKeys: [...stepKeys, "do:9:nope"],
    eventTypes: ["approve", "other", "approve.v2"],
    versions: [versionId("orders"), versionId("quick"), "00000000-0000-4000-a000-000000000000"],
    cursors: cursor ? [cursor] : [],
  };
  const replenish = async () => {
    await ORDERS.createBatch(VICTIMS.map((id) => ({ id, params: { amount: 1 } })));
  };
  await replenish();
  return {
    cairn,
    api,
    known,
    errors,
    replenish,
    async close() {
      await cairn.close();
      dir.cleanup();
    },
  };
}
