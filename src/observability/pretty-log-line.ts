// Turns one of pino's JSON lines into a line a person reads at a terminal:
//   12:04:05.120 WARN  [orders/order-7 › charge] step failed, will retry  attempt=1 maxAttempts=3 …
// The time is local, the instance and step lead as a tag, the other fields follow as key=value.
// An error object with a stack (a Cairn or handler error) adds its stack, indented, below. An
// error whose message is a bare code shows its `detail` too, so the line says which id it means.

import { readableMessage } from "../errors.js";

const LEVEL_COLOURS: Record<string, string> = { debug: "90", info: "36", warn: "33", error: "31" };
/** Fields shown elsewhere in the line than the key=value list. */
const PLACED = new Set(["level", "time", "msg", "workflow", "instance", "step", "source"]);

type Entry = Record<string, unknown>;

function clock(time: unknown): string {
  const date = new Date(typeof time === "string" || typeof time === "number" ? time : Date.now());
  if (Number.isNaN(date.getTime())) return String(time);
  const two = (n: number) => String(n).padStart(2, "0");
  const ms = String(date.getMilliseconds()).padStart(3, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

/** `[workflow/instance › step]` for lines about an instance, else nothing. */
function tag(entry: Entry): string {
  if (typeof entry.instance !== "string") return "";
  const who = typeof entry.workflow === "string" ? `${entry.workflow}/${entry.instance}` : entry.instance;
  return typeof entry.step === "string" ? `[${who} › ${entry.step}] ` : `[${who}] `;
}

/**
 * A pino-serialized error (`type`, `message`, `stack`, and a Cairn error's `code` and `detail`)
 * or an error record (`name`, `message`).
 */
function errorText(value: Entry): string | undefined {
  if (typeof value.message !== "string") return undefined;
  const name = typeof value.type === "string" ? value.type : typeof value.name === "string" ? value.name : "";
  const message = readableMessage({ message: value.message, code: value.code, detail: value.detail });
  return name ? `${name}: ${message}` : message;
}

function valueText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const error = errorText(value as Entry);
    if (error !== undefined) return JSON.stringify(error);
  }
  return JSON.stringify(value) ?? String(value);
}

/** The stack of an error field, minus its first line (the message, already shown), indented. */
function stackBelow(entry: Entry): string {
  const lines: string[] = [];
  for (const value of Object.values(entry)) {
    const stack = (value as Entry | null)?.stack;
    if (typeof value !== "object" || typeof stack !== "string") continue;
    lines.push(
      ...stack
        .split("\n")
        .slice(1)
        .map((line) => `    ${line.trim()}`),
    );
  }
  return lines.length ? `\n${lines.join("\n")}` : "";
}

/** One readable line (ending in a newline) for pino's JSON `line`; a line that is not JSON passes as is. */
export function prettyLogLine(line: string, colour: boolean): string {
  let entry: Entry;
  try {
    entry = JSON.parse(line) as Entry;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const level = String(entry.level ?? "info");
  const label = level.toUpperCase().padEnd(5);
  const shown = colour && LEVEL_COLOURS[level] ? `\x1b[${LEVEL_COLOURS[level]}m${label}\x1b[0m` : label;
  const origin = entry.source === "console" ? "console: " : "";
  const fields = Object.entries(entry)
    .filter(([key]) => !PLACED.has(key))
    .map(([key, value]) => `${key}=${valueText(value)}`)
    .join(" ");
  const msg = typeof entry.msg === "string" ? entry.msg : "";
  const head = `${clock(entry.time)} ${shown} ${tag(entry)}${origin}${msg}${fields ? `  ${fields}` : ""}`;
  return `${head}${stackBelow(entry)}\n`;
}
