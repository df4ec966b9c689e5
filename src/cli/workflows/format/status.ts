// Instance statuses with a symbol and a colour, as wrangler shows them (✅ complete, ❌ errored,
// ⏸️ paused, …), keeping Cloudflare's status words so that what a person reads is what
// --status and the API take.

import type { Colours, Paint } from "./colour.js";

/** Cloudflare's instance statuses, in the order describe lists their counts. */
export const INSTANCE_STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waiting",
  "waitingForPause",
] as const;

export type InstanceStatusName = (typeof INSTANCE_STATUSES)[number];

type Look = { symbol: string; colour: keyof Omit<Colours, "enabled"> };

const LOOKS: Record<InstanceStatusName, Look> = {
  complete: { symbol: "✅", colour: "green" },
  errored: { symbol: "❌", colour: "red" },
  paused: { symbol: "⏸️", colour: "yellow" },
  queued: { symbol: "⌛", colour: "dim" },
  running: { symbol: "▶", colour: "cyan" },
  terminated: { symbol: "🚫", colour: "magenta" },
  waiting: { symbol: "⏰", colour: "blue" },
  waitingForPause: { symbol: "⏱️", colour: "yellow" },
};

export function isInstanceStatus(value: string): value is InstanceStatusName {
  return (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** "✅ complete" (coloured when colours are on); "❓ <status>" for a status Cairn does not know. */
export function formatStatus(status: string | null | undefined, colours: Colours): string {
  if (!status) return "❓ unknown";
  if (!isInstanceStatus(status)) return `❓ ${status}`;
  const look = LOOKS[status];
  const paint: Paint = colours[look.colour];
  return `${look.symbol} ${paint(status)}`;
}

/** The symbol alone, for messages ("⏸️"). */
export function statusSymbol(status: string): string {
  return isInstanceStatus(status) ? LOOKS[status].symbol : "❓";
}
