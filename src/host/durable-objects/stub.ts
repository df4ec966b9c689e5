// The stub a Worker gets from `namespace.get(id)`: `fetch` sends a Request to the object's fetch
// handler, and any other property is an RPC call (or, awaited without a call, a read of a
// property) on the object, delivered through its input gate. Arguments and results are
// structured-cloned as Cloudflare's RPC serializes them; errors thrown by the object reach the
// caller with their name and message and `remote: true`. Functions and stubs cannot be passed.
// With several processes on PostgreSQL the object may be hosted by another process: the stub then
// hands the call to a RemoteObject, which forwards it there (remote-object.ts).

import { DurableObjectError } from "./errors.js";
import type { LiveObject } from "./live-object.js";
import type { DurableObjectId } from "./object-id.js";

/** Marks the base classes whose members are not the object's RPC methods. */
export const RPC_BASE = Symbol.for("cairn.rpcBase");

type Instance = Record<string, unknown>;

/** An object hosted by another process, reached over its Durable Object listener. */
export type RemoteTarget = {
  call(name: string, args: unknown[]): Promise<unknown>;
  /** A property's value, or `{ method: true }` when it is a method. */
  read(name: string): Promise<{ value: unknown } | { method: true }>;
  fetch(request: Request): Promise<Response>;
};

/** Where the object is live: in this process, or in another one. */
export type ObjectTarget = { local: LiveObject } | { remote: RemoteTarget };
type ObjectSource = () => Promise<ObjectTarget>;

/** Times a call looks the object up again when its holder answered that it moved on. */
const MOVED_TRIES = 3;

/** Runs `run` on the object's current target, looking it up again if its holder moved on. */
async function withTarget<T>(source: ObjectSource, run: (target: ObjectTarget) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await run(await source());
    } catch (error) {
      if (tries >= MOVED_TRIES || !DurableObjectError.is(error) || error.code !== "durable_object.moved")
        throw error;
    }
  }
}

/** The member `name` as RPC sees it: found on the class's prototype chain, not on the instance. */
function member(instance: Instance, name: string): { found: boolean; value: unknown } {
  if (name === "constructor") return { found: false, value: undefined };
  let proto: object | null = Object.getPrototypeOf(instance);
  while (proto && proto !== Object.prototype && !Object.hasOwn(proto, RPC_BASE)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) {
      return { found: true, value: descriptor.get ? descriptor.get.call(instance) : descriptor.value };
    }
    proto = Object.getPrototypeOf(proto);
  }
  return { found: false, value: undefined };
}

/** An error thrown by the object, as the caller receives it. */
function remoteError(error: unknown): unknown {
  // Cairn's own errors (the object is hosted elsewhere, the host is closing) keep their code.
  if (DurableObjectError.is(error)) return error;
  let copy: unknown;
  try {
    copy = structuredClone(error);
  } catch {
    copy = new Error(error instanceof Error ? error.message : String(error));
  }
  if (typeof copy === "object" && copy !== null) {
    try {
      Object.defineProperty(copy, "remote", {
        value: true,
        enumerable: false,
        configurable: true,
        writable: true,
      });
    } catch {}
  }
  return copy;
}

function clone<T>(value: T, what: string): T {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new TypeError(
      `${what} cannot be sent over RPC: ${(error as Error).message}. Cairn's Durable Object RPC passes structured-cloneable values only (no functions or stubs)`,
    );
  }
}

/** Runs RPC method `name` on a live object of this process; `args` are already cloned. */
export async function callLocal(object: LiveObject, name: string, args: unknown[]): Promise<unknown> {
  let result: unknown;
  try {
    result = await object.deliver(async (instance) => {
      const { value } = member(instance, name);
      if (typeof value !== "function")
        throw new TypeError(`The RPC receiver does not implement the method "${name}".`);
      return await (value as (...a: unknown[]) => unknown).apply(instance, args);
    });
  } catch (error) {
    throw remoteError(error);
  }
  return clone(result, `the result of ${name}()`);
}

/** Reads property `name` of a live object of this process: its cloned value, or that it is a method. */
export async function readLocal(
  object: LiveObject,
  name: string,
): Promise<{ value: unknown } | { method: true }> {
  let value: unknown;
  try {
    value = await object.deliver((instance) => member(instance, name).value);
  } catch (error) {
    throw remoteError(error);
  }
  if (typeof value === "function") return { method: true };
  return { value: clone(value, `the property ${name}`) };
}

/** Sends `request` to the fetch handler of a live object of this process. */
export async function fetchLocal(object: LiveObject, request: Request): Promise<Response> {
  const response = await object.deliver(async (instance) => {
    if (typeof instance.fetch !== "function")
      throw new TypeError("Handler does not export a fetch() function.");
    return await (instance.fetch as (r: Request) => unknown).call(instance, request);
  });
  if (!(response instanceof Response)) {
    throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
  }
  return response;
}

async function call(source: ObjectSource, name: string, args: unknown[]): Promise<unknown> {
  const sent = clone(args, `an argument of ${name}()`);
  return withTarget(source, (target) =>
    "local" in target ? callLocal(target.local, name, sent) : target.remote.call(name, sent),
  );
}

async function read(source: ObjectSource, name: string): Promise<unknown> {
  const found = await withTarget(source, (target) =>
    "local" in target ? readLocal(target.local, name) : target.remote.read(name),
  );
  if ("method" in found) return (...args: unknown[]) => call(source, name, args);
  return found.value;
}

async function fetchObject(
  source: ObjectSource,
  input: Request | string | URL,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  return withTarget(source, (target) =>
    // A clone per forwarded try, so that a try the holder turned away leaves the body unread.
    "local" in target ? fetchLocal(target.local, request) : target.remote.fetch(request.clone()),
  );
}

/** A property of the stub: callable as a method, awaitable as a property read. */
function rpcMember(source: ObjectSource, name: string): unknown {
  const method = (...args: unknown[]) => call(source, name, args);
  // biome-ignore lint/suspicious/noThenProperty: awaiting `stub.prop` reads the property, as on Cloudflare.
  method.then = (resolve: (v: unknown) => unknown, reject: (e: unknown) => unknown) =>
    read(source, name).then(resolve, reject);
  return method;
}

/** `DurableObjectStub` for the object `id`, looked up (and opened) by `source` at each call. */
export function createStub(id: DurableObjectId, source: ObjectSource): Record<string, unknown> {
  const known: Record<string | symbol, unknown> = {
    id,
    name: id.name,
    fetch: (input: Request | string | URL, init?: RequestInit) => fetchObject(source, input, init),
  };
  return new Proxy(known, {
    get(target, prop) {
      if (Object.hasOwn(target, prop)) return target[prop];
      // Not thenable: `await stub` gives the stub, and symbols (inspection, iteration) are not RPC.
      if (typeof prop === "symbol" || prop === "then") return undefined;
      return rpcMember(source, prop);
    },
    has: (target, prop) => Object.hasOwn(target, prop),
  });
}
