// The Durable Objects live in this process, one per id: opened (and their files locked) at their
// first event, kept until the host closes. It resolves each class from the Worker's current build,
// so that after a `cairn dev` reload the next event constructs the new class on the same storage,
// and it runs alarms for the scheduler. With several processes on PostgreSQL (`hosting` given),
// an object opens here only once this process holds its lease; one whose lease another live
// process holds is reached through a RemoteObject, and one whose lease was lost is closed.

import { join } from "node:path";
import type { Logger } from "../../observability/logger.js";
import type { WorkerModule } from "../worker-module.js";
import { AlarmScheduler, type AlarmTimers } from "./alarms.js";
import type { StorageKind } from "./config.js";
import { DurableObjectError } from "./errors.js";
import type { ObjectAddress } from "./forward-protocol.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { LiveObject, type ObjectClass } from "./live-object.js";
import { DurableObjectNamespace } from "./namespace.js";
import { openObjectFile } from "./object-file.js";
import { DurableObjectId, IdFactory } from "./object-id.js";
import { RemoteObject } from "./remote-object.js";
import type { StateIndex } from "./state-index.js";
import { STORAGE_INTERNALS } from "./storage.js";
import type { ObjectTarget } from "./stub.js";

/** Object-host leases and forwarding, when several processes share PostgreSQL. */
export type Hosting = {
  leases: LeaseKeeper;
  /** The API token forwarded calls carry. */
  token: string | undefined;
};

export type RegistryOptions = {
  /** `<stateDir>/durable-objects`. */
  dir: string;
  index: StateIndex;
  classes: Map<string, StorageKind>;
  module: () => WorkerModule;
  env: () => Record<string, unknown>;
  waitUntil: (promise: Promise<unknown>) => void;
  log: Logger;
  timers?: AlarmTimers;
  /** Absent on SQLite storage: this process then hosts every object. */
  hosting?: Hosting | undefined;
};

export class ObjectRegistry {
  readonly alarms: AlarmScheduler;
  private readonly options: RegistryOptions;
  private readonly live = new Map<string, LiveObject>();
  private readonly namespaces = new Map<string, DurableObjectNamespace>();
  private readonly idFactories = new Map<string, IdFactory>();
  /** Lease claims under way, so that concurrent calls to one object make one claim. */
  private readonly claiming = new Map<string, Promise<ObjectTarget>>();
  private closed = false;

  constructor(options: RegistryOptions) {
    this.options = options;
    this.alarms = new AlarmScheduler({
      index: options.index,
      log: options.log,
      timers: options.timers,
      recheckElsewhereMs: options.hosting?.leases.leaseMs,
      run: (className, objectId, retryCount) => this.runAlarm(className, objectId, retryCount),
      clear: (className, objectId) => this.clearAlarm(className, objectId),
    });
  }

  /** The namespace binding of `className` (one per class, shared by bindings to it). */
  namespace(className: string): DurableObjectNamespace {
    let namespace = this.namespaces.get(className);
    if (!namespace) {
      namespace = new DurableObjectNamespace(this.ids(className), (id) => this.resolve(className, id));
      this.namespaces.set(className, namespace);
    }
    return namespace;
  }

  /**
   * Where the object `id` of `className` is live: here (opened now if needed, once its lease is
   * this process's), or in the process holding its lease.
   */
  async resolve(className: string, id: DurableObjectId): Promise<ObjectTarget> {
    const hosting = this.options.hosting;
    if (!hosting) return { local: this.object(className, id) };
    this.checkOpen(className, id);
    const key = `${className}/${id}`;
    const live = this.live.get(key);
    // The check made before each event: a lease surely still ours needs no round trip.
    if (live && hosting.leases.isCurrent(className, id.toString())) return { local: live };
    let claim = this.claiming.get(key);
    if (!claim) {
      claim = this.claim(className, id, hosting).finally(() => this.claiming.delete(key));
      this.claiming.set(key, claim);
    }
    return claim;
  }

  /** For a call another process forwarded: the object live here, or "moved" if another holds it. */
  async hostHere({ className, objectId, objectName }: ObjectAddress): Promise<LiveObject> {
    if (!this.options.classes.has(className)) {
      throw new DurableObjectError(
        "durable_object.moved",
        `Durable Object class ${className} is not bound in this process's project`,
      );
    }
    // Checked as idFromString checks it: an id of this class's namespace.
    const id = new DurableObjectId(this.ids(className).fromString(objectId).toString(), objectName);
    let target: ObjectTarget;
    try {
      target = await this.resolve(className, id);
    } catch (error) {
      // Stopping here: the caller looks the object up again and takes it over once the lease is free.
      if (DurableObjectError.is(error) && error.code === "durable_object.closed") {
        throw new DurableObjectError("durable_object.moved", error.message);
      }
      throw error;
    }
    if ("local" in target) return target.local;
    throw new DurableObjectError(
      "durable_object.moved",
      `Durable Object ${className} ${objectId} is no longer hosted by this process`,
    );
  }

  /** The lease of an object was lost: it closes here, and its next call looks it up again. */
  lost(className: string, objectId: string): void {
    const key = `${className}/${objectId}`;
    const object = this.live.get(key);
    if (!object) return;
    this.live.delete(key);
    object.close(1012, "the Durable Object moved to another process");
  }

  private async claim(className: string, id: DurableObjectId, hosting: Hosting): Promise<ObjectTarget> {
    const objectId = id.toString();
    const claim = await hosting.leases.claim(className, objectId);
    const key = `${className}/${objectId}`;
    if (!claim.mine) {
      this.lost(className, objectId);
      return {
        remote: new RemoteObject({
          className,
          objectId,
          objectName: id.name,
          owner: claim.owner,
          address: claim.address,
          token: hosting.token,
        }),
      };
    }
    const live = this.live.get(key);
    if (live) return { local: live };
    try {
      const object = this.object(className, id);
      // Taken over from a process that died: its alarm, set there, is armed here now.
      const alarm = object.storage[STORAGE_INTERNALS]().storedAlarm();
      if (alarm !== null) this.alarms.set(className, objectId, alarm);
      return { local: object };
    } catch (error) {
      // The file is still locked (its previous holder has not closed it yet): let the lease go.
      await hosting.leases.release(className, objectId).catch(() => {});
      throw error;
    }
  }

  /** The live object `id` of `className` in this process, opened now if it is not live yet. */
  object(className: string, id: DurableObjectId): LiveObject {
    this.checkOpen(className, id);
    const key = `${className}/${id}`;
    const existing = this.live.get(key);
    if (existing) return existing;
    const kind = this.options.classes.get(className) ?? "kv";
    const db = openObjectFile(join(this.options.dir, className, `${id}.sqlite`), `${className} ${id}`);
    const object = new LiveObject({
      className,
      id,
      db,
      kind,
      resolveClass: () => this.resolveClass(className),
      env: this.options.env,
      waitUntil: this.options.waitUntil,
      alarms: (time) => this.alarms.set(className, id.toString(), time),
      onSocketEventError: (error, event) =>
        this.options.log.error(
          { className, id: id.toString(), event: event.type, err: error },
          "Durable Object WebSocket handler failed",
        ),
    });
    this.live.set(key, object);
    return object;
  }

  /** The Worker's code changed: live objects are constructed from the new classes at their next event. */
  reloaded(): void {
    for (const object of this.live.values()) object.restart();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.alarms.close();
    for (const object of this.live.values()) object.close();
    this.live.clear();
    await this.options.hosting?.leases.close();
  }

  private checkOpen(className: string, id: DurableObjectId): void {
    if (this.closed) {
      throw new DurableObjectError(
        "durable_object.closed",
        `Durable Object ${className} ${id} cannot start: the host is stopping`,
      );
    }
  }

  private async clearAlarm(className: string, objectId: string): Promise<void> {
    const target = await this.resolve(className, new DurableObjectId(objectId));
    if ("local" in target) target.local.clearAlarm();
  }

  private ids(className: string): IdFactory {
    let ids = this.idFactories.get(className);
    if (!ids) {
      ids = new IdFactory(this.options.index.idKey(className));
      this.idFactories.set(className, ids);
    }
    return ids;
  }

  private resolveClass(className: string): ObjectClass {
    const exported = this.options.module().exports[className];
    if (typeof exported !== "function") {
      throw new TypeError(
        `Durable Object class ${className} is not exported by the Worker's current build; export it (export class ${className} extends DurableObject { … })`,
      );
    }
    return exported as ObjectClass;
  }

  private async runAlarm(className: string, objectId: string, retryCount: number) {
    // A class no longer in the config keeps its alarms on disk until it comes back or is deleted.
    if (!this.options.classes.has(className)) return "unavailable" as const;
    let target: ObjectTarget;
    try {
      target = await this.resolve(className, new DurableObjectId(objectId));
    } catch (error) {
      if (DurableObjectError.is(error) && error.code === "durable_object.hosted_elsewhere")
        return "unavailable" as const;
      throw error;
    }
    // Another process holds the object's lease: its own scheduler runs the alarm.
    if (!("local" in target)) return "elsewhere" as const;
    const object = target.local;
    return object.runAlarm(retryCount, () => (this.options.timers ?? { now: Date.now }).now());
  }
}
