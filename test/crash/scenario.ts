// One run of the crash scenario: an engine in a child process runs a mix of workflows on a real
// SQLite file and is killed with SIGKILL at random instants, `kills` times, reopening after each
// kill; a last incarnation finishes the work. Then the outputs, the effects file (what callbacks
// and rollback handlers really ran) and the database are checked, and every broken promise is
// returned as a violation. The crash test in `npm test` runs it once; `npm run soak` runs it
// with fresh seeds until it has killed the engine a thousand times or more.

import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { InstanceStatus } from "cairn";
import { waitUntil } from "cairn/testing";
import { tempDir } from "../helpers/temp-store.js";
import { checkEffects } from "./check-effects.js";
import { checkOutputs } from "./check-outputs.js";
import { checkRollbacks } from "./check-rollbacks.js";
import { checkStore, readTimedOutAttempts } from "./check-store.js";
import { checkStreams } from "./check-streams.js";
import { ChildHandle } from "./child-handle.js";
import { readEffects } from "./effects.js";
import { EventPump } from "./event-pump.js";
import type { FromChild } from "./protocol.js";
import { type Rng, seededRng } from "./rng.js";
import { LATE_STREAMERS, plannedInstances } from "./workflows.js";

/** Where the random instant falls: anywhere, or close to a moment that matters for events. */
export type KillMode = "during-startup" | "right-after-a-send" | "right-after-an-ack" | "while-running";

function pickMode(rng: Rng): KillMode {
  const r = rng.next();
  if (r < 0.1) return "during-startup";
  if (r < 0.25) return "right-after-a-send";
  if (r < 0.4) return "right-after-an-ack";
  return "while-running";
}

const ready = (m: FromChild) => (m.type === "ready" ? true : undefined);
const statuses = (m: FromChild) => (m.type === "statuses" ? m.statuses : undefined);
const closed = (m: FromChild) => (m.type === "closed" ? true : undefined);

/** Resolves at the random instant at which incarnation `c` is to be killed. */
async function untilKillInstant(c: ChildHandle, mode: KillMode, rng: Rng, sendKillRng: Rng, pump: EventPump) {
  if (mode === "during-startup") {
    // The delay is the random kill instant under test, not a wait for something to happen.
    await delay(rng.between(0, 400));
    return;
  }
  await c.next(ready, 30_000, "ready");
  let killNow = () => {};
  const due = new Promise<void>((resolve) => {
    killNow = resolve;
  });
  pump.attach(
    c,
    false,
    () => {
      if (mode === "right-after-a-send") setTimeout(killNow, sendKillRng.between(0, 3));
    },
    () => {
      if (mode === "right-after-an-ack") setTimeout(killNow, sendKillRng.between(0, 2));
    },
  );
  const timer = setTimeout(killNow, rng.between(20, 300));
  await due;
  clearTimeout(timer);
}

/** What one run did and found; `violations` is empty when every check held. */
export type CrashRun = {
  seed: number;
  kills: number;
  modes: Record<KillMode, number>;
  instances: number;
  stepStarts: number;
  killsWithStepInFlight: number;
  crashedAttempts: number;
  eventSends: number;
  eventsStored: number;
  streams: number;
  crashedStreamAttempts: number;
  timedOutStreamAttempts: number;
  rollbackHandlerRuns: number;
  chainsSpanningKills: number;
  durationMs: number;
  /** From the last kill until every instance had finished: how long the work took to resume. */
  recoveryMs: number;
  summary: string;
  violations: string[];
  /** The run's files (database, effects), kept when `keepFiles` or when something was violated. */
  dir: string;
};

/**
 * Runs the scenario with `seed`, killing the engine `kills` times. Never throws for a broken
 * promise: it lists it in `violations` (a failure of the harness itself still throws).
 */
export async function runCrashScenario(options: {
  seed: number;
  kills: number;
  keepFiles?: boolean;
  onChild?: (child: ChildHandle | null) => void;
}): Promise<CrashRun> {
  const { seed, kills: KILLS } = options;
  let child: ChildHandle | null = null;
  const setChild = (c: ChildHandle | null) => {
    child = c;
    options.onChild?.(c);
  };
  const started = Date.now();
  const temp = tempDir("cairn-crash-");
  const effectsPath = join(temp.dir, "effects.log");
  // Separate streams, so that the kill choices do not depend on how many events went out.
  const rng = seededRng(seed);
  const sendKillRng = seededRng(seed + 1);
  const planned = plannedInstances();
  const collectors = planned.filter((p) => p.binding === "COLLECTOR").map((p) => p.id);
  const pump = new EventPump(collectors, seededRng(seed + 2), 5);
  const killed = new Set<number>();
  const engineErrors: string[] = [];
  const harness: string[] = [];
  const modes: Record<KillMode, number> = {
    "during-startup": 0,
    "right-after-a-send": 0,
    "right-after-an-ack": 0,
    "while-running": 0,
  };
  const spawn = (incarnation: number, isLast = false) => {
    const c = new ChildHandle(temp.dbPath, effectsPath, incarnation, isLast);
    c.onMessage((m) => {
      if (m.type === "engine-error")
        engineErrors.push(`incarnation ${incarnation}, ${m.context}: ${m.message}`);
    });
    setChild(c);
    return c;
  };
  try {
    for (let incarnation = 1; incarnation <= KILLS; incarnation++) {
      const c = spawn(incarnation);
      const mode = pickMode(rng);
      modes[mode] += 1;
      await untilKillInstant(c, mode, rng, sendKillRng, pump);
      await c.kill();
      pump.detach();
      const exit = await c.exited;
      if (exit.signal !== "SIGKILL")
        harness.push(`incarnation ${incarnation} died on its own: ${c.errorOutput}`);
      killed.add(incarnation);
    }

    // The last incarnation runs until every instance has finished (bounded), then closes cleanly.
    const killsDone = Date.now();
    const last = spawn(KILLS + 1, true);
    await last.next(ready, 30_000, "ready");
    pump.attach(last, true, () => {});
    const readStatuses = async () => {
      last.send({ type: "status" });
      return last.next(statuses, 10_000, "statuses");
    };
    const unfinished = (list: { id: string; status: InstanceStatus }[]) =>
      list.filter((s) => !["complete", "errored", "terminated"].includes(s.status.status));
    // A stuck instance shows up here; the checks below still run, to say what went wrong.
    const stuck = await waitUntil(
      async () => ({ acked: pump.allAcked, unfinished: unfinished(await readStatuses()).map((s) => s.id) }),
      (s) => s.acked && s.unfinished.length === 0,
      { timeoutMs: 45_000, intervalMs: 100, what: "every event acked and every instance finished" },
    ).then(
      () => [],
      (error: Error) => [error.message],
    );
    const recoveryMs = Date.now() - killsDone;
    const final = new Map((await readStatuses()).map((s) => [s.id, s.status]));
    last.send({ type: "close" });
    await last.next(closed, 30_000, "closed");
    const lastExit = await last.exited;
    if (lastExit.code !== 0)
      harness.push(`the last incarnation exited with ${lastExit.code}: ${last.errorOutput}`);
    pump.detach();
    setChild(null);

    const lines = readEffects(effectsPath);
    const outputs = checkOutputs(planned, final, lines);
    const effects = checkEffects(lines, outputs.expectedSteps, killed, readTimedOutAttempts(temp.dbPath));
    const store = checkStore(temp.dbPath, planned, effects.lastAttempt, outputs.received, pump.sends);
    const streams = checkStreams(temp.dbPath, planned);
    const rollbacks = checkRollbacks(temp.dbPath, planned, lines, killed);
    const interruptedSends = pump.sends.filter((s) => s.outcome === "interrupted").length;
    const durationMs = Date.now() - started;
    const summary = [
      `crash run (seed ${seed}): ${killed.size} kills (${JSON.stringify(modes)}), ${planned.length} instances,`,
      `${effects.starts} step starts, ${effects.extraStarts} step starts cut by a kill,`,
      `${effects.killsWithStepInFlight} kills with a step in flight, ${store.crashedAttempts} attempts recorded as crashed,`,
      `${pump.sends.length} event sends (${interruptedSends} interrupted), ${store.events} events stored,`,
      `${streams.streams} streams in ${streams.chunks} chunks (${streams.crashedStreamAttempts} stream attempts crashed,`,
      `${streams.timedOutStreamAttempts} timed out), ${rollbacks.handlerRuns} rollback handler runs`,
      `(${rollbacks.handlerRunsCut} cut by a kill, ${rollbacks.chainsSpanningKills} chains across incarnations),`,
      `${durationMs} ms (${recoveryMs} ms after the last kill)`,
    ].join(" ");
    const violations = [
      ...harness,
      ...stuck,
      ...engineErrors,
      ...outputs.violations,
      ...effects.violations,
      ...store.violations,
      ...streams.violations,
      ...rollbacks.violations,
    ];
    // The run proves something only if the kills really landed in the middle of work.
    if (killed.size < Math.min(KILLS, 30)) violations.push(`only ${killed.size} kills landed`);
    if (KILLS >= 30) {
      if (effects.killsWithStepInFlight < 10)
        violations.push(
          `only ${effects.killsWithStepInFlight} kills had a step in flight (at least 10 expected)`,
        );
      if (store.crashedAttempts === 0) violations.push("no attempt was recorded as crashed");
      if (streams.crashedStreamAttempts === 0) violations.push("no stream attempt was cut by a kill");
      if (rollbacks.chainsSpanningKills === 0) violations.push("no rollback chain spanned a kill");
    }
    // At least the late streamers' stalls (they run without kills) timed out.
    if (streams.timedOutStreamAttempts < LATE_STREAMERS)
      violations.push(
        `only ${streams.timedOutStreamAttempts} stream attempts timed out (${LATE_STREAMERS} expected)`,
      );
    const keep = options.keepFiles === true || violations.length > 0;
    if (!keep) temp.cleanup();
    return {
      seed,
      kills: killed.size,
      modes,
      instances: planned.length,
      stepStarts: effects.starts,
      killsWithStepInFlight: effects.killsWithStepInFlight,
      crashedAttempts: store.crashedAttempts,
      eventSends: pump.sends.length,
      eventsStored: store.events,
      streams: streams.streams,
      crashedStreamAttempts: streams.crashedStreamAttempts,
      timedOutStreamAttempts: streams.timedOutStreamAttempts,
      rollbackHandlerRuns: rollbacks.handlerRuns,
      chainsSpanningKills: rollbacks.chainsSpanningKills,
      durationMs,
      recoveryMs,
      summary,
      violations,
      dir: temp.dir,
    };
  } finally {
    await (child as ChildHandle | null)?.kill();
  }
}
