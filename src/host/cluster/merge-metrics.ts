// `cairn start --workers N` serves every worker process's metrics in one scrape: each worker's
// Prometheus text, its samples labelled worker="<k>", put side by side under one HELP and TYPE
// per family, with gauges saying how many workers there are and how many answered. A worker
// missing from the scrape is named in a comment line.

/** One worker's exposition text. */
export type WorkerMetrics = { worker: number; text: string };
/** A worker whose metrics this scrape leaves out, and why. */
export type MissingWorker = { worker: number; reason: string };

type Family = { help: string | null; type: string | null; samples: string[] };

/** A sample line's metric name: up to the first `{` or space. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/;
const HEADER = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/;

/** The sample line with `worker="<k>"` added first among its labels. */
function labelled(line: string, worker: number): string | null {
  const match = SAMPLE.exec(line);
  if (!match) return null;
  const name = match[1]!;
  const label = `worker="${worker}"`;
  if (!match[2]) return `${name}{${label}}${line.slice(name.length)}`;
  const rest = line.slice(name.length + 1);
  return `${name}{${label}${rest.startsWith("}") ? "" : ","}${rest}`;
}

/** Adds one worker's text to `families` (in order of first appearance). */
function addText(families: Map<string, Family>, part: WorkerMetrics): void {
  let current: Family | null = null;
  const family = (name: string): Family => {
    let found = families.get(name);
    if (!found) {
      found = { help: null, type: null, samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const raw of part.text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const header = HEADER.exec(line);
      if (!header) continue;
      current = family(header[2]!);
      if (header[1] === "HELP") current.help ??= line;
      else current.type ??= line;
      continue;
    }
    const sample = labelled(line, part.worker);
    if (sample === null) continue;
    // A histogram's `_bucket`, `_sum` and `_count` lines follow their family's TYPE line.
    (current ?? family(SAMPLE.exec(line)![1]!)).samples.push(sample);
  }
}

/** A gauge family with one unlabelled sample. */
function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`;
}

/**
 * One exposition of every worker's metrics, each sample labelled with its worker: the workers
 * missing from it named in comment lines, then `cairn_workers` (how many the supervisor runs)
 * and `cairn_workers_scraped` (how many this scrape includes), then the families.
 */
export function mergeWorkerMetrics(
  parts: readonly WorkerMetrics[],
  missing: readonly MissingWorker[],
  workers: number,
): string {
  const families = new Map<string, Family>();
  for (const part of [...parts].sort((a, b) => a.worker - b.worker)) addText(families, part);
  const out: string[] = [];
  for (const m of [...missing].sort((a, b) => a.worker - b.worker)) {
    out.push(`# worker ${m.worker} is left out of this scrape: ${m.reason.replace(/\s+/g, " ")}\n`);
  }
  out.push(gauge("cairn_workers", "Worker processes cairn start --workers runs.", workers));
  out.push(
    gauge(
      "cairn_workers_scraped",
      "Worker processes whose metrics this scrape includes (the others did not answer in time).",
      parts.length,
    ),
  );
  for (const family of families.values()) {
    if (family.help) out.push(`${family.help}\n`);
    if (family.type) out.push(`${family.type}\n`);
    for (const sample of family.samples) out.push(`${sample}\n`);
  }
  return out.join("");
}
