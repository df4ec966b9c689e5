// Appends log entries for the writer thread's transitions: one row per entry, or one packed row
// for the several entries one transition writes (a step's start, attempt and result), which is
// what keeps a step's log to a single insert.

import type Database from "better-sqlite3";
import type { LogInput } from "../types.js";
import {
  type FlatLog,
  flattenLog,
  LOG_AT,
  LOG_ATTEMPT,
  LOG_DATA,
  LOG_STEP_KEY,
  LOG_STRIDE,
  LOG_TYPE,
  PACKED_LOG_TYPE,
  packedLogData,
} from "./rows.js";

/** Writes log rows and numbers them. One per writer thread. */
export class LogWriter {
  private readonly insert: Database.Statement;
  /**
   * The next log seq. Assigned here rather than by SQLite because a packed row takes one seq
   * per entry; the writer thread is the file's only writer (the process lock), so a counter is
   * safe, and a gap left by a rolled-back batch only skips numbers.
   */
  private nextSeq: number;

  constructor(db: Database.Database) {
    // After the last row, and after every entry of it if it is a packed row (its entries took
    // the seqs that follow its own).
    const last = db
      .prepare(
        `SELECT seq + CASE WHEN type = '${PACKED_LOG_TYPE}' THEN json_array_length(data) - 1 ELSE 0 END AS seq
         FROM log ORDER BY seq DESC LIMIT 1`,
      )
      .pluck()
      .get() as number | undefined;
    this.nextSeq = (last ?? 0) + 1;
    this.insert = db.prepare(
      "INSERT INTO log (seq, instance_seq, at, type, step_key, attempt, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /** Appends `entries` to the log of instance `seq`; an entry without a time takes `now`. */
  write(seq: number, entries: LogInput[], now: number): void {
    if (entries.length > 0) this.writeFlat(seq, flattenLog(entries), now);
  }

  /** write() with the entries already flat, as the main thread sends a step's. */
  writeFlat(seq: number, flat: FlatLog, now: number): void {
    if (flat.length === 0) return;
    if (flat.length === LOG_STRIDE) {
      const at = flat[LOG_AT] ?? now;
      this.insert.run(
        this.nextSeq++,
        seq,
        at,
        flat[LOG_TYPE],
        flat[LOG_STEP_KEY],
        flat[LOG_ATTEMPT],
        flat[LOG_DATA],
      );
      return;
    }
    const at = flat[LOG_AT] ?? now;
    this.insert.run(
      this.nextSeq,
      seq,
      at,
      PACKED_LOG_TYPE,
      flat[LOG_STEP_KEY],
      null,
      packedLogData(flat, now),
    );
    this.nextSeq += flat.length / LOG_STRIDE;
  }
}
