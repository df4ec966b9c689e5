// The runner's command line: which workloads (--only), how many runs of each (--repeat), smaller counts (--quick, --w5-instances,
// --w6-instances), the storage (--storage), whether to refresh docs/performance.md, whether to
// profile each workload's process (--cpu-prof), and which code runs (--source).

import type { BenchOptions, StorageKind } from "./harness.js";
import { ORDER } from "./registry.js";

export type RunArgs = BenchOptions & {
  only: string[];
  /** How many times each workload runs; the report gives each figure's median and spread. */
  repeat: number;
  writeDocs: boolean;
  cpuProf: boolean;
  help: boolean;
};

export const USAGE = `npm run bench -- [options]
  --only W1,W3        run only these (ids: ${ORDER.join(", ")}; the ceiling always runs)
  --repeat N          run each workload N times (default 3) and report medians and spreads
  --quick             smaller counts, for a smoke run (results get a -quick suffix)
  --w5-instances N    W5's number of waiting instances (default 100000)
  --w6-instances N    finished instances in the stores of W6, W8, W9 and W10 (default 1000000)
  --storage KIND      sqlite (default) or postgres
  --write-docs        put this run's tables into docs/performance.md
  --cpu-prof          write a V8 CPU profile of each workload's process to bench/profiles/
  --source            run Cairn from src/ through tsx instead of building and running dist/
  --help              this text`;

export const DEFAULT_W5 = 100_000;
export const DEFAULT_W6 = 1_000_000;
export const DEFAULT_REPEAT = 3;
/** More runs than this would take hours on PostgreSQL's W6 and W9 alone. */
const MAX_REPEAT = 20;

function count(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 100) throw new Error(`${flag} needs an integer ≥ 100, got ${text}`);
  return n;
}

export function parseArgs(argv: string[]): RunArgs {
  const args: RunArgs = {
    storage: "sqlite",
    quick: false,
    w5Instances: DEFAULT_W5,
    w6Instances: DEFAULT_W6,
    only: [...ORDER],
    repeat: DEFAULT_REPEAT,
    writeDocs: false,
    cpuProf: false,
    help: false,
    code: "compiled",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--only": {
        const ids = (value() ?? "").split(",").map((s) => s.trim().toUpperCase());
        const known = new Map(ORDER.map((id) => [id.toUpperCase(), id]));
        const unknown = ids.filter((id) => !known.has(id));
        if (unknown.length > 0)
          throw new Error(`--only: unknown ${unknown.join(", ")}; known: ${ORDER.join(", ")}`);
        const picked = new Set(ids.map((id) => known.get(id)!));
        args.only = ORDER.filter((id) => id === "ceiling" || picked.has(id));
        break;
      }
      case "--repeat": {
        const text = value();
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > MAX_REPEAT)
          throw new Error(`--repeat needs an integer from 1 to ${MAX_REPEAT}, got ${text}`);
        args.repeat = n;
        break;
      }
      case "--quick":
        args.quick = true;
        break;
      case "--w5-instances":
        args.w5Instances = count(flag, value());
        break;
      case "--w6-instances":
        args.w6Instances = count(flag, value());
        break;
      case "--storage": {
        const kind = value();
        if (kind !== "sqlite" && kind !== "postgres")
          throw new Error(`--storage: sqlite or postgres, got ${kind}`);
        args.storage = kind as StorageKind;
        break;
      }
      case "--write-docs":
        args.writeDocs = true;
        break;
      case "--cpu-prof":
        args.cpuProf = true;
        break;
      case "--source":
        args.code = "source";
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  return args;
}

/** A full run (every workload at the counts) or which way this one is smaller. */
export function runSuffix(args: RunArgs): string {
  if (args.quick) return "-quick";
  const partial =
    args.only.length < ORDER.length || args.w5Instances !== DEFAULT_W5 || args.w6Instances !== DEFAULT_W6;
  return partial ? "-partial" : "";
}
