// `Cairn.open`: the embedding entry point. Opens the store, builds the engine and one binding
// per workflow, and composes `env` (the caller's values plus the bindings) for workflows to use.

import type { Workflow } from "./api/types.js";
import { InstanceOperations } from "./bindings/instance-operations.js";
import { WorkflowBinding } from "./bindings/workflow-binding.js";
import type { ChangeHub } from "./engine/changes.js";
import type { Clock } from "./engine/clock.js";
import { Engine, type InstanceRef } from "./engine/engine.js";
import { checkHealth, type HealthOptions, type HealthReport } from "./engine/health.js";
import type { EngineObserver } from "./engine/observer.js";
import { guardObserver } from "./engine/observers.js";
import type { EngineOptionsInput, WorkflowDefinitionInput } from "./engine/settings.js";
import { STALL_AFTER_MS } from "./engine/stall.js";
import { WorkflowsError } from "./errors.js";
import { Inspector } from "./inspect/inspector.js";
import { type LoggingOptionsInput, libraryLogging } from "./observability/library-logging.js";
import { CairnMetrics, METRICS_CONTENT_TYPE } from "./observability/metrics/cairn-metrics.js";
import { type TracingOption, tracingObservers } from "./observability/tracing/tracing-option.js";
import { openStore, type StorageOption, type StorageSettings } from "./storage/open-store.js";

export type CairnOptions<W extends Record<string, WorkflowDefinitionInput>, E> = EngineOptionsInput &
  StorageSettings &
  LoggingOptionsInput & {
    /** "sqlite:./data/cairn.db", a file path, ":memory:", "postgres://…", a pg Pool or config, or a Store. */
    storage: StorageOption;
    /** Workflows by binding name, as `[[workflows]]` entries in a wrangler config. */
    workflows: W;
    /** What workflows read through `this.env`, besides the workflow bindings. */
    env?: E;
    /** Time source; tests pass a FakeClock. */
    clock?: Clock;
    /** Where the engine reports what it changes (default: a new hub, `cairn.engine.changes`). */
    changes?: ChangeHub;
    /**
     * Extra observers of the engine: they hear instances created, statuses written and each run's
     * attempts, sleeps and waits (see `EngineObserver`). Metrics, traces and logs are built on them.
     */
    observers?: EngineObserver[];
    /**
     * OpenTelemetry traces of each run and step attempt, through `@opentelemetry/api`: by default
     * with the global tracer provider (no spans until an SDK registers one); a provider of your
     * own with `{ tracerProvider }`; `false` for none.
     */
    tracing?: TracingOption;
    /**
     * Collect Prometheus metrics, read with `cairn.metrics()` (default true). `false` installs
     * no metrics observer, so the engine pays nothing for them.
     */
    metrics?: boolean;
  };

export type CairnEnv<W, E> = E & { [K in keyof W]: Workflow };

/**
 * A running Cairn: the bindings in `env`, and `close()`.
 * @example
 * const cairn = await Cairn.open({ storage: "sqlite:./data/cairn.db", workflows: { MY_WORKFLOW: { name: "my-workflow", class: MyWorkflow } } });
 * await cairn.env.MY_WORKFLOW.create({ id: "order-42", params: { amount: 3 } });
 */
export class Cairn<W extends Record<string, WorkflowDefinitionInput>, E = {}> {
  readonly env: CairnEnv<W, E>;
  /** @internal The engine; Cairn's own tests reach into it. Read and watch through `inspect`. */
  readonly engine: Engine;
  /** Reads workflows, instances, steps and logs, and watches changes. */
  readonly inspect: Inspector;
  /** Controls instances by workflow name from outside workflow code; what it creates is marked "api". */
  readonly operations: InstanceOperations;
  /** The content type of what `metrics()` answers (Prometheus text format 0.0.4). */
  readonly metricsContentType = METRICS_CONTENT_TYPE;
  readonly #metrics: CairnMetrics | null;

  private constructor(engine: Engine, env: CairnEnv<W, E>, inspect: Inspector, metrics: CairnMetrics | null) {
    this.engine = engine;
    this.env = env;
    this.inspect = inspect;
    this.operations = new InstanceOperations(engine, "api");
    this.#metrics = metrics;
  }

  static async open<W extends Record<string, WorkflowDefinitionInput>, E = {}>(
    options: CairnOptions<W, E>,
  ): Promise<Cairn<W, E>> {
    const logging = libraryLogging(options);
    const settings = Engine.resolveSettings(options.workflows, { ...options, onError: logging.onError });
    if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
      throw new WorkflowsError(
        "engine.invalid_options",
        `metrics must be true or false, got ${JSON.stringify(options.metrics)}`,
      );
    }
    // Tracing first: its context wraps the other observers', so what they record can name the span.
    const observers = [
      ...tracingObservers(options.tracing),
      // The user's observers must not break the engine: what they throw is reported, not raised.
      ...(options.observers ?? []).map((o) => guardObserver(o, settings.onError)),
      ...logging.observers,
    ];
    const now = options.clock?.now() ?? Date.now();
    const store = await openStore(options.storage, options, now);
    const defs = [...settings.workflows.values()];
    const metrics = options.metrics === false ? null : new CairnMetrics(defs.map((def) => def.name));
    const engine = new Engine(store, {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.changes ? { changes: options.changes } : {}),
      // Metrics wrap nothing (they only count), so their place among the wrappers does not matter.
      observers: [...(metrics ? [metrics.observer] : []), ...observers],
      settings,
    });
    metrics?.attach({
      store,
      workflows: defs,
      maxRunning: settings.maxRunning,
      running: (workflow) => engine.live.running(workflow),
      stalled: (workflow) => engine.live.stalled(workflow, engine.clock.now() - STALL_AFTER_MS),
      report: (error, context) => engine.report(error, context),
    });
    const env = { ...(options.env ?? {}) } as Record<string, unknown>;
    for (const def of defs) env[def.binding] = new WorkflowBinding(engine, def.name);
    // Each instance gets its own bindings, which know the instance calling them: an instance
    // that deletes itself then stops at that call.
    const envFor = (caller: InstanceRef) => {
      const own = { ...env };
      for (const def of defs) own[def.binding] = new WorkflowBinding(engine, def.name, caller);
      return own;
    };
    const inspect = new Inspector({
      store,
      clock: engine.clock,
      changes: engine.changes,
      workflows: defs.map((def) => ({
        name: def.name,
        binding: def.binding,
        className: def.class?.name ?? null,
      })),
      stalledSince: (workflow, id) => engine.live.stalledSince(workflow, id),
      stalledCount: (workflow) => engine.live.stalled(workflow, engine.clock.now() - STALL_AFTER_MS),
    });
    engine.start(env, envFor);
    return new Cairn(engine, env as CairnEnv<W, E>, inspect, metrics);
  }

  /**
   * This process's metrics in the Prometheus text format (`metricsContentType`): the engine's
   * counters and histograms, the store's, the store-wide instance counts, and Node.js's own.
   * Throws `metrics.disabled` when the Cairn was opened with `metrics: false`.
   */
  metrics(): Promise<string> {
    if (!this.#metrics) {
      return Promise.reject(
        new WorkflowsError(
          "metrics.disabled",
          "this Cairn was opened with metrics: false, so it collects none",
        ),
      );
    }
    return this.#metrics.text();
  }

  /**
   * Whether this Cairn is ready for work: the store answers a ping within `timeoutMs`, its schema
   * is at the version this code expects, and the engine is open with its scheduler not stuck
   * failing. Never throws for a failing check; each one says ok or its code and reason.
   * @example
   * const report = await cairn.health();
   * if (!report.ready) console.error(report.reason);
   */
  health(options?: HealthOptions): Promise<HealthReport> {
    return checkHealth(this.engine, options);
  }

  /** Stops taking work, lets in-flight attempts finish, and closes storage. */
  close(): Promise<void> {
    return this.engine.close();
  }
}
