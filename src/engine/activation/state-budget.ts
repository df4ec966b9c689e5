// The per-instance state limit (`maxInstanceStateBytes`): step values and stream chunks count
// against it. What the instance already held is read once, on first need (never for a fresh
// instance, nor when the journal as loaded tells it), so that the common case decides
// synchronously without a promise per step.

import type { StepRecord, Store } from "../../storage/types.js";
import { StateLimitError } from "../step-errors.js";

/**
 * The bytes an instance holds, from its journal as loaded, when the journal alone tells: the sum
 * of its stored step values. Undefined when stream chunks may be stored besides (a step whose
 * result is a stream, or one left running, which may have streamed part of a result), so that
 * the budget reads the store instead.
 */
export function journalStateBytes(journal: readonly StepRecord[]): number | undefined {
  let bytes = 0;
  for (const record of journal) {
    if (record.status === "running") return undefined;
    if (record.status === "succeeded") {
      if (record.stream) return undefined;
      bytes += record.value.byteLength;
    }
  }
  return bytes;
}

/** Counts the bytes one activation stores against its instance's limit. */
export class StateBudget {
  private readonly store: Store;
  private readonly seq: number;
  private readonly limit: number;
  /** Bytes the instance held when this activation started, loaded on first need. */
  private storedBytes: Promise<number> | null = null;
  /** The stored bytes once known. */
  private storedKnown: number | null = null;
  /** Bytes this activation has stored since. */
  private chargedBytes = 0;

  /** `storedBytes`: what the instance holds, when the caller knows it (0 for a fresh one). */
  constructor(store: Store, seq: number, limit: number, storedBytes: number | undefined) {
    this.store = store;
    this.seq = seq;
    this.limit = limit;
    if (storedBytes !== undefined) this.storedKnown = storedBytes;
  }

  /**
   * Counts bytes about to be stored. Returns undefined when it could decide at once (the stored
   * bytes are already known), else a promise; throws (or rejects) StateLimitError past the limit.
   */
  charge(bytes: number): Promise<void> | undefined {
    if (this.storedKnown !== null) return this.chargeKnown(this.storedKnown, bytes);
    // Parallel steps share one load of what is already stored, then add to the same count.
    this.storedBytes ??= this.store.stateBytes(this.seq).then((stored) => {
      this.storedKnown = stored;
      return stored;
    });
    return this.storedBytes.then((stored) => this.chargeKnown(stored, bytes));
  }

  private chargeKnown(stored: number, bytes: number): undefined {
    this.chargedBytes += bytes;
    const total = stored + this.chargedBytes;
    if (total > this.limit) {
      throw new StateLimitError(
        `The instance has exceeded the ${this.limit} bytes storage limit (it would hold ${total} bytes)`,
      );
    }
    return undefined;
  }
}
