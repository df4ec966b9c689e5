// Summarises a V8 .cpuprofile (as written by `npm run bench -- --cpu-prof`): where the samples
// fell, by function (self time) and by file, so that a profile can be read in a terminal.
// Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]

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

function main(): void {
  const [file, topText] = process.argv.slice(2);
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
