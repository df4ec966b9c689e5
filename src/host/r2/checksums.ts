// Checksums of an R2 object: the MD5 every single-part put records, plus the one hash a put may
// be given to check the bytes against (md5, sha1, sha256, sha384 or sha512). Options are checked
// the way the Workers runtime checks them (one algorithm, right length, valid hex).

import { createHash, type Hash } from "node:crypto";

export const ALGORITHMS = ["md5", "sha1", "sha256", "sha384", "sha512"] as const;
export type ChecksumAlgorithm = (typeof ALGORITHMS)[number];

/** Display name and digest length in bytes, as Cloudflare's messages use them. */
const INFO: Record<ChecksumAlgorithm, { label: string; bytes: number }> = {
  md5: { label: "MD5", bytes: 16 },
  sha1: { label: "SHA-1", bytes: 20 },
  sha256: { label: "SHA-256", bytes: 32 },
  sha384: { label: "SHA-384", bytes: 48 },
  sha512: { label: "SHA-512", bytes: 64 },
};

export function algorithmLabel(algorithm: ChecksumAlgorithm): string {
  return INFO[algorithm].label;
}

/** Stored checksums: algorithm → lowercase hex. */
export type ChecksumHex = Partial<Record<ChecksumAlgorithm, string>>;

/** The hash a put asked to verify, as hex. */
export type ExpectedChecksum = { algorithm: ChecksumAlgorithm; hex: string };

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** The one checksum among put options, checked; undefined when none is given. */
export function readExpectedChecksum(options: Record<string, unknown>): ExpectedChecksum | undefined {
  let found: ExpectedChecksum | undefined;
  for (const algorithm of ALGORITHMS) {
    const value = options[algorithm];
    if (value === undefined) continue;
    if (found) throw new TypeError("You cannot specify multiple hashing algorithms.");
    const { label, bytes } = INFO[algorithm];
    const binary = toBytes(value);
    if (binary) {
      if (binary.length !== bytes) throw new TypeError(`${label} is ${bytes} bytes, not ${binary.length}`);
      found = { algorithm, hex: Buffer.from(binary).toString("hex") };
    } else if (typeof value === "string") {
      if (value.length !== bytes * 2) {
        throw new TypeError(`${label} is ${bytes * 2} hex characters, not ${value.length}`);
      }
      if (!/^[0-9a-fA-F]*$/.test(value)) throw new TypeError(`Provided ${label} wasn't a valid hex string`);
      found = { algorithm, hex: value.toLowerCase() };
    } else {
      throw new TypeError(`${label} must be an ArrayBuffer, an ArrayBufferView or a hex string`);
    }
  }
  return found;
}

/** Hashes bytes as they stream past: always MD5, and the expected algorithm when there is one. */
export class StreamHasher {
  private readonly hashes = new Map<ChecksumAlgorithm, Hash>();

  constructor(algorithms: ChecksumAlgorithm[]) {
    for (const algorithm of new Set(algorithms)) this.hashes.set(algorithm, createHash(algorithm));
  }

  update(chunk: Uint8Array): void {
    for (const hash of this.hashes.values()) hash.update(chunk);
  }

  digest(): ChecksumHex {
    const out: ChecksumHex = {};
    for (const [algorithm, hash] of this.hashes) out[algorithm] = hash.digest("hex");
    return out;
  }
}

/**
 * An object's checksums as the Workers API gives them: ArrayBuffers, with `toJSON()` giving
 * hex strings.
 */
export class R2Checksums {
  readonly md5?: ArrayBuffer;
  readonly sha1?: ArrayBuffer;
  readonly sha256?: ArrayBuffer;
  readonly sha384?: ArrayBuffer;
  readonly sha512?: ArrayBuffer;

  constructor(hex: ChecksumHex) {
    const self = this as unknown as Record<string, ArrayBuffer>;
    for (const algorithm of ALGORITHMS) {
      const value = hex[algorithm];
      if (value !== undefined) {
        const bytes = Buffer.from(value, "hex");
        self[algorithm] = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }
    }
  }

  toJSON(): ChecksumHex {
    const out: ChecksumHex = {};
    for (const algorithm of ALGORITHMS) {
      const value = this[algorithm];
      if (value !== undefined) out[algorithm] = Buffer.from(value).toString("hex");
    }
    return out;
  }
}
