// Shared fixtures for the storage conformance cases: how a case is declared, a fixed clock
// origin, byte helpers and short ways to bring an instance into a given state. Everything here
// goes through the Store contract only, so the same helpers serve every adapter.

import { expect } from "vitest";
import { StaleLeaseError } from "../../../src/errors.js";
import type {
  Claim,
  ClaimRequest,
  ErrorRecord,
  Fence,
  InstanceRecord,
  NewInstance,
  StepRecord,
  Store,
  StoredStatus,
} from "../../../src/storage/types.js";

/** Declares one conformance case; the harness opens a fresh store for each. */
export type StoreCase = (name: string, body: (store: Store) => Promise<void>) => void;

/** A fixed origin for `now`: stores never read a clock of their own. */
export const T0 = 1_700_000_000_000;
export const WF = "orders";
export const OTHER_WF = "emails";
export const OWNER_A = "owner-a";
export const OWNER_B = "owner-b";
export const SUCCESS_RETENTION_MS = 60_000;
export const ERROR_RETENTION_MS = 120_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

export function newInstance(id: string, over: Partial<NewInstance> = {}): NewInstance {
  return {
    workflow: WF,
    id,
    params: bytes(`params of ${id}`),
    trigger: "api",
    successRetentionMs: SUCCESS_RETENTION_MS,
    errorRetentionMs: ERROR_RETENTION_MS,
    ...over,
  };
}

/** Creates one instance and returns its seq; fails the case if it was not created. */
export async function create(
  store: Store,
  id: string,
  now = T0,
  over: Partial<NewInstance> = {},
): Promise<number> {
  const [result] = await store.createInstances([newInstance(id, over)], now);
  if (!result?.created) throw new Error(`fixture: instance ${id} was not created`);
  return result.seq;
}

type ClaimOptions = Partial<Omit<ClaimRequest, "now">>;

/** Claims with generous slots for both test workflows unless told otherwise. */
export function claim(store: Store, now: number, options: ClaimOptions = {}): Promise<Claim[]> {
  return store.claim({
    owner: OWNER_A,
    leaseMs: 60_000,
    slots: { [WF]: 100, [OTHER_WF]: 100 },
    total: 100,
    ...options,
    now,
  });
}

export const fenceOf = (c: Claim | InstanceRecord): Fence => {
  const record = "instance" in c ? c.instance : c;
  return { seq: record.seq, epoch: record.epoch };
};

/**
 * Creates an instance and claims it, so it is `running` under a lease. Fails the case if the
 * claim took anything else, which would mean the fixture was used with other work queued.
 */
export async function start(
  store: Store,
  id: string,
  now = T0,
  options: { owner?: string; leaseMs?: number; workflow?: string } = {},
): Promise<{ claim: Claim; fence: Fence }> {
  const workflow = options.workflow ?? WF;
  await create(store, id, now, { workflow });
  const claims = await claim(store, now, {
    owner: options.owner ?? OWNER_A,
    leaseMs: options.leaseMs ?? 60_000,
    slots: { [workflow]: 100 },
  });
  if (claims.length !== 1 || claims[0]!.instance.id !== id) {
    throw new Error(`fixture: expected to claim only ${id}, got ${claims.map((c) => c.instance.id)}`);
  }
  return { claim: claims[0]!, fence: fenceOf(claims[0]!) };
}

/** Starts an instance and suspends it with the given wake condition. */
export async function hibernate(
  store: Store,
  id: string,
  now: number,
  wake: { wakeAt: number | null; waitTypes: string[] },
): Promise<Fence> {
  const { fence } = await start(store, id, now);
  await store.suspend(fence, wake, now);
  return fence;
}

/** Starts an instance and finishes it as `complete` or `errored`. */
export async function finished(
  store: Store,
  id: string,
  now: number,
  result: { status: "complete"; output: Uint8Array } | { status: "errored"; error: ErrorRecord },
): Promise<Fence> {
  const { fence } = await start(store, id, now);
  await store.finish(fence, result, now);
  return fence;
}

/** Reads an instance that must exist. */
export async function mustGet(store: Store, id: string, workflow = WF): Promise<InstanceRecord> {
  const record = await store.getInstance(workflow, id);
  if (!record) throw new Error(`expected instance ${workflow}/${id} to exist`);
  return record;
}

/** Narrows a record to one status variant, failing the case when it is another. */
export function expectStatus<S extends StoredStatus>(
  record: InstanceRecord | undefined,
  status: S,
): asserts record is InstanceRecord & { status: S } {
  expect(record?.status).toBe(status);
}

/** Asserts that a fenced write was refused as stale. */
export async function expectStale(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StaleLeaseError);
  expect((error as StaleLeaseError).code).toBe("storage.stale_lease");
}

/** A record with its byte fields decoded, so records compare equal whatever Uint8Array subclass they use. */
export function plain(record: InstanceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record, params: text(record.params) };
  if (record.status === "complete") out.output = text(record.output);
  return out;
}

/** Everything a store holds about one instance that the contract lets a caller read. */
export async function snapshot(store: Store, id: string, workflow = WF) {
  const instance = await mustGet(store, id, workflow);
  return {
    instance: plain(instance),
    journal: sortSteps(await store.loadJournal(instance.seq)),
    log: await store.readLog(instance.seq),
  };
}

export function sortSteps(records: StepRecord[]): StepRecord[] {
  return [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A `step.do` record whose attempt `attempts` is in flight. */
export function runningStep(
  name: string,
  startedAt: number,
  config: unknown = null,
): StepRecord & { status: "running" } {
  return {
    key: `do:${name}:1`,
    kind: "do",
    name,
    count: 1,
    startedAt,
    config,
    status: "running",
    attempts: 1,
  };
}

/**
 * An instance first held by OWNER_A under a short lease, then taken over by OWNER_B after the
 * lease ran out: `stale` is A's fence, `current` is B's.
 */
export async function takenOver(
  store: Store,
  id: string,
): Promise<{ stale: Fence; current: Fence; now: number }> {
  const { fence: stale } = await start(store, id, T0, { owner: OWNER_A, leaseMs: 1_000 });
  const now = T0 + 2_000;
  const claims = await claim(store, now, { owner: OWNER_B });
  if (claims.length !== 1 || claims[0]!.instance.id !== id) {
    throw new Error(`fixture: expected ${OWNER_B} to take over ${id}`);
  }
  return { stale, current: fenceOf(claims[0]!), now };
}
