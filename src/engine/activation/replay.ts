// Replay: the journal loaded once at claim time, looked up by step key. A key is the step's kind,
// name and occurrence in this run ("do:2:charge" is the second `step.do("charge")`), so a
// replayed run finds each finished step's record and returns it without running the callback.

import type { StepKind, StepRecord } from "../../storage/types.js";
import type { StepSlot } from "./types.js";

/** The journal of one activation and the per-name counters of its run. */
export class Replay {
  /** Records by step key; the journal writer keeps it current with what this run writes. */
  readonly journal: Map<string, StepRecord>;
  private readonly counters = new Map<string, number>();
  private startOrder = 0;

  constructor(records: StepRecord[]) {
    this.journal = new Map();
    for (const r of records) {
      this.journal.set(r.key, r);
      this.startOrder = Math.max(this.startOrder, r.startOrder ?? 0);
    }
  }

  /** The next call of `kind` with `name` in this run: its key, occurrence and stored record. */
  lookup(kind: "do" | "sleep" | "waitForEvent", name: string): StepSlot {
    const counter = `${kind}:${name}`;
    const count = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, count);
    const key = `${kind}:${count}:${name}`;
    return { key, count, cached: this.journal.get(key) };
  }

  /** The start order of a step starting now (rollbacks run in reverse of it). */
  nextStartOrder(): number {
    this.startOrder += 1;
    return this.startOrder;
  }

  recordsOf(kind: StepKind): StepRecord[] {
    const out: StepRecord[] = [];
    for (const r of this.journal.values()) if (r.kind === kind) out.push(r);
    return out;
  }
}
