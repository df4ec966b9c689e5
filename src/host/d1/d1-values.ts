// Values across the D1 boundary, as Cloudflare maps them: `bind` takes numbers, strings, null,
// booleans (stored as 1 and 0) and bytes (ArrayBuffer, typed arrays, arrays of 0-255), refusing
// anything else with D1_TYPE_ERROR; results give BLOBs back as arrays of byte numbers. Whole
// numbers are bound as SQLite INTEGERs and others as REALs, as D1's JSON transport does.

import { D1Error } from "./d1-errors.js";

/** A value `bind` accepted, in the form D1 keeps it: bytes become an array of numbers. */
export type D1Value = number | string | null | number[];

function isByteArray(value: unknown[]): boolean {
  return value.every((b) => typeof b === "number" && b >= 0 && b < 256);
}

/** One bound value checked and converted; throws D1_TYPE_ERROR for an unsupported type. */
export function toD1Value(value: unknown): D1Value {
  switch (typeof value) {
    case "number":
    case "string":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value) && isByteArray(value)) return [...(value as number[])];
      if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
      if (ArrayBuffer.isView(value)) {
        return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      }
      break;
  }
  throw new D1Error("D1_TYPE_ERROR", `Type '${typeof value}' not supported for value '${String(value)}'`);
}

/** A bound value as the driver takes it: whole numbers as BigInt (INTEGER), bytes as a Buffer. */
export function toSqliteParam(value: D1Value): number | bigint | string | Buffer | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return Buffer.from(value);
  return value;
}

/** A column value as D1 returns it: a BLOB as an array of byte numbers. */
export function fromSqliteValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return Array.from(value);
  if (typeof value === "bigint") return Number(value);
  return value;
}
