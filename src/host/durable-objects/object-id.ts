// Durable Object ids: 64 hex digits. The first half names the object (a keyed hash of the name for
// `idFromName`, random bytes for `newUniqueId`), the second half is a keyed hash of the first, so
// `idFromString` can tell an id of this namespace from a typo or another class's id, as Cloudflare
// does. The key is the class's own (kept in the state index), so the same name gives the same id
// across restarts and a different one in each class.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const HALF = 16;

/** `DurableObjectId`: what `idFromName`, `idFromString` and `newUniqueId` return. */
export class DurableObjectId {
  readonly #hex: string;
  /** The name given to `idFromName`; undefined for other ids. */
  readonly name: string | undefined;

  constructor(hex: string, name?: string) {
    this.#hex = hex;
    this.name = name;
  }

  toString(): string {
    return this.#hex;
  }

  equals(other: DurableObjectId): boolean {
    return other instanceof DurableObjectId && other.#hex === this.#hex;
  }

  toJSON(): string {
    return this.#hex;
  }
}

/** Makes and checks the ids of one class. */
export class IdFactory {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  private mac(first: Buffer): Buffer {
    return createHmac("sha256", this.key).update(first).digest().subarray(0, HALF);
  }

  private make(first: Buffer, name?: string): DurableObjectId {
    return new DurableObjectId(Buffer.concat([first, this.mac(first)]).toString("hex"), name);
  }

  fromName(name: unknown): DurableObjectId {
    const text = String(name);
    const first = createHmac("sha256", this.key).update(`name:${text}`).digest().subarray(0, HALF);
    return this.make(first, text);
  }

  unique(): DurableObjectId {
    return this.make(randomBytes(HALF));
  }

  fromString(value: unknown): DurableObjectId {
    const text = String(value);
    if (!/^[0-9a-fA-F]{64}$/.test(text))
      throw new TypeError("Invalid Durable Object ID: must be 64 hex digits");
    const bytes = Buffer.from(text, "hex");
    if (!timingSafeEqual(this.mac(bytes.subarray(0, HALF)), bytes.subarray(HALF))) {
      throw new TypeError("Durable Object ID is not valid for this namespace.");
    }
    return new DurableObjectId(text.toLowerCase());
  }
}
