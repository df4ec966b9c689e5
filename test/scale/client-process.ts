// The client process of the scale-out tests: it never runs instances (runInstances: false); it
// creates them in batches and then sends each one its event, in a shuffled order, a few at a
// time (at a given pace), while the workers run them. A call that fails because PostgreSQL is away is retried
// until it goes through (createBatch skips ids already created, so retrying it is safe).
// Usage: node --import tsx --conditions=source client-process.ts '<ClientConfig as JSON>'

import { Cairn, WorkflowsError } from "cairn";
import { eventFor, Mixed } from "./mixed-workflow.js";
import type { FromChild, ToChild } from "./protocol.js";

/**
 * `paceMs`: pause of each of the 4 sending lanes between two events (0: as fast as it goes).
 * `batch`: instead of `count` instances at once, batches of this size for as long as the parent
 * allows ("allow" messages raise the total it may create; `count` is the first allowance), each
 * batch's events sent before the next batch, until the parent says "finish".
 */
export type ClientConfig = {
  url: string;
  schema: string;
  count: number;
  seed: number;
  paceMs: number;
  batch?: number;
};

const config = JSON.parse(process.argv[2] ?? "") as ClientConfig;
const tell = (message: FromChild) => process.send?.(message);

const cairn = await Cairn.open({
  storage: config.url,
  postgresSchema: config.schema,
  postgresPoolSize: 6,
  workflows: { MIXED: { name: "mixed", class: Mixed } },
  runInstances: false,
});
let allowed = config.count;
let finishing = false;
let wakeCreator: (() => void) | null = null;
process.on("message", (message: ToChild) => {
  if (message.type === "close") void cairn.close().then(() => process.disconnect?.());
  if (message.type === "allow") allowed = Math.max(allowed, message.upTo);
  if (message.type === "finish") finishing = true;
  if (message.type !== "close") wakeCreator?.();
});
tell({ type: "ready" });

let retried = 0;
/** Runs `call` until it does not fail for lack of a database. */
async function persist<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!WorkflowsError.is(error) || error.code !== "storage.unavailable") throw error;
      retried += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// A seeded shuffle, so some instances get their event long before they wait and others after.
let state = config.seed >>> 0 || 1;
const random = () => {
  state = (state * 1_103_515_245 + 12_345) >>> 0;
  return state / 2 ** 32;
};
function shuffled<T>(items: T[]): T[] {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

let sent = 0;
/** Sends each instance of `order` its event, 4 at a time. */
async function sendAll(order: { n: number; id: string }[], total: number) {
  let next = 0;
  const lane = async () => {
    while (next < order.length) {
      const { n, id } = order[next++]!;
      const instance = await persist(() => cairn.env.MIXED.get(id));
      await persist(() => instance.sendEvent({ type: "go", payload: eventFor(id, n) }));
      sent += 1;
      if (config.paceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.paceMs));
      if (sent % 100 === 0 || sent === total) tell({ type: "sent", count: sent, retried });
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

if (config.batch) {
  // Batches for as long as the parent allows; each batch's events go out before the next batch.
  let created = 0;
  while (!finishing) {
    if (created >= allowed) {
      await new Promise<void>((resolve) => {
        wakeCreator = resolve;
      });
      wakeCreator = null;
      continue;
    }
    const size = Math.min(config.batch, allowed - created);
    const batch = Array.from({ length: size }, (_, k) => ({ n: created + k, id: `m-${created + k}` }));
    await persist(() => cairn.env.MIXED.createBatch(batch.map(({ n, id }) => ({ id, params: { n } }))));
    created += size;
    tell({ type: "created", count: created });
    await sendAll(shuffled(batch), created);
  }
  tell({ type: "finished", created, sent, retried });
} else {
  const ids = Array.from({ length: config.count }, (_, n) => ({ n, id: `m-${n}` }));
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100).map(({ n, id }) => ({ id, params: { n } }));
    await persist(() => cairn.env.MIXED.createBatch(batch));
    tell({ type: "created", count: Math.min(i + 100, ids.length) });
  }
  await sendAll(shuffled(ids), ids.length);
}
