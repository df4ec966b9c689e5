// Summarises a V8 .cpuprofile (as written by `npm run bench -- --cpu-prof`): where the samples
// fell, by function (self time) and by file, so that a profile can be read in a terminal.
// With `--last MS` it prints instead how busy the thread was over the profile's last MS
// milliseconds (a workload's measured phase ends its process: W1's `totalMs`, for one), which is
// how the bench tells how much of a core each thread of a run used.
// Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25] | --last MS

import { readFileSync } from "node:fs";

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

function shortUrl(url: string): string {
  const i = url.indexOf("/src/");
  if (i >= 0) return url.slice(i + 1);
  const n = url.lastIndexOf("node_modules/");
  if (n >= 0) return url.slice(n + "node_modules/".length);
  return url.replace(/^file:\/\//, "") || "(native)";
}

/** Percent of the last `windowMs` of the profile in which the thread was not idle. */
function busyShare(profile: Profile, byId: Map<number, Node>, windowMs: number): number {
  const from = profile.endTime - windowMs * 1000;
  let at = profile.startTime;
  let busy = 0;
  let all = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from) return;
    all += delta;
    if (byId.get(id)?.callFrame.functionName !== "(idle)") busy += delta;
  });
  return all > 0 ? (100 * busy) / all : Number.NaN;
}

function main(): void {
  const args = process.argv.slice(2);
  const lastAt = args.indexOf("--last");
  if (lastAt >= 0) {
    const file = args.find((_a, i) => i !== lastAt && i !== lastAt + 1);
    const windowMs = Number(args[lastAt + 1]);
    if (!file || !(windowMs > 0)) throw new Error("usage: profile-summary.ts <file.cpuprofile> --last MS");
    const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    console.log(
      `${file}: busy ${busyShare(profile, byId, windowMs).toFixed(1)} % of its last ${windowMs} ms`,
    );
    return;
  }
  const [file, topText] = args;
  if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top]");
  const top = Number(topText ?? 25);
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const where = shortUrl(f.url);
    const name = `${f.functionName || "(anonymous)"}  ${where}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us / 1000);
    byFile.set(where, (byFile.get(where) ?? 0) + us / 1000);
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${ms.toFixed(1).padStart(9)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${name}`,
      );
    }
  };
  console.log(`${file}: ${total.toFixed(0)} ms profiled, ${profile.samples.length} samples`);
  print("Self time by function:", byFunction);
  print("Self time by file:", byFile);
}

main();
