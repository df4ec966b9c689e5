// Times as a person reads them: relative to now and absolute in UTC, side by side
// ("3 min ago (2026-12-04 10:01:02Z)"), and durations in the largest units that fit.
// Every function takes `now` so tests pin it.

/** Milliseconds since the epoch from an ISO string (null when absent or unreadable). */
export function toMs(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** "2026-12-04 10:01:02Z": UTC, to the second. */
export function formatAbsolute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** "just now", "12 s ago", "3 min ago", "5 h ago", "2 days ago"; "in 3 min" for a future time. */
export function formatRelative(ms: number, now: number): string {
  const diff = now - ms;
  const abs = Math.abs(diff);
  if (abs < 5_000) return diff >= 0 ? "just now" : "in a moment";
  let amount: string;
  if (abs < 60_000) amount = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) amount = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 48 * 3_600_000) amount = `${Math.floor(abs / 3_600_000)} h`;
  else amount = plural(Math.floor(abs / 86_400_000), "day");
  return diff >= 0 ? `${amount} ago` : `in ${amount}`;
}

/** "3 min ago (2026-12-04 10:01:02Z)", or "-" when there is no time. */
export function formatWhen(value: string | number | null | undefined, now: number): string {
  const ms = toMs(value);
  return ms === null ? "-" : `${formatRelative(ms, now)} (${formatAbsolute(ms)})`;
}

/** "850 ms", "1.2 s", "42 s", "3 min 4 s", "2 h 5 min", "3 days 4 h". */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 ? `${min} min ${s % 60} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const days = Math.floor(h / 24);
  return h % 24 ? `${plural(days, "day")} ${h % 24} h` : plural(days, "day");
}

/**
 * How long something took: end − start, or start → now with "so far" while it runs;
 * "-" without a start.
 */
export function formatSpan(
  start: string | null | undefined,
  end: string | null | undefined,
  now: number,
): string {
  const from = toMs(start);
  if (from === null) return "-";
  const to = toMs(end);
  return to === null ? `${formatDuration(now - from)} so far` : formatDuration(to - from);
}
