// step-allocation: how many bytes the main thread allocates per step of W1's fan-out, and where,
// from V8's sampling heap profiler over two warm runs (after two untimed ones), counting the
// objects young and old collections took too. Allocation, unlike time, hardly moves with the
// machine's moment, so it shows what a change to the step path saves even on a busy machine.
// `--engine` measures W1-engine (step records answered at once, not written). A measurement to
// read, not a test: `node --import ./bench/lib/use-compiled.mjs --import tsx --conditions=source
// bench/step-allocation.ts [--engine]` after `npm run build` (the code that ships), or
// `npx tsx --conditions=source bench/step-allocation.ts` for src/.

import { Session } from "node:inspector/promises";
import { runFanOut } from "./w1-fan-out.js";

type ProfileNode = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
};

const engineOnly = process.argv.includes("--engine");
const options = { storage: "sqlite", quick: false, w5Instances: 0, w6Instances: 0, code: "source" } as const;
const session = new Session();
session.connect();
await session.post("HeapProfiler.enable");
let steps = 0;
for (let round = 0; round < 4; round++) {
  if (round === 2) {
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const result = await runFanOut(options, { skipStepWrites: engineOnly });
  if (round >= 2) steps += result.metrics.steps ?? 0;
}
const { profile } = await session.post("HeapProfiler.stopSampling");
const bySite = new Map<string, number>();
let total = 0;
const walk = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(src|dist|bench|node_modules)\//, "$1/")}:${lineNumber + 1}`;
  if (node.selfSize > 0) {
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child);
};
walk(profile.head as unknown as ProfileNode);
console.log(
  `${engineOnly ? "W1-engine" : "W1"}: ${Math.round(total / steps).toLocaleString("en-US")} bytes allocated per step (${steps.toLocaleString("en-US")} steps sampled)`,
);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${String(Math.round(bytes / steps)).padStart(7)} B/step  ${site}`);
}
