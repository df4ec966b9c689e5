// An instance's status as colour, symbol and word together, so that it reads without colour too.

import type { Status } from "../shapes.js";

const SYMBOLS: Record<Status, string> = {
  queued: "○",
  running: "▶",
  waiting: "◷",
  paused: "‖",
  waitingForPause: "◐",
  complete: "✓",
  errored: "✕",
  terminated: "■",
};

const LABELS: Record<Status, string> = {
  queued: "Queued",
  running: "Running",
  waiting: "Waiting",
  paused: "Paused",
  waitingForPause: "Pausing",
  complete: "Complete",
  errored: "Errored",
  terminated: "Terminated",
};

export function statusLabel(status: Status): string {
  return LABELS[status] ?? status;
}

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span class={`status status-${status}`}>
      <span class="status-symbol" aria-hidden="true">
        {SYMBOLS[status] ?? "?"}
      </span>
      {statusLabel(status)}
    </span>
  );
}
