// The error `replayHistory` throws when it is handed something it cannot replay: not a history,
// a format version it does not read, a missing or ill-typed field. Its `code` is stable and its
// message names the field and what was found there.

import { WorkflowsError } from "../errors.js";

export type HistoryErrorCode = "history.invalid" | "history.unsupported_format";

/**
 * A history `replayHistory` cannot read. `code` is `history.invalid` (not a history, a missing
 * or ill-typed field, a value the export cut to a preview) or `history.unsupported_format` (a
 * format version this Cairn does not read).
 * @example
 * try { await replayHistory(Orders, text) } catch (e) { if (e instanceof HistoryError) console.log(e.code, e.detail) }
 */
export class HistoryError extends WorkflowsError {
  declare readonly code: HistoryErrorCode;

  constructor(code: HistoryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "HistoryError";
  }
}
