// Turns a run's results into what people read: the Markdown tables (figures beside targets,
// engine beside the storage's ceiling, the ceiling itself, notes), and writes the JSON and the
// Markdown to bench/results/. It can also put the tables into docs/performance.md between
// its markers.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_W5, DEFAULT_W6 } from "./args.js";
import type { BenchOptions, WorkloadResult } from "./harness.js";
import type { Machine } from "./machine.js";
import { round } from "./stats.js";
import { DASHBOARD_BUNDLE, DASHBOARD_PAGES, HTTP_PAIRS, RATIOS, ROWS, type Target } from "./targets.js";

export type RunResult = {
  date: string;
  startedAt: string;
  storage: string;
  /** PostgreSQL: where the server came from and its durability settings. */
  server?: string;
  options: BenchOptions & { only: string[]; repeat?: number };
  machine: Machine;
  durationMs: number;
  results: Record<string, WorkloadResult>;
  failures: Record<string, string>;
  /** With repeated runs: every run's own result, by workload, in the order they ran. */
  rounds?: Record<string, WorkloadResult[]>;
};

/** The markers in docs/performance.md between which a run of each storage goes. */
export function docsMarkers(storage: string): [string, string] {
  const name = storage === "sqlite" ? "results" : storage;
  return [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`];
}

/** W10's own markers in docs/performance.md (its SQLite figures, in the dashboard's section). */
export const DASHBOARD_MARKERS: [string, string] = [
  "<!-- bench:dashboard:start -->",
  "<!-- bench:dashboard:end -->",
];

/** Workloads whose figures go to the storage's block (all but the ceiling, which always runs, and W10). */
export function storageWorkloads(run: RunResult): string[] {
  return [...Object.keys(run.results), ...Object.keys(run.failures)].filter(
    (id) => id !== "ceiling" && id !== "W10",
  );
}

function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  return round(value).toLocaleString("en-US");
}

function met(value: number | undefined, target: Target | undefined): string {
  if (!target) return "";
  if (value === undefined || Number.isNaN(value)) return "–";
  const ok = target.op === ">=" ? value >= target.value : value <= target.value;
  return ok ? "yes" : "**no**";
}

function targetText(target: Target | undefined, unit: string): string {
  if (!target) return "";
  return `${target.op === ">=" ? "≥" : "≤"} ${target.value.toLocaleString("en-US")} ${unit}`;
}

/**
 * A figure with its unit, and with repeated runs the spread of its runs (lowest–highest);
 * "failed" when its workload failed, "skipped" when it could not be taken.
 */
function shownValue(
  result: WorkloadResult | undefined,
  value: number | undefined,
  unit: string,
  metric?: string,
): string {
  if (!result) return "failed";
  if (value === undefined && result.metrics.skipped) return "skipped";
  const spread = metric ? result.spread?.[metric] : undefined;
  const range =
    spread && round(spread.min) !== round(spread.max) ? ` (${fmt(spread.min)}–${fmt(spread.max)})` : "";
  return `${fmt(value)} ${unit}${range}`;
}

/** The run's first two paragraphs: when, on what storage and code, how large, and the machine. */
function header(run: RunResult): string[] {
  const m = run.machine;
  const o = run.options;
  const counts = `W5 with ${o.w5Instances.toLocaleString("en-US")} instances, W6 with ${o.w6Instances.toLocaleString("en-US")}`;
  const kind = o.quick
    ? "quick (smoke) run, smaller counts"
    : o.w5Instances !== DEFAULT_W5 || o.w6Instances !== DEFAULT_W6
      ? `smaller run (${counts})`
      : "full run";
  const repeat = o.repeat ?? 1;
  const runs =
    repeat > 1
      ? ` Each workload ran ${repeat} times, in rounds; each figure is the median of its runs, with their lowest–highest in brackets where they differ.`
      : "";
  return [
    `Run of ${run.startedAt} on ${run.storage === "postgres" ? `PostgreSQL (${run.server ?? "server"})` : "SQLite (synchronous=FULL, WAL)"}, ${kind}, ${o.code === "source" ? "Cairn from src/ through tsx (--source)" : "Cairn compiled (dist/, as shipped)"}, took ${fmt(run.durationMs / 1000)} s.${runs}`,
    "",
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGb} GB memory, Node ${m.node}, SQLite ${m.sqlite}, ${m.kernel}; temporary files on ${m.tempFilesystem}. Load average ${m.loadAverageAtStart.join(" / ")} at the start, ${(m.loadAverageAtEnd ?? []).join(" / ")} at the end (1/5/15 min).`,
    "",
  ];
}

/** The run's tables in Markdown (without a top-level title, so docs can embed them). */
export function markdown(run: RunResult): string {
  const out: string[] = header(run);
  out.push(
    ...(run.storage === "postgres"
      ? ["The targets are issue 6's targets for SQLite, shown for reference.", ""]
      : []),
    "| Workload | Figure | Cairn | Target | Met | Best peer (issue 6) |",
    "| --- | --- | ---: | --- | --- | --- |",
  );
  for (const row of ROWS) {
    const result = run.results[row.workload];
    if (!result && !run.failures[row.workload]) continue;
    const value = result?.metrics[row.metric];
    const shown = shownValue(result, value, row.unit, row.metric);
    out.push(
      `| ${row.workload} | ${row.label} | ${shown} | ${targetText(row.target, row.unit)} | ${met(value, row.target)} | ${row.peer ?? ""} |`,
    );
  }
  const ceiling = run.results.ceiling?.metrics;
  const db = run.storage === "postgres" ? "PostgreSQL" : "SQLite";
  if (ceiling) {
    out.push(
      "",
      "Storage ceiling, same run, same settings:",
      "",
      "| Storage figure | Value |",
      "| --- | ---: |",
      `| ${db} durable single-row commits/s | ${fmt(ceiling.singleRowCommitsPerSecond)} /s (p50 ${fmt(ceiling.singleRowCommitP50Ms)} ms) |`,
      `| ${db} rows/s at 100 rows per transaction | ${fmt(ceiling.rowsPerSecondAt100PerTransaction)} /s |`,
      `| raw append + fdatasync of a small row | ${fmt(ceiling.fdatasyncAppendsPerSecond)} /s (p50 ${fmt(ceiling.fdatasyncAppendP50Ms)} ms) |`,
    );
    if (ceiling.cairnStepCommitsPerSecond !== undefined) {
      out.push(
        `| Cairn's step writes, one step per commit, no engine | ${fmt(ceiling.cairnStepCommitsPerSecond)} steps/s (p50 ${fmt(ceiling.cairnStepCommitP50Ms)} ms) |`,
        `| Cairn's step writes, 100 steps per transaction, no engine | ${fmt(ceiling.cairnStepsPerSecondAt100PerTransaction)} steps/s |`,
      );
    }
    const bound = run.results["W1-engine"]?.metrics;
    if (bound) {
      out.push(
        `| The engine alone: W1 with step records answered at once, not written (W1-engine) | ${fmt(bound.stepsPerSecond)} steps/s (event loop busy ${fmt(bound.eventLoopBusyPercent)} %) |`,
      );
    }
    const ratios = RATIOS.filter(
      (r) =>
        run.results[r.workload] &&
        (ceiling[r.ceiling] ?? run.results[r.ceiling]?.metrics[r.metric]) !== undefined,
    );
    if (ratios.length > 0) {
      out.push(
        "",
        "Engine beside the ceiling (measured minutes apart: on a busy machine a ratio can pass 100 %):",
        "",
        "| Comparison | Ratio |",
        "| --- | ---: |",
      );
      for (const r of ratios) {
        const engine = run.results[r.workload]!.metrics[r.metric]!;
        const limit = ceiling[r.ceiling] ?? run.results[r.ceiling]!.metrics[r.metric]!;
        const ratio = engine / limit;
        const text =
          r.kind === "rate" ? `${fmt(ratio * 100)} % of the ceiling` : `${fmt(ratio)} commits' time`;
        out.push(`| ${r.label.replace("SQLite", db)} | ${text} |`);
      }
    }
  }
  const http = run.results.W9?.metrics;
  if (http) {
    out.push(
      "",
      "The HTTP API beside the same work in-process (W9: same process, same run; the HTTP client is another process):",
      "",
      "| Figure | HTTP p50 | HTTP p99 | In-process p50 | In-process p99 | HTTP ÷ in-process (p50) |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const pair of HTTP_PAIRS) {
      const ms = (metric: string | undefined) => (metric ? `${fmt(http[metric])} ms` : "–");
      const ratio = (http[pair.http.p50] ?? Number.NaN) / (http[pair.local.p50] ?? Number.NaN);
      out.push(
        `| ${pair.label} | ${ms(pair.http.p50)} | ${ms(pair.http.p99)} | ${ms(pair.local.p50)} | ${ms(pair.local.p99)} | ${fmt(ratio)} × |`,
      );
    }
  }
  out.push(...dashboardTables(run), ...scaleModelTable(run));
  const failed = Object.entries(run.failures);
  if (failed.length > 0) {
    out.push("", "Failed:", "");
    for (const [id, error] of failed) out.push(`- ${id}: ${error.split("\n")[0]}`);
  }
  out.push("", "How each figure was taken:", "");
  for (const id of Object.keys(run.results)) {
    const r = run.results[id]!;
    const ops = r.ops
      ? ` Store calls: ${Object.entries(r.ops)
          .sort((a, b) => b[1] - a[1])
          .map(([op, n]) => `${op} ${n.toLocaleString("en-US")}`)
          .join(", ")}.`
      : "";
    out.push(`- ${id} (${r.title}, ${fmt(r.durationMs / 1000)} s): ${r.notes.join("; ")}.${ops}`);
  }
  return `${out.join("\n")}\n`;
}

/** The scale model's inputs (pg-scale-model): commits/s by connections, and one step's costs. */
function scaleModelTable(run: RunResult): string[] {
  const m = run.results["pg-scale-model"]?.metrics;
  if (!m || m.skipped) return [];
  const byConnections = Object.keys(m)
    .filter((k) => k.startsWith("commitsPerSecondAt"))
    .map((k) => `${k.slice("commitsPerSecondAt".length)}: ${fmt(m[k])}`);
  return [
    "",
    "Scale model inputs (pg-scale-model, same server):",
    "",
    "| Figure | Value |",
    "| --- | ---: |",
    `| Durable single-row commits/s by connections committing at once | ${byConnections.join("; ")} |`,
    `| W1 in one process | ${fmt(m.stepsPerSecond)} steps/s |`,
    `| Statements (round trips) per step | ${fmt(m.statementsPerStep)} |`,
    `| Commits per step | ${fmt(m.commitsPerStep)} |`,
    `| WAL bytes per step | ${fmt(m.walBytesPerStep)} |`,
  ];
}

/** W10's tables: each page's times cold and warm beside the static page's, and the bundle's size. */
export function dashboardTables(run: RunResult): string[] {
  const d = run.results.W10?.metrics;
  if (!d) return [];
  const out: string[] = ["", "The dashboard in Chromium (W10, same process, same run):", ""];
  if (d.skipped) {
    const why = run.results.W10!.notes[0] ?? "browser figures skipped";
    out.push(`${why.charAt(0).toUpperCase()}${why.slice(1)}.`);
  } else {
    out.push(
      "| Page, rendered | Cold p50 | Cold p95 | Warm p50 | Warm p95 | Cold p50 ÷ static | Warm p50 ÷ static |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const page of DASHBOARD_PAGES) {
      const ms = (kind: string, p: string) => `${fmt(d[`${page.key}${kind}${p}Ms`])} ms`;
      const ratio = (kind: string) =>
        page.key === "baseline" ? "1 ×" : `${fmt(d[`${page.key}${kind}P50Ratio`])} ×`;
      out.push(
        `| ${page.label} | ${ms("Cold", "P50")} | ${ms("Cold", "P95")} | ${ms("Warm", "P50")} | ${ms("Warm", "P95")} | ${ratio("Cold")} | ${ratio("Warm")} |`,
      );
    }
  }
  out.push("", "| Bundle file | Bytes | Gzipped |", "| --- | ---: | ---: |");
  let raw = 0;
  let gzip = 0;
  for (const file of DASHBOARD_BUNDLE) {
    raw += d[`${file.key}Bytes`] ?? 0;
    gzip += d[`${file.key}GzipBytes`] ?? 0;
    out.push(`| ${file.name} | ${fmt(d[`${file.key}Bytes`])} | ${fmt(d[`${file.key}GzipBytes`])} |`);
  }
  out.push(`| all three | ${fmt(raw)} | ${fmt(gzip)} |`);
  return out;
}

/** What goes between W10's markers in the docs: the run's header, W10's rows and tables, its notes. */
export function dashboardMarkdown(run: RunResult): string {
  const out = header(run);
  out.push("| Figure | Value | Target | Met |", "| --- | ---: | --- | --- |");
  const result = run.results.W10;
  for (const row of ROWS.filter((r) => r.workload === "W10")) {
    const value = result?.metrics[row.metric];
    const shown = shownValue(result, value, row.unit, row.metric);
    out.push(`| ${row.label} | ${shown} | ${targetText(row.target, row.unit)} | ${met(value, row.target)} |`);
  }
  out.push(...dashboardTables(run));
  if (run.failures.W10) out.push("", `Failed: ${run.failures.W10.split("\n")[0]}`);
  if (result)
    out.push(
      "",
      `How the figures were taken (${fmt(result.durationMs / 1000)} s): ${result.notes.join("; ")}.`,
    );
  return `${out.join("\n")}\n`;
}

/** Writes `<dir>/<name>.json` and `<dir>/<name>.md`; returns their paths. */
export function writeResults(dir: string, name: string, run: RunResult, md: string): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const text = join(dir, `${name}.md`);
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(text, `# Cairn benchmark ${run.date} (${run.storage})\n\n${md}`);
  return [json, text];
}

/** Replaces what lies between `open` and `close` in `text` with `md`. */
function replaceBetween(text: string, [open, close]: [string, string], md: string, docsPath: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${docsPath} has no ${open} … ${close} markers`);
  return `${text.slice(0, start + open.length)}\n\n${md}\n${text.slice(end)}`;
}

/**
 * Puts the run into `docsPath`: its tables (`md`) between the storage's markers when it ran any
 * workload besides the ceiling and W10, and W10's figures on SQLite between W10's own markers, so
 * that `--only W10 --write-docs` refreshes the dashboard's figures and leaves the others alone.
 * Answers which blocks it wrote.
 */
export function updateDocs(docsPath: string, run: RunResult, md: string): string[] {
  let text = readFileSync(docsPath, "utf8");
  const written: string[] = [];
  if (storageWorkloads(run).length > 0) {
    text = replaceBetween(text, docsMarkers(run.storage), md, docsPath);
    written.push(`the ${run.storage} results`);
  }
  if (run.storage === "sqlite" && (run.results.W10 || run.failures.W10)) {
    text = replaceBetween(text, DASHBOARD_MARKERS, dashboardMarkdown(run), docsPath);
    written.push("the dashboard's (W10) results");
  }
  writeFileSync(docsPath, text);
  return written;
}
