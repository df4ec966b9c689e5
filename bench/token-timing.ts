// token-timing: what the request guard's token check costs for a wrong token of the right
// length, of other lengths (1 and 10,000 characters) and for the right one, measured in rounds
// that interleave the kinds so drift in the machine hits them alike. The medians agree within
// noise whatever part of the token is right: both sides are hashed before a constant-time
// comparison. A longer candidate costs its own hashing (the length the client chose, never the
// token's). A measurement to read, not a test; run it with
// `npx tsx --conditions=source bench/token-timing.ts`.

import { RequestGuard } from "../src/server/request-guard.js";
import { summarize } from "./lib/stats.js";

const TOKEN = "s3cret-token-of-32-characters-xx";
const ROUNDS = 200;
const CALLS = 2_000;

const CANDIDATES: Record<string, string> = {
  right: TOKEN,
  "right length, last character off": `${TOKEN.slice(0, -1)}y`,
  "right length, first character off": `y${TOKEN.slice(1)}`,
  "1 character": "x",
  "10,000 characters": "x".repeat(10_000),
};

const guard = new RequestGuard({ token: TOKEN });
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(CANDIDATES).map((k) => [k, []]));
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [kind, candidate] of Object.entries(CANDIDATES)) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) if (guard.tokenMatches(candidate)) sink++;
    samples[kind]!.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
}
console.log(`ns per comparison over ${ROUNDS} rounds of ${CALLS} (hashing included; sink ${sink}):`);
for (const [kind, list] of Object.entries(samples)) {
  const { p50, p99 } = summarize(list);
  console.log(`  ${kind.padEnd(36)} p50 ${p50.toFixed(0).padStart(6)}  p99 ${p99.toFixed(0).padStart(6)}`);
}
