// StoreSignals across processes through LISTEN/NOTIFY. Transitions queue a NOTIFY on the store's
// channel inside their transaction (so it is sent only if they commit); one connection per store
// LISTENs and hands what other processes sent to the subscribers. When that connection drops it
// reconnects with backoff and then delivers a `wake`, since notifications sent meanwhile are lost;
// nothing depends on them (timers and lease expiry still find the work), they only make it prompt.

import type pg from "pg";
import type { PublishedChange, StoredStatus, StoreSignal } from "../types.js";
import { checkout } from "./database.js";

/** The channel of one schema: deployments in other schemas of the database hear nothing of it. */
export function channelOf(schema: string): string {
  return `cairn:${schema}`;
}

type Wire =
  | { o: string; k: "w" }
  | { o: string; k: "c"; w: string; i: string }
  | { o: string; k: "e"; w: string; i: string; t: string }
  | { o: string; k: "s"; c: WireChange[] };

/** A published change as [type, workflow, id, status or null, at]: short, since a payload is < 8000 bytes. */
type WireChange = [PublishedChange["type"], string, string, StoredStatus | null, number];

/** A change as it travels in a `changes` payload. */
export function wireChange(change: PublishedChange): WireChange {
  return [change.type, change.workflow, change.id, change.status ?? null, change.at];
}

/** The NOTIFY payload carrying `changes` (already in wire form, see wireChange). */
export function encodeChanges(origin: string, changes: WireChange[]): string {
  return JSON.stringify({ o: origin, k: "s", c: changes } satisfies Wire);
}

function fromWire([type, workflow, id, status, at]: WireChange): PublishedChange {
  return status === null ? { type, workflow, id, at } : { type, workflow, id, status, at };
}

/** The NOTIFY payload of a signal, tagged with the sending store so it can ignore its own. */
export function encodeSignal(origin: string, signal: StoreSignal): string {
  let wire: Wire;
  if (signal.kind === "wake") wire = { o: origin, k: "w" };
  else if (signal.kind === "control") wire = { o: origin, k: "c", w: signal.workflow, i: signal.id };
  else if (signal.kind === "event")
    wire = { o: origin, k: "e", w: signal.workflow, i: signal.id, t: signal.type };
  else wire = { o: origin, k: "s", c: signal.changes.map(wireChange) };
  return JSON.stringify(wire);
}

/** The signal and sending store of a NOTIFY payload; null if the payload is not one of ours. */
export function decodeSignal(payload: string): { origin: string; signal: StoreSignal } | null {
  try {
    const w = JSON.parse(payload) as Wire;
    if (w.k === "w") return { origin: w.o, signal: { kind: "wake" } };
    if (w.k === "c") return { origin: w.o, signal: { kind: "control", workflow: w.w, id: w.i } };
    if (w.k === "e") return { origin: w.o, signal: { kind: "event", workflow: w.w, id: w.i, type: w.t } };
    if (w.k === "s" && Array.isArray(w.c)) {
      return { origin: w.o, signal: { kind: "changes", changes: w.c.map(fromWire) } };
    }
  } catch {
    // Not ours: another program NOTIFYing on the channel.
  }
  return null;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/** Holds one pooled connection in LISTEN on the channel; reconnects until stopped. */
export class SignalListener {
  private readonly pool: pg.Pool;
  private readonly channel: string;
  private readonly origin: string;
  /** How every payload this store sends begins (encodeSignal writes the origin first). */
  private readonly ownPrefix: string;
  private readonly deliver: (signal: StoreSignal) => void;
  /** Closes the listening connection without treating it as lost. */
  private closeCurrent: (() => void) | null = null;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private retry: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;

  constructor(pool: pg.Pool, channel: string, origin: string, deliver: (signal: StoreSignal) => void) {
    this.pool = pool;
    this.channel = channel;
    this.origin = origin;
    this.ownPrefix = `{"o":${JSON.stringify(origin)},`;
    this.deliver = deliver;
  }

  start(): void {
    if (this.stopped || this.closeCurrent || this.connecting || this.retry) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = null;
    });
  }

  private async connect(): Promise<void> {
    let client: pg.PoolClient;
    let early: Error | undefined;
    let onError = (error: Error) => {
      early ??= error;
    };
    try {
      client = await checkout(this.pool, (error) => onError(error));
    } catch {
      return this.again();
    }
    let done = false;
    const detach = () => {
      done = true;
      client.off("notification", onNote);
      if (this.closeCurrent === close) this.closeCurrent = null;
    };
    const onLost = (error?: Error) => {
      if (done) return;
      detach();
      client.release(error ?? new Error("listener connection ended"));
      this.again();
    };
    const close = () => {
      if (done) return;
      detach();
      // A connection still in LISTEN is not handed back to the pool: it is closed.
      client.release(true);
    };
    const onNote = (msg: pg.Notification) => {
      if (msg.channel !== this.channel || msg.payload === undefined) return;
      // This store's own notifications (a batch of changes can be 7 KB) are skipped unparsed.
      if (msg.payload.startsWith(this.ownPrefix)) return;
      const decoded = decodeSignal(msg.payload);
      if (decoded && decoded.origin !== this.origin) this.deliver(decoded.signal);
    };
    client.on("notification", onNote);
    onError = onLost;
    client.once("end", () => onLost());
    if (early) return onLost(early);
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      return onLost(error as Error);
    }
    if (done) return;
    if (this.stopped) return close();
    this.closeCurrent = close;
    this.backoff = MIN_BACKOFF_MS;
    // Whatever was sent while nobody listened is lost: look for work once.
    this.deliver({ kind: "wake" });
  }

  private again(): void {
    if (this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.start();
    }, delay);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    await this.connecting;
    this.closeCurrent?.();
  }
}
