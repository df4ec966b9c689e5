// An instance's steps on one time axis, one row per step: each attempt a bar from its start to
// its end (failed ones marked), the backoff between attempts a dashed gap, sleeps and waits drawn
// as such, rollback handlers in their own colour, and the running step marked. Each row's name
// links to the step; a sentence per row says in words what the bars show.

import { Link } from "wouter-preact";
import { duration, ms } from "../format.js";
import type { InstanceDetail, Step } from "../shapes.js";

const SCALE = 1000;
const MAX_ROWS = 300;

type Segment = { from: number; to: number; kind: string };

function segments(step: Step, now: number): Segment[] {
  const start = ms(step.started_at) ?? now;
  const end = ms(step.ended_at);
  const wake = ms(step.wake_at);
  if (step.type === "sleep") {
    const out: Segment[] = [{ from: start, to: end ?? now, kind: "sleep" }];
    if (end === null && wake !== null && wake > now) out.push({ from: now, to: wake, kind: "planned" });
    return out;
  }
  if (step.type === "waitForEvent") {
    const kind = step.timed_out ? "wait-timeout" : "wait";
    const out: Segment[] = [{ from: start, to: end ?? now, kind }];
    if (end === null && wake !== null && wake > now) out.push({ from: now, to: wake, kind: "planned" });
    return out;
  }
  if (step.type === "termination") return [{ from: start, to: start, kind: "termination" }];
  const out: Segment[] = [];
  const base = step.type === "rollback" ? "rollback" : "attempt";
  let previousEnd: number | null = null;
  for (const attempt of step.attempts) {
    const a = ms(attempt.started_at) ?? start;
    const b = ms(attempt.ended_at);
    if (previousEnd !== null && a > previousEnd) out.push({ from: previousEnd, to: a, kind: "backoff" });
    const outcome = attempt.success === true ? "ok" : attempt.success === false ? "failed" : "running";
    out.push({ from: a, to: b ?? now, kind: `${base} ${base}-${outcome}` });
    previousEnd = b;
  }
  if (step.status === "retrying" && previousEnd !== null && wake !== null && wake > previousEnd) {
    out.push({ from: previousEnd, to: wake, kind: "backoff planned" });
  }
  if (out.length === 0) out.push({ from: start, to: end ?? now, kind: `${base} ${base}-running` });
  return out;
}

export function describeStep(step: Step, now: number): string {
  const took = duration((ms(step.ended_at) ?? now) - (ms(step.started_at) ?? now));
  switch (step.type) {
    case "sleep":
      return step.ended_at ? `slept ${took}` : `sleeping, ${took} so far`;
    case "waitForEvent":
      if (step.timed_out) return `waited ${took} for "${step.event_type ?? "an event"}" and timed out`;
      return step.ended_at
        ? `waited ${took} for "${step.event_type ?? "an event"}"`
        : `waiting for "${step.event_type ?? "an event"}", ${took} so far`;
    case "termination":
      return "terminated";
    default: {
      const tries = step.attempts.length;
      const failed = step.attempts.filter((a) => a.success === false).length;
      const what = step.type === "rollback" ? "rollback" : "step";
      const state =
        step.status === "running"
          ? "running"
          : step.status === "retrying"
            ? "waiting to retry"
            : step.status === "succeeded"
              ? "succeeded"
              : "failed";
      return `${what} ${state} after ${took}; ${tries} attempt${tries === 1 ? "" : "s"}${failed ? `, ${failed} failed` : ""}`;
    }
  }
}

export function Timeline(props: {
  instance: InstanceDetail;
  steps: Step[];
  now: number;
  stepHref: (step: Step) => string;
  selectedKey: string | null;
}) {
  const { instance, now } = props;
  const rows = props.steps.slice(0, MAX_ROWS);
  const starts = rows.map((s) => ms(s.started_at) ?? now);
  const t0 = Math.min(ms(instance.started_at) ?? ms(instance.created_at) ?? now, ...starts);
  // The axis ends now (or when the instance ended): a wait's deadline an hour away would
  // squeeze everything that happened into a sliver, so planned time is drawn up to the edge only.
  let t1 = ms(instance.ended_at) ?? now;
  for (const step of rows) {
    for (const seg of segments(step, now)) if (!seg.kind.includes("planned")) t1 = Math.max(t1, seg.to);
  }
  const width = Math.max(1, t1 - t0);
  const x = (t: number) => ((t - t0) / width) * SCALE;
  if (rows.length === 0) return <p class="hint">No steps yet.</p>;
  return (
    <section class="timeline" aria-label="Step timeline">
      <div class="timeline-axis" aria-hidden="true">
        <span>0</span>
        <span>{duration(width / 2)}</span>
        <span>{duration(width)}</span>
      </div>
      <ol class="timeline-rows">
        {rows.map((step) => {
          const running = step.status === "running" || (step.status === "waiting" && !step.ended_at);
          const text = describeStep(step, now);
          return (
            <li
              key={step.key}
              class={`timeline-row${props.selectedKey === step.key ? " selected" : ""}${running ? " is-running" : ""}`}
            >
              <Link class="timeline-label" href={props.stepHref(step)} title={step.key}>
                {step.type === "rollback" ? "↩ " : ""}
                {step.name}
                {step.count > 1 ? ` #${step.count}` : ""}
              </Link>
              <svg
                class="timeline-track"
                viewBox={`0 0 ${SCALE} 14`}
                preserveAspectRatio="none"
                aria-hidden="true"
              >
                {segments(step, now).map((seg, i) => {
                  const left = Math.min(x(seg.from), SCALE - 2);
                  const w = Math.max(2, Math.min(x(seg.to), SCALE) - left);
                  if (seg.kind.includes("backoff") || seg.kind === "planned") {
                    return (
                      <line
                        key={i}
                        x1={left}
                        x2={left + w}
                        y1="7"
                        y2="7"
                        class={`seg seg-${seg.kind.replace(" ", " seg-")}`}
                      />
                    );
                  }
                  if (seg.kind === "termination")
                    return <rect key={i} x={left} y="0" width="3" height="14" class="seg seg-termination" />;
                  return (
                    <rect
                      key={i}
                      x={left}
                      y="2"
                      width={w}
                      height="10"
                      rx="2"
                      class={seg.kind
                        .split(" ")
                        .map((k) => `seg-${k}`)
                        .join(" ")}
                    />
                  );
                })}
              </svg>
              <span class="timeline-text" title={text}>
                {running && (step.type === "do" || step.type === "rollback") && (
                  <span class="running-mark">running · </span>
                )}
                {text}
              </span>
            </li>
          );
        })}
      </ol>
      {props.steps.length > MAX_ROWS && (
        <p class="hint">
          The timeline shows the first {MAX_ROWS} of {props.steps.length} steps; the list below has all.
        </p>
      )}
    </section>
  );
}
