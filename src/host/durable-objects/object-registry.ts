// The Durable Objects live in this process, one per id: opened (and their files locked) at their
// first event, kept until the host closes. It resolves each class from the Worker's current build,
// so that after a `cairn dev` reload the next event constructs the new class on the same storage,
// and it runs alarms for the scheduler.

import { join } from "node:path";
import type { Logger } from "../../observability/logger.js";
import type { WorkerModule } from "../worker-module.js";
import { AlarmScheduler, type AlarmTimers } from "./alarms.js";
import type { StorageKind } from "./config.js";
import { DurableObjectError } from "./errors.js";
import { LiveObject, type ObjectClass } from "./live-object.js";
import { DurableObjectNamespace } from "./namespace.js";
import { openObjectFile } from "./object-file.js";
import { DurableObjectId, IdFactory } from "./object-id.js";
import type { StateIndex } from "./state-index.js";

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
};

export class ObjectRegistry {
  readonly alarms: AlarmScheduler;
  private readonly options: RegistryOptions;
  private readonly live = new Map<string, LiveObject>();
  private readonly namespaces = new Map<string, DurableObjectNamespace>();
  private readonly idFactories = new Map<string, IdFactory>();
  private closed = false;

  constructor(options: RegistryOptions) {
    this.options = options;
    this.alarms = new AlarmScheduler({
      index: options.index,
      log: options.log,
      timers: options.timers,
      run: (className, objectId, retryCount) => this.runAlarm(className, objectId, retryCount),
      clear: (className, objectId) => this.object(className, new DurableObjectId(objectId)).clearAlarm(),
    });
  }

  /** The namespace binding of `className` (one per class, shared by bindings to it). */
  namespace(className: string): DurableObjectNamespace {
    let namespace = this.namespaces.get(className);
    if (!namespace) {
      namespace = new DurableObjectNamespace(this.ids(className), (id) => this.object(className, id));
      this.namespaces.set(className, namespace);
    }
    return namespace;
  }

  /** The live object `id` of `className`, opened now if it is not live yet. */
  object(className: string, id: DurableObjectId): LiveObject {
    if (this.closed) {
      throw new DurableObjectError(
        "durable_object.closed",
        `Durable Object ${className} ${id} cannot start: the host is stopping`,
      );
    }
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
    let object: LiveObject;
    try {
      object = this.object(className, new DurableObjectId(objectId));
    } catch (error) {
      if (DurableObjectError.is(error) && error.code === "durable_object.hosted_elsewhere")
        return "unavailable" as const;
      throw error;
    }
    return object.runAlarm(retryCount, () => (this.options.timers ?? { now: Date.now }).now());
  }
}
