// Reads the SQLite file after the crash run (read-only) and checks the stored stream results: a
// step key with chunks must be a succeeded stream step (no chunks survive from a crashed, failed
// or timed-out attempt), its chunks must be exactly the ones the producer yielded, and every
// stream step that succeeded must be stored as a stream.

import Database from "better-sqlite3";
import { type PlannedInstance, producedChunks as produce, WORKFLOWS } from "./workflows.js";

type InstanceRow = { seq: number; workflow: string; id: string };
type StepRow = {
  instance_seq: number;
  key: string;
  kind: string;
  name: string;
  status: string;
  stream: number;
};
type ChunkRow = { instance_seq: number; step_key: string; idx: number; bytes: Buffer };
type FailureRow = { instance_seq: number; step_key: string; data: string | null };

export type StreamsReport = {
  violations: string[];
  /** Stream steps stored, and their chunk rows. */
  streams: number;
  chunks: number;
  /** Attempts of stream steps recorded as crashed (killed mid-attempt) or timed out. */
  crashedStreamAttempts: number;
  timedOutStreamAttempts: number;
};

const produced = new Map<string, Uint8Array[] | undefined>();
/** producedChunks, computed once per step (each call generates the bytes). */
function producedChunks(p: PlannedInstance, step: string): Uint8Array[] | undefined {
  const key = `${p.binding}/${p.id}/${step}`;
  if (!produced.has(key)) produced.set(key, produce(p, step));
  return produced.get(key);
}

export function checkStreams(dbPath: string, planned: PlannedInstance[]): StreamsReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const instances = db.prepare("SELECT seq, workflow, id FROM instances").all() as InstanceRow[];
    const plannedBySeq = new Map<number, PlannedInstance>();
    for (const i of instances) {
      const p = planned.find((x) => x.id === i.id && WORKFLOWS[x.binding].name === i.workflow);
      if (p) plannedBySeq.set(i.seq, p);
    }
    const steps = db
      .prepare("SELECT instance_seq, key, kind, name, status, stream FROM steps")
      .all() as StepRow[];
    const stepOf = new Map(steps.map((s) => [`${s.instance_seq}/${s.key}`, s]));
    const violations: string[] = [];
    const where = (seq: number, key: string) => `${plannedBySeq.get(seq)?.id ?? `seq ${seq}`}/${key}`;

    // Every group of chunks belongs to a succeeded stream step and equals what its producer yielded.
    const stored = new Set<string>();
    let chunks = 0;
    let group: ChunkRow[] = [];
    const flush = () => {
      if (group.length === 0) return;
      const { instance_seq: seq, step_key: key } = group[0]!;
      stored.add(`${seq}/${key}`);
      violations.push(
        ...checkGroup(where(seq, key), group, stepOf.get(`${seq}/${key}`), plannedBySeq.get(seq)),
      );
      group = [];
    };
    const rows = db
      .prepare(
        "SELECT instance_seq, step_key, idx, bytes FROM stream_chunks ORDER BY instance_seq, step_key, idx",
      )
      .iterate() as IterableIterator<ChunkRow>;
    for (const row of rows) {
      chunks += 1;
      const head = group[0];
      if (head && (head.instance_seq !== row.instance_seq || head.step_key !== row.step_key)) flush();
      group.push(row);
    }
    flush();

    // Every stream step of the planned workflows that succeeded is stored as a stream, with chunks.
    let streams = 0;
    for (const s of steps) {
      const p = plannedBySeq.get(s.instance_seq);
      const expected = s.kind === "do" && p ? producedChunks(p, s.name) : undefined;
      if (s.stream) streams += 1;
      if (!expected || s.status !== "succeeded") continue;
      if (!s.stream)
        violations.push(`${where(s.instance_seq, s.key)} succeeded but is not stored as a stream`);
      else if (!stored.has(`${s.instance_seq}/${s.key}`)) {
        violations.push(`${where(s.instance_seq, s.key)} is a succeeded stream step without chunks`);
      }
    }

    const failures = db
      .prepare("SELECT instance_seq, step_key, data FROM log_entries WHERE type = 'ATTEMPT_FAILURE'")
      .all() as FailureRow[];
    const ofStreams = failures.filter((f) => {
      const s = stepOf.get(`${f.instance_seq}/${f.step_key}`);
      const p = plannedBySeq.get(f.instance_seq);
      return s !== undefined && p !== undefined && producedChunks(p, s.name) !== undefined;
    });
    const count = (name: string) => ofStreams.filter((f) => f.data?.includes(name)).length;
    return {
      violations,
      streams,
      chunks,
      crashedStreamAttempts: count("WorkflowInternalError"),
      timedOutStreamAttempts: count("WorkflowTimeoutError"),
    };
  } finally {
    db.close();
  }
}

function checkGroup(
  where: string,
  rows: ChunkRow[],
  step: StepRow | undefined,
  planned: PlannedInstance | undefined,
): string[] {
  if (!step) return [`${rows.length} chunks stored for ${where}, which has no journal record`];
  if (step.kind !== "do" || step.status !== "succeeded" || !step.stream) {
    return [
      `${rows.length} chunks stored for ${where}, a ${step.kind} step ${step.status} (stream=${step.stream})`,
    ];
  }
  const want = planned ? producedChunks(planned, step.name) : undefined;
  if (!want) return [`${rows.length} chunks stored for ${where}, which does not return a stream`];
  const got = rows.map((r) => r.bytes);
  const same = got.length === want.length && got.every((bytes, i) => Buffer.from(want[i]!).equals(bytes));
  if (same) return [];
  const sizes = (list: Uint8Array[]) => list.map((c) => c.byteLength).join(",");
  return [
    `${where} stored chunks of sizes [${sizes(got)}]; the producer yielded [${sizes(want)}] (or bytes differ)`,
  ];
}
