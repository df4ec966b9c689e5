// value-encoding: the CPU time of storing one step result as structured-clone bytes, by
// v8.serialize and by Cairn's encoder for plain data (src/engine/plain-value-encoder.ts), on W1's
// step value ({ i, data: 100 characters }) and on a larger nested one, in interleaved rounds.
// CPU time (process.cpuUsage), not wall time, so other work on the machine weighs less. A
// measurement to read, not a test: `npx tsx --conditions=source bench/value-encoding.ts`.

import v8 from "node:v8";
import { encodePlainValue } from "../src/engine/plain-value-encoder.js";
import { stepValue } from "./lib/harness.js";
import { summarize } from "./lib/stats.js";

const VALUES: Record<string, unknown[]> = {
  "W1's step value": Array.from({ length: 1_000 }, (_, i) => stepValue(i)),
  "an order of 20 lines": Array.from({ length: 200 }, (_, i) => ({
    id: `order-${i}`,
    customer: { name: "Ada Lovelace", email: "ada@example.com", vip: i % 7 === 0 },
    lines: Array.from({ length: 20 }, (_, j) => ({ sku: `SKU-${j}`, quantity: j + 1, price: 9.99 + j })),
    note: null,
  })),
};
const ROUNDS = 15;
const REPEAT = 100;

function cpuMicros(encode: (v: unknown) => unknown, values: unknown[]): number {
  const start = process.cpuUsage();
  for (let r = 0; r < REPEAT; r++) for (const v of values) encode(v);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (REPEAT * values.length);
}

for (const [name, values] of Object.entries(VALUES)) {
  const native: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    native.push(cpuMicros((v) => v8.serialize(v), values));
    plain.push(cpuMicros((v) => encodePlainValue(v), values));
  }
  const a = summarize(native.slice(2)).p50;
  const b = summarize(plain.slice(2)).p50;
  console.log(
    `${name}: v8.serialize ${a.toFixed(2)} µs, plain-value encoder ${b.toFixed(2)} µs of CPU per value (median of ${ROUNDS - 2} rounds), ${(a / b).toFixed(1)}× less`,
  );
}
