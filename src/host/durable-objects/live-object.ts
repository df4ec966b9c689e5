// One Durable Object live in this process: its locked file, its storage, its input gate and (once
// an event has arrived) the instance of its class. Every event — fetch, RPC call, alarm, and the
// WebSocket events the hibernation API adds — goes through `deliver`, which waits for the input
// gate, constructs the object if needed (waiting for any blockConcurrencyWhile its constructor
// started), runs the event, and returns only after the transactions it opened are committed.

import type Database from "better-sqlite3";
import type { StorageKind } from "./config.js";
import { DurableObjectError } from "./errors.js";
import { HibernatableWebSockets, type HibernationEvent } from "./hibernation.js";
import { InputGate } from "./input-gate.js";
import type { DurableObjectId } from "./object-id.js";
import { DurableObjectState } from "./object-state.js";
import { type AlarmControl, DurableObjectStorage, STORAGE_INTERNALS } from "./storage.js";

type Instance = Record<string, unknown>;
export type ObjectClass = new (ctx: DurableObjectState, env: Record<string, unknown>) => object;

export type LiveObjectOptions = {
  className: string;
  id: DurableObjectId;
  db: Database.Database;
  kind: StorageKind;
  /** The class as the Worker's current build exports it. */
  resolveClass: () => ObjectClass;
  env: () => Record<string, unknown>;
  waitUntil: (promise: Promise<unknown>) => void;
  /** The alarm index and timer of this object. */
  alarms: (time: number | null) => void;
  /** Told of a WebSocket event whose handler threw or ran past the event timeout. */
  onSocketEventError: (error: unknown, event: HibernationEvent) => void;
};

/** Calls the object's handler for one event of a socket it accepted with `ctx.acceptWebSocket`. */
function socketHandler(event: HibernationEvent) {
  return (instance: Instance): unknown => {
    const call = (name: string, ...args: unknown[]) => {
      const handler = instance[name];
      return typeof handler === "function" ? handler.apply(instance, args) : undefined;
    };
    switch (event.type) {
      case "message":
        return call("webSocketMessage", event.ws, event.data);
      case "close":
        return call("webSocketClose", event.ws, event.code, event.reason, event.wasClean);
      case "error":
        return call("webSocketError", event.ws, event.error);
    }
  };
}

export type AlarmRun =
  | { outcome: "ran" }
  | { outcome: "failed"; error: unknown }
  | { outcome: "none" }
  | { outcome: "later"; time: number };

export class LiveObject {
  readonly className: string;
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  /**
   * The sockets the object accepted with the hibernation API. They outlive a reset of the object
   * (their next event constructs it again, as after hibernation); a restart on new code or the
   * host stopping closes them.
   */
  readonly sockets: HibernatableWebSockets;
  private readonly gate = new InputGate();
  private readonly options: LiveObjectOptions;
  private instance: Instance | null = null;
  private closed = false;

  constructor(options: LiveObjectOptions) {
    this.options = options;
    this.className = options.className;
    this.id = options.id;
    const control: AlarmControl = {
      set: options.alarms,
      hasHandler: () =>
        typeof (options.resolveClass().prototype as Instance | undefined)?.alarm === "function",
    };
    this.storage = new DurableObjectStorage(options.db, options.kind, this.gate, control);
    this.sockets = new HibernatableWebSockets(
      async (event) => {
        await this.deliver(socketHandler(event));
      },
      { onDeliveryError: options.onSocketEventError },
    );
  }

  /** Delivers one event to the object behind its input gate; resolves with the event's result. */
  async deliver<T>(event: (instance: Instance) => T | Promise<T>): Promise<T> {
    this.checkOpen();
    await this.gate.enter();
    this.checkOpen();
    const instance = await this.ready();
    const result = await event(instance);
    await this.storage[STORAGE_INTERNALS]().settled();
    return result;
  }

  /** Drops the instance: the next event constructs the class again (reset, abort, reload). */
  reset(): void {
    this.instance = null;
  }

  /** Runs the object's alarm() if its alarm is due at `now`. */
  runAlarm(retryCount: number, now: () => number): Promise<AlarmRun> {
    return this.deliver(async (instance): Promise<AlarmRun> => {
      const internals = this.storage[STORAGE_INTERNALS]();
      const time = internals.storedAlarm();
      if (time === null) return { outcome: "none" };
      if (time > now()) return { outcome: "later", time };
      const alarm = instance.alarm;
      if (typeof alarm !== "function") {
        internals.clearAlarm();
        return { outcome: "none" };
      }
      internals.beginAlarm(time);
      try {
        await alarm.call(instance, { retryCount, isRetry: retryCount > 0 });
        internals.finishAlarm(true);
        return { outcome: "ran" };
      } catch (error) {
        internals.finishAlarm(false);
        return { outcome: "failed", error };
      }
    });
  }

  /** Drops the alarm after its retries ran out. */
  clearAlarm(): void {
    this.storage[STORAGE_INTERNALS]().clearAlarm();
  }

  /** The Worker's code changed: sockets close with 1012 and the next event constructs the new class. */
  restart(): void {
    this.sockets.closeAll(1012, "Durable Object restarted on new code");
    this.reset();
  }

  /** Closes the object's sockets (with `code`, by default 1001: the host is stopping) and its file. */
  close(code = 1001, reason = "the host is stopping"): void {
    if (this.closed) return;
    this.closed = true;
    this.sockets.closeAll(code, reason);
    this.instance = null;
    this.options.db.close();
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new DurableObjectError(
        "durable_object.closed",
        `Durable Object ${this.className} ${this.id} is closed; the host is stopping`,
      );
    }
  }

  /** The instance, constructed now if needed, with nothing else let in until it is ready. */
  private async ready(): Promise<Instance> {
    if (this.instance) return this.instance;
    const release = this.gate.closeUntilReleased();
    try {
      const blocks: Promise<unknown>[] = [];
      let failed = false;
      const ctx = new DurableObjectState(this.id, this.storage, this.sockets, {
        deliver: (event) => this.deliver(event),
        blockConcurrencyWhile: (fn) => {
          const run = this.gate.block(fn);
          run.catch(() => {
            failed = true;
            this.reset();
          });
          blocks.push(run);
          return run;
        },
        waitUntil: this.options.waitUntil,
        reset: () => this.reset(),
      });
      const Class = this.options.resolveClass();
      const instance = new Class(ctx, this.options.env()) as Instance;
      // A constructor's blockConcurrencyWhile holds the first event too; its failure reaches it.
      for (let i = 0; i < blocks.length; i++) await blocks[i];
      if (failed)
        throw new Error(`Durable Object ${this.className} was reset while it was being constructed`);
      this.instance = instance;
      return instance;
    } finally {
      release();
    }
  }
}
