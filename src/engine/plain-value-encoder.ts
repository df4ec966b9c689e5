// Step results, params and event payloads are stored as V8 structured-clone bytes. `v8.serialize`
// makes a serializer object (a native one behind a JS class), its buffer and the final Buffer for
// every value, which showed as about a tenth of the event loop's busy time in the step path. Most
// values are plain data: objects, arrays, strings, numbers, booleans, null and undefined. This
// module writes those in V8's own wire format from JavaScript into one reused scratch buffer, and
// answers `null` for anything else (Dates, Maps, typed arrays, class instances, BigInts, an object
// met twice, integer-like keys…), which then goes through `v8.serialize` as before. The bytes are
// read back by `v8.deserialize` like any others. Getters are read as V8 reads them, once; a value
// that then turns out not to be plain has them read a second time by V8, and a getter that
// deletes a property not read yet is seen here as undefined where V8 skips it.
// plain-value-encoder.test.ts checks, over generated values, that the bytes read back to what
// `v8.serialize`'s bytes read back to.

import { endianness } from "node:os";
import { types } from "node:util";
import v8 from "node:v8";

/** V8's wire tags used here (src/objects/value-serializer.cc). */
const TAG = {
  undefined: 0x5f, // '_'
  null: 0x30, // '0'
  true: 0x54, // 'T'
  false: 0x46, // 'F'
  int32: 0x49, // 'I', zigzag varint
  double: 0x4e, // 'N', 8 bytes in host order
  oneByteString: 0x22, // '"', varint length + Latin-1 bytes
  twoByteString: 0x63, // 'c', varint byte length + UTF-16 code units in host order
  padding: 0x00,
  beginObject: 0x6f, // 'o'
  endObject: 0x7b, // '{', varint property count
  beginDenseArray: 0x41, // 'A', varint length
  endDenseArray: 0x24, // '$', varint property count, varint length
} as const;

/** The header `v8.serialize` writes (its format version), taken from V8 itself. */
const HEADER = (() => {
  const bytes = v8.serialize(null);
  return bytes.subarray(0, bytes.length - 1);
})();

/** The fast path writes UTF-16 and doubles little-endian; V8 writes host order. */
const ENABLED = endianness() === "LE" && HEADER.length >= 2 && HEADER[0] === 0xff;

/** Objects and arrays in one value beyond which `v8.serialize` is left to do it. */
const MAX_OBJECTS = 256;
/** The scratch buffer shrinks back to this after encoding a larger value. */
const KEPT_SCRATCH = 64 * 1024;

const NOT_PLAIN = Symbol("not plain");
const NON_LATIN1 = /[^\p{ASCII}\u0080-\u00ff]/u;
/** An own key V8 writes as a number (an array index), which this encoder leaves to V8. */
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

let scratch = Buffer.allocUnsafeSlow(KEPT_SCRATCH);
let at = 0;
/** Objects written in the current value: one met twice needs V8's back-references. */
const seen: object[] = [];
/** True while a value is being written (see encodePlainValue). */
let busy = false;

function room(bytes: number): void {
  if (at + bytes <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < at + bytes) size *= 2;
  const bigger = Buffer.allocUnsafeSlow(size);
  scratch.copy(bigger, 0, 0, at);
  scratch = bigger;
}

function byte(b: number): void {
  room(1);
  scratch[at++] = b;
}

function varint(n: number): void {
  room(5);
  let v = n >>> 0;
  while (v >= 0x80) {
    scratch[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  scratch[at++] = v;
}

/** How many bytes `varint(n)` writes. */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function string(s: string): void {
  if (!NON_LATIN1.test(s)) {
    byte(TAG.oneByteString);
    varint(s.length);
    room(s.length);
    at += scratch.write(s, at, "latin1");
    return;
  }
  const bytes = s.length * 2;
  // V8 keeps two-byte strings aligned in its buffer: a padding tag first when they would not be.
  if ((at + 1 + varintSize(bytes)) & 1) byte(TAG.padding);
  byte(TAG.twoByteString);
  varint(bytes);
  room(bytes);
  at += scratch.write(s, at, "utf16le");
}

function number(n: number): void {
  if ((n | 0) === n && !Object.is(n, -0)) {
    byte(TAG.int32);
    varint((n << 1) ^ (n >> 31));
    return;
  }
  byte(TAG.double);
  room(8);
  at = scratch.writeDoubleLE(n, at);
}

function value(v: unknown): void {
  switch (typeof v) {
    case "string":
      string(v);
      break;
    case "number":
      number(v);
      break;
    case "boolean":
      byte(v ? TAG.true : TAG.false);
      break;
    case "undefined":
      byte(TAG.undefined);
      break;
    case "object":
      if (v === null) byte(TAG.null);
      else container(v);
      break;
    default:
      // BigInt, functions, symbols: V8's concern (it stores BigInts and refuses the others).
      throw NOT_PLAIN;
  }
}

function container(o: object): void {
  if (seen.length >= MAX_OBJECTS || seen.includes(o) || types.isProxy(o) || types.isArgumentsObject(o))
    throw NOT_PLAIN;
  seen.push(o);
  const proto = Object.getPrototypeOf(o);
  if (proto === Array.prototype && Array.isArray(o)) {
    array(o as unknown[]);
    return;
  }
  if (proto !== Object.prototype) throw NOT_PLAIN;
  const keys = Object.keys(o);
  byte(TAG.beginObject);
  for (const key of keys) {
    if (INDEX_KEY.test(key)) throw NOT_PLAIN;
    string(key);
    value((o as Record<string, unknown>)[key]);
  }
  byte(TAG.endObject);
  varint(keys.length);
}

function array(a: unknown[]): void {
  const length = a.length;
  // Holes and extra named properties are written differently by V8.
  // Index keys come first, in order: the last of `length` keys being `length - 1` proves every
  // index is present and no named key is.
  const keys = Object.keys(a);
  if (keys.length !== length || (length > 0 && keys[length - 1] !== String(length - 1))) throw NOT_PLAIN;
  byte(TAG.beginDenseArray);
  varint(length);
  for (let i = 0; i < length; i++) value(a[i]);
  byte(TAG.endDenseArray);
  varint(0);
  varint(length);
}

/**
 * The structured-clone bytes of `v` when it is plain data (see the top of this file), in a Buffer
 * of its own; `null` when `v8.serialize` must write it. A getter that throws makes this throw
 * nothing: the value is left to `v8.serialize`, whose error the caller reports.
 */
export function encodePlainValue(v: unknown): Buffer | null {
  // A getter of the value may encode another one (a create of another instance reads its params):
  // the scratch buffer is in use, so that one goes to V8.
  if (!ENABLED || busy) return null;
  busy = true;
  at = 0;
  seen.length = 0;
  try {
    room(HEADER.length);
    HEADER.copy(scratch, 0);
    at = HEADER.length;
    value(v);
  } catch {
    return null;
  } finally {
    seen.length = 0;
    busy = false;
  }
  // A Buffer of its own: a slice of Node's shared pool would take the pool's other bytes along
  // wherever it is copied whole (a message to the SQLite writer thread) and keep the pool alive.
  const out = Buffer.allocUnsafeSlow(at);
  scratch.copy(out, 0, 0, at);
  if (scratch.length > KEPT_SCRATCH) scratch = Buffer.allocUnsafeSlow(KEPT_SCRATCH);
  return out;
}
