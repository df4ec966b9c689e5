// `DurableObjectNamespace`, the binding a Worker gets for a Durable Object class: makes ids
// (`idFromName`, `idFromString`, `newUniqueId`) and stubs (`get`, `getByName`). Stubs open the
// object lazily, at their first call, so `get` itself never fails on a live-elsewhere object.

import { DurableObjectId, type IdFactory } from "./object-id.js";
import { createStub, type ObjectTarget } from "./stub.js";

const JURISDICTIONS = new Set(["eu", "fedramp", "fedramp-high"]);

export class DurableObjectNamespace {
  readonly #ids: IdFactory;
  readonly #object: (id: DurableObjectId) => Promise<ObjectTarget>;

  constructor(ids: IdFactory, object: (id: DurableObjectId) => Promise<ObjectTarget>) {
    this.#ids = ids;
    this.#object = object;
  }

  idFromName(name: string): DurableObjectId {
    if (name === undefined) throw new TypeError("idFromName() takes the object's name as a string");
    return this.#ids.fromName(name);
  }

  idFromString(id: string): DurableObjectId {
    return this.#ids.fromString(id);
  }

  newUniqueId(_options?: { jurisdiction?: string }): DurableObjectId {
    return this.#ids.unique();
  }

  get(id: DurableObjectId, _options?: { locationHint?: string }): Record<string, unknown> {
    if (!(id instanceof DurableObjectId)) {
      throw new TypeError("get() takes a DurableObjectId from idFromName(), idFromString() or newUniqueId()");
    }
    // An id of another class's namespace is refused as Cloudflare refuses it.
    this.#ids.fromString(id.toString());
    return createStub(id, () => this.#object(id));
  }

  getByName(name: string, options?: { locationHint?: string }): Record<string, unknown> {
    return this.get(this.idFromName(name), options);
  }

  /** The same namespace: Cairn runs every object on this machine, so a jurisdiction changes nothing. */
  jurisdiction(name: string): DurableObjectNamespace {
    if (!JURISDICTIONS.has(name)) {
      throw new TypeError(
        `Unknown jurisdiction "${String(name)}"; use one of ${[...JURISDICTIONS].join(", ")}`,
      );
    }
    return this;
  }
}
