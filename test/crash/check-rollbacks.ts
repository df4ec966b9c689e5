// Checks the rollback chains of the crash run, from the effects file and the database (read-only):
// every eligible handler ran, in reverse step-start order, with the right input; a handler whose
// result was committed never ran again; only a kill cut a handler short; the log shows each handler
// succeed once and the chain complete, never fail. Instances that succeed run no rollback at all.

import Database from "better-sqlite3";
import { type EffectLine, isRollbackLine, type RollbackEffectLine } from "./effects.js";
import { FAILING_STEP, FLAKY_HANDLER, UNDO_HANDLERS } from "./rollback-workflow.js";
import { type PlannedInstance, WORKFLOWS } from "./workflows.js";

type StepRow = {
  key: string;
  kind: string;
  name: string;
  status: string;
  attempts: number;
  has_rollback: number;
  start_order: number;
};
type LogRow = { seq: number; type: string; step_key: string | null; at: number };

export type RollbacksReport = {
  violations: string[];
  /** Handler runs in all, and those a kill cut short. */
  handlerRuns: number;
  handlerRunsCut: number;
  /** Chains that a kill interrupted (more than one incarnation ran handlers of the instance). */
  chainsSpanningKills: number;
};

export function checkRollbacks(
  dbPath: string,
  planned: PlannedInstance[],
  lines: EffectLine[],
  killed: Set<number>,
): RollbacksReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const report: RollbacksReport = {
    violations: [],
    handlerRuns: 0,
    handlerRunsCut: 0,
    chainsSpanningKills: 0,
  };
  try {
    const seqOf = db.prepare("SELECT seq FROM instances WHERE workflow = ? AND id = ?");
    const stepsOf = db.prepare(
      "SELECT key, kind, name, status, attempts, has_rollback, start_order FROM steps WHERE instance_seq = ?",
    );
    const logOf = db.prepare(
      "SELECT seq, type, step_key, at FROM log_entries WHERE instance_seq = ? AND type LIKE 'ROLLBACK%' ORDER BY seq",
    );
    const rbLines = lines.filter(isRollbackLine);
    for (const p of planned) {
      const row = seqOf.get(WORKFLOWS[p.binding].name, p.id) as { seq: number } | undefined;
      if (!row) continue;
      const own = rbLines.filter((l) => l.instance === p.id);
      const steps = stepsOf.all(row.seq) as StepRow[];
      const log = logOf.all(row.seq) as LogRow[];
      if (p.binding !== "UNDOER") {
        // A workflow that succeeds runs no rollback: handlers are only for a failure or terminate({ rollback }).
        if (own.length > 0) report.violations.push(`${p.id} ran rollback handlers: ${own[0]!.step}`);
        if (log.length > 0) report.violations.push(`${p.id} logged ${log[0]!.type}`);
        if (steps.some((s) => s.kind === "rollback")) report.violations.push(`${p.id} has rollback records`);
        continue;
      }
      report.violations.push(...checkChain(p.id, steps, log, own, killed, report));
    }
    return report;
  } finally {
    db.close();
  }
}

function checkChain(
  id: string,
  steps: StepRow[],
  log: LogRow[],
  lines: RollbackEffectLine[],
  killed: Set<number>,
  report: RollbacksReport,
): string[] {
  const out: string[] = [];
  const doStep = new Map(steps.filter((s) => s.kind === "do").map((s) => [s.name, s]));
  // The chain: the steps that registered a handler, latest-started first (from the journal).
  const chain = [...doStep.values()]
    .filter((s) => s.has_rollback)
    .sort((a, b) => b.start_order - a.start_order)
    .map((s) => s.name);
  const names = [...chain].sort().join(",");
  if (names !== [...UNDO_HANDLERS].sort().join(",")) {
    out.push(
      `${id}: the steps with a rollback handler are [${names}], expected [${[...UNDO_HANDLERS].sort()}]`,
    );
  }
  // Start orders follow the code: u0 < u1 < u2 < u3a, u3b < boom.
  const order = (name: string) => doStep.get(name)?.start_order ?? Number.NaN;
  const u3 = [order("u3a"), order("u3b")];
  if (!(order("u0") < order("u1") && order("u1") < order("u2") && order("u2") < Math.min(...u3))) {
    out.push(`${id}: start orders out of code order: ${steps.map((s) => `${s.name}=${s.start_order}`)}`);
  }
  if (!(Math.max(...u3) < order(FAILING_STEP))) out.push(`${id}: ${FAILING_STEP} did not start last`);

  // The journal: one succeeded rollback record per handler, none for any other step.
  const keyOf = new Map(chain.map((name) => [name, `rollback:${doStep.get(name)!.key}`]));
  const rollbackRecords = steps.filter((s) => s.kind === "rollback");
  for (const r of rollbackRecords) {
    if (![...keyOf.values()].includes(r.key)) out.push(`${id}: unexpected rollback record ${r.key}`);
  }
  // (Its attempt count may be below the runs: an attempt's start is written without waiting, so
  // a kill can make the next process run the same attempt number again.)
  for (const key of keyOf.values()) {
    const r = rollbackRecords.find((x) => x.key === key);
    if (r?.status !== "succeeded") out.push(`${id}: rollback record ${key} is ${r?.status ?? "missing"}`);
  }

  // The log: each handler succeeded once, in chain order; the chain completed and never failed.
  const successes = log.filter((l) => l.type === "ROLLBACK_STEP_SUCCESS");
  const committedAt = new Map<string, number>();
  for (const s of successes) {
    const name = [...keyOf].find(([, key]) => key === s.step_key)?.[0];
    if (!name) out.push(`${id}: ROLLBACK_STEP_SUCCESS of unexpected ${s.step_key}`);
    else if (committedAt.has(name)) out.push(`${id}: ROLLBACK_STEP_SUCCESS of ${s.step_key} logged twice`);
    else committedAt.set(name, s.at);
  }
  const logged = [...committedAt.keys()].join(",");
  if (logged !== chain.join(","))
    out.push(`${id}: handlers committed in order [${logged}], chain is [${chain}]`);
  const bad = log.filter((l) => l.type === "ROLLBACK_FAILED" || l.type === "ROLLBACK_STEP_FAILURE");
  if (bad.length > 0) out.push(`${id}: logged ${bad.map((l) => `${l.type} ${l.step_key ?? ""}`)}`);
  const complete = log.filter((l) => l.type === "ROLLBACK_COMPLETE");
  const lastSuccess = successes.at(-1)?.seq ?? Number.POSITIVE_INFINITY;
  if (!complete.some((l) => l.seq > lastSuccess))
    out.push(`${id}: no ROLLBACK_COMPLETE after the last handler`);

  out.push(...checkRuns(id, chain, lines, committedAt, doStep, killed, report));
  return out;
}

/** The handler runs in the effects file, in the order they happened. */
function checkRuns(
  id: string,
  chain: string[],
  lines: RollbackEffectLine[],
  committedAt: Map<string, number>,
  doStep: Map<string, StepRow>,
  killed: Set<number>,
  report: RollbacksReport,
): string[] {
  const out: string[] = [];
  const succeeded = new Set<string>();
  let furthest = -1;
  const failedIn = new Set<string>();
  const incarnations = new Set<number>();
  lines.forEach((line, i) => {
    const pos = chain.indexOf(line.step);
    const at = `${id}/${line.step} (incarnation ${line.inc})`;
    if (pos < 0) {
      out.push(`${at}: a handler outside the chain ran`);
      return;
    }
    if (line.kind === "rb-start") {
      report.handlerRuns += 1;
      incarnations.add(line.inc);
      if (pos < furthest)
        out.push(`${at} started after the handler of ${chain[furthest]}, which comes later`);
      const missing = chain.slice(0, pos).filter((name) => !succeeded.has(name));
      if (missing.length > 0) out.push(`${at} started before [${missing}] had succeeded`);
      const commit = committedAt.get(line.step);
      if (commit !== undefined && line.at >= commit)
        out.push(`${at} ran again after its result was committed`);
      furthest = Math.max(furthest, pos);
      // Handlers run one at a time: the next line of the instance must be this run's end.
      const next = lines[i + 1];
      const ended = next?.kind === "rb-end" && next.step === line.step && next.inc === line.inc;
      if (!ended) {
        report.handlerRunsCut += 1;
        const lastOfIncarnation = !lines.slice(i + 1).some((l) => l.inc === line.inc);
        if (!killed.has(line.inc)) out.push(`${at} never ended, in an incarnation that was not killed`);
        else if (!lastOfIncarnation) out.push(`${at} never ended, and another handler ran after it`);
      }
      return;
    }
    if (line.verdict !== "good") out.push(`${at} got a wrong input: ${line.verdict}`);
    const attempts = doStep.get(line.step)?.attempts;
    if (line.ctxAttempt !== attempts) {
      out.push(`${at} got ctx.attempt ${line.ctxAttempt}; the step's last attempt was ${attempts}`);
    }
    if (line.ok) {
      succeeded.add(line.step);
      return;
    }
    // Only the flaky handler fails, once per process, at its first run there.
    const key = `${line.inc}/${line.step}`;
    if (line.step !== FLAKY_HANDLER) out.push(`${at} failed, which it never does`);
    else if (failedIn.has(key)) out.push(`${at} failed twice in one process`);
    failedIn.add(key);
  });
  for (const name of chain) if (!succeeded.has(name)) out.push(`${id}/${name}: the handler never succeeded`);
  if (incarnations.size > 1) report.chainsSpanningKills += 1;
  return out;
}
