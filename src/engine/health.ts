// Whether a Cairn is ready for work, as a report of named checks an orchestrator's probe (or a
// person) can read: the store answers a bounded ping, its schema is at the version this code
// migrates to, and the engine is open and (if it runs instances) its scheduler is not stuck
// failing. Each failing check carries a stable code and the reason. No HTTP here: the hosts'
// /readyz routes and `cairn.health()` both ask this module.

import { WorkflowsError } from "../errors.js";
import type { Store } from "../storage/types.js";
import type { Clock } from "./clock.js";
import type { SchedulerHealth } from "./scheduler.js";

/** One check's result: ok with a short description, or not with a code and the reason. */
export type HealthCheck = { ok: true; detail: string } | { ok: false; code: string; reason: string };

/** The checks a report holds. */
export type HealthCheckName = "store" | "migrations" | "engine";

/**
 * A readiness report. `reason` is null when ready, else the failing checks in one line
 * ("store: (storage.unavailable) …; engine: …").
 */
export type HealthReport = {
  ready: boolean;
  reason: string | null;
  checks: Record<HealthCheckName, HealthCheck>;
};

export type HealthOptions = {
  /** How long the store's ping may take before the store counts as not answering (ms). Default 2000. */
  timeoutMs?: number;
  /**
   * How long the scheduler's passes may keep failing before the engine counts as not ready (ms).
   * Default 10000: the scheduler retries every second, so a blip does not flip readiness.
   */
  schedulerFailingMs?: number;
};

/** What the engine tells a health check about itself. */
export type EngineState = {
  started: boolean;
  closed: boolean;
  runInstances: boolean;
  scheduler: SchedulerHealth;
};

/** What a health check reads: the engine's store, clock and state. */
export type HealthSource = { readonly store: Store; readonly clock: Clock; state(): EngineState };

export const DEFAULT_PING_TIMEOUT_MS = 2000;
export const DEFAULT_SCHEDULER_FAILING_MS = 10_000;
const MAX_PING_TIMEOUT_MS = 60_000;

function positiveMs(value: number | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new WorkflowsError(
      "engine.invalid_options",
      `health ${name} must be an integer from 1 to ${max} (ms), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The code and message of any error: Cairn's own, a driver's (`code`), or a plain one. */
function describe(error: unknown): { code: string; message: string } {
  if (WorkflowsError.is(error)) return { code: error.code, message: error.detail };
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { code: typeof code === "string" ? code : "storage.failed", message };
}

function failed(code: string, reason: string): HealthCheck {
  return { ok: false, code, reason };
}

function migrationsCheck(version: number, expected: number): HealthCheck {
  if (version === expected) return { ok: true, detail: `schema version ${version}` };
  const relation =
    version > expected
      ? "newer than this Cairn's: another process migrated it; upgrade this one"
      : "older than this Cairn's: the schema was replaced or rolled back; restart to migrate it";
  return failed(
    "storage.migration_failed",
    `the database schema is at version ${version}, this Cairn expects ${expected} (${relation})`,
  );
}

function engineCheck(state: EngineState, now: number, failingMs: number): HealthCheck {
  if (state.closed) return failed("engine.closed", "the engine is closed");
  if (!state.started) return failed("engine.not_started", "the engine has not started");
  if (!state.runInstances) return { ok: true, detail: "open; runs no instances (runInstances: false)" };
  const failing = state.scheduler.failing;
  if (!failing) return { ok: true, detail: "running instances" };
  const { code, message } = describe(failing.error);
  const forMs = now - failing.since;
  if (forMs < failingMs) {
    return { ok: true, detail: `running instances; the scheduler's last pass failed (${code}), retrying` };
  }
  return failed(
    "engine.scheduler_failing",
    `the scheduler has failed to claim work for ${Math.round(forMs / 1000)} s: (${code}) ${message}`,
  );
}

/**
 * Runs the checks once. Never throws for a failing check (it is reported); throws only for bad
 * options.
 */
export async function checkHealth(source: HealthSource, options: HealthOptions = {}): Promise<HealthReport> {
  const timeoutMs = positiveMs(options.timeoutMs, "timeoutMs", DEFAULT_PING_TIMEOUT_MS, MAX_PING_TIMEOUT_MS);
  const failingMs = positiveMs(
    options.schedulerFailingMs,
    "schedulerFailingMs",
    DEFAULT_SCHEDULER_FAILING_MS,
    24 * 3_600_000,
  );
  let store: HealthCheck;
  let migrations: HealthCheck;
  const started = performance.now();
  try {
    const ping = await source.store.ping(timeoutMs);
    store = { ok: true, detail: `answered in ${Math.round(performance.now() - started)} ms` };
    migrations = migrationsCheck(ping.schemaVersion, ping.expectedSchemaVersion);
  } catch (error) {
    const { code, message } = describe(error);
    store = failed(code, message);
    migrations = failed(code, "not known: the store did not answer");
  }
  const engine = engineCheck(source.state(), source.clock.now(), failingMs);
  const checks = { store, migrations, engine };
  const failing = (Object.entries(checks) as [HealthCheckName, HealthCheck][]).flatMap(([name, check]) =>
    check.ok ? [] : [`${name}: (${check.code}) ${check.reason}`],
  );
  return { ready: failing.length === 0, reason: failing.length ? failing.join("; ") : null, checks };
}
