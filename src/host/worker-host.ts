// Runs one Worker project: reads its wrangler config, bundles and loads its entry, opens Cairn
// with its workflows, serves its fetch handler, fires its crons and, in `cairn dev`, rebuilds on
// change. A failed rebuild is reported and the last good build keeps serving; a good one swaps
// the code under running instances, which continue on it at their next step.

import { randomUUID } from "node:crypto";
import { mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { Cairn } from "../cairn.js";
import { captureConsole } from "../observability/console-capture.js";
import { instanceContextObserver } from "../observability/instance-context.js";
import {
  DEV_LIFECYCLE_LEVELS,
  lifecycleLogObserver,
  START_LIFECYCLE_LEVELS,
} from "../observability/lifecycle-log.js";
import type { Logger } from "../observability/logger.js";
import { type ApiHandler, createApiHandler } from "../server/api-handler.js";
import { DEFAULT_DASHBOARD_BASE } from "../server/dashboard-routes.js";
import { createHealthRoutes, type HealthRoutes } from "../server/health-routes.js";
import { METRICS_PATHS } from "../server/metrics-route.js";
import { isLoopbackAddress, RequestGuard } from "../server/request-guard.js";
import { processBuildFolder, removeDeadBuildFolders } from "./build-folder.js";
import { bundleWorker } from "./bundle.js";
import { loadProjectConfig, type ProjectConfig } from "./config.js";
import { findConfigFile } from "./config-file.js";
import { CronTriggers } from "./crons.js";
import { Dispatcher } from "./dispatch.js";
import { WaitUntilTracker } from "./execution-context.js";
import { installWorkersGlobals } from "./globals.js";
import { HostError } from "./host-error.js";
import { closeServer } from "./http-server.js";
import { listenAll } from "./listeners.js";
import { workerProcessEnv } from "./process-env.js";
import {
  type BindingProvider,
  closeProviders,
  createProviders,
  stopProviders,
  withProvidedBindings,
  wrapWorkerFetch,
} from "./project-bindings.js";
import { PROJECT_PARTS } from "./project-parts.js";
import { hostReadiness } from "./readiness.js";
import { __cairnInstall } from "./runtime/cloudflare-workers.js";
import { __cairnSetProcessEnv } from "./runtime/worker-process.js";
import { ctxExports, loopbackHost } from "./services/ctx-exports.js";
import { loadVars } from "./vars.js";
import { watchProject } from "./watch.js";
import { loadWorkerModule, type WorkerModule } from "./worker-module.js";

export type HostOptions = {
  mode: "dev" | "start";
  /** The project folder. */
  dir: string;
  /** A config file other than the project's wrangler.json/jsonc/toml. */
  configPath?: string | undefined;
  /** A wrangler environment (`[env.<name>]`). */
  env?: string | undefined;
  /** Where the database and bundles go. Default: `<dir>/.cairn`. */
  stateDir?: string | undefined;
  /** A storage URL; default `sqlite:<stateDir>/cairn.db`. */
  storage?: string | undefined;
  port?: number | undefined;
  ip?: string | undefined;
  envFile?: string | undefined;
  vars?: string[];
  /** Serve `/__scheduled?cron=…` to fire the scheduled handler by hand. */
  testScheduled?: boolean;
  /** Run `triggers.crons` in this process (default true; off for extra processes on one database). */
  crons?: boolean;
  /** How long shutdown waits for requests, waitUntil work and in-flight attempts. */
  graceMs: number;
  /** Where everything the host prints goes: its own lines, engine errors, instance life and the Worker's console. */
  logger: Logger;
  /** The bearer token the HTTP API asks for; required when the API is reachable beyond loopback. */
  apiToken?: string | undefined;
  /** Host names (besides loopback names and IP addresses) the API answers to. */
  adminHosts?: string[];
  /** `cairn start`: where the admin listener (the HTTP API) listens; `adminPort: false` for none. */
  adminPort?: number | false | undefined;
  adminIp?: string | undefined;
  /** Serve the web dashboard beside the API (default true): dev under /cdn-cgi/local/explorer/, start also at /. */
  dashboard?: boolean | undefined;
  /** `cairn start`: serve /metrics on the admin listener without asking for the API token. */
  metricsWithoutToken?: boolean | undefined;
  /**
   * On PostgreSQL, where this process's Durable Object listener listens (default 127.0.0.1) and
   * the host other processes reach it at (default: that address).
   */
  objectsIp?: string | undefined;
  advertise?: string | undefined;
  /** A name for this process in leases (default: its pid and a random suffix). */
  owner?: string | undefined;
  /** A label added to the name of this process's bundle folder under `<stateDir>/build`. */
  buildSubdir?: string | undefined;
  /**
   * What the metrics route serves instead of this process's own metrics, given a way to read
   * them (worker 1 of `cairn start --workers` adds the other workers').
   */
  gatherMetrics?: ((local: () => Promise<string>) => Promise<string>) | undefined;
  /**
   * Told why start-up failed, before the host closes what it opened (and logs "stopped"); by
   * default the error is logged. The error is thrown from `start` afterwards either way.
   */
  onStartFailed?: ((error: unknown) => void) | undefined;
  /** Told the fields of the ready line instead of it being logged ("ready"). */
  onReady?: ((fields: Record<string, unknown>) => void) | undefined;
};

/** Files that may become part of the bundle; watched for changes while the build is broken. */
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json|txt|html|sql|bin|wasm)$/;

/** A listener's URL as a browser on this machine opens it: localhost for loopback and wildcard addresses. */
function browserUrl(listenerUrl: string): string {
  const url = new URL(listenerUrl);
  const name = url.hostname.replace(/^\[|\]$/g, "");
  if (isLoopbackAddress(name) || name === "0.0.0.0" || name === "::") url.hostname = "localhost";
  return url.origin;
}

/** The path with symlinks resolved (esbuild and the watcher may each see a different one). */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

type Loaded = { config: ProjectConfig; values: Record<string, unknown>; module: WorkerModule };

export class WorkerHost {
  private readonly options: HostOptions;
  private readonly log: Logger;
  private readonly configPath: string;
  private readonly stateDir: string;
  private readonly tracker: WaitUntilTracker;
  private readonly dispatch: Dispatcher;
  private servers: Server[] = [];
  private readonly api: ApiHandler;
  /** healthz and readyz: on the admin listener in start, under /cdn-cgi/cairn/ on the Worker's port in dev. */
  private readonly health: HealthRoutes;
  private adminAddress: string | null = null;
  private loaded: Loaded | null = null;
  private cairn: Cairn<any, any> | null = null;
  /** The parts of the project beyond workflows (assets, Durable Objects, KV, …), made at each open. */
  private providers: BindingProvider[] = [];
  private crons: CronTriggers | null = null;
  private stopWatching: (() => Promise<void>) | null = null;
  private generation = 0;
  private lastFile: string | null = null;
  private lastError: string | null = null;
  /** The project files of the last good build (plus any an error pointed at since). */
  private inputs = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private swapping: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private address = "";
  private restoreConsole: (() => void) | null = null;

  private constructor(options: HostOptions, configPath: string) {
    this.options = options;
    this.log = options.logger;
    this.configPath = configPath;
    this.stateDir = resolve(options.stateDir ?? join(options.dir, ".cairn"));
    this.tracker = new WaitUntilTracker((error) =>
      this.log.error({ err: error }, "waitUntil promise rejected"),
    );
    this.api = createApiHandler({
      target: () => this.cairn,
      scriptName: () => this.loaded?.config.name ?? "worker",
      token: options.apiToken,
      allowedHosts: options.adminHosts ?? [],
      dashboard:
        options.dashboard === false
          ? false
          : { basePaths: options.mode === "dev" ? [DEFAULT_DASHBOARD_BASE] : ["/", DEFAULT_DASHBOARD_BASE] },
      metrics: {
        path: METRICS_PATHS[options.mode],
        withoutToken: options.metricsWithoutToken,
        gather: options.gatherMetrics,
      },
      onError: (error, context) => this.log.error({ context, err: error }, "HTTP API error"),
    });
    this.health = createHealthRoutes({
      basePath: options.mode === "dev" ? "/cdn-cgi/cairn" : "",
      guard: new RequestGuard({ allowedHosts: options.adminHosts ?? [] }),
      readiness: () =>
        hostReadiness({
          closing: this.closing !== null,
          swapping: this.swapping !== null,
          cairn: this.cairn,
          buildError: this.lastError,
        }),
    });
    this.dispatch = new Dispatcher({
      api: options.mode === "dev" ? this.api : undefined,
      health: options.mode === "dev" ? this.health : undefined,
      mode: options.mode,
      testScheduled: options.testScheduled ?? false,
      tracker: this.tracker,
      log: this.log,
      current: () =>
        this.loaded && this.cairn
          ? {
              module: this.loaded.module,
              env: this.cairn.env,
              wrap: (worker) => wrapWorkerFetch(this.providers, worker),
            }
          : null,
      buildError: () => this.lastError,
      swapping: () => this.swapping,
    });
  }

  /** Loads the project and serves it; throws HostError for a project that cannot start. */
  static async start(options: HostOptions): Promise<WorkerHost> {
    installWorkersGlobals();
    process.setSourceMapsEnabled(true);
    const configPath = findConfigFile(resolve(options.dir), options.configPath);
    const host = new WorkerHost(options, configPath);
    host.restoreConsole = captureConsole(options.logger);
    try {
      await host.boot();
    } catch (error) {
      // Why it failed comes out first: closing logs "stopped", which must not read as the cause.
      if (options.onStartFailed) options.onStartFailed(error);
      else host.log.error({ err: error }, "start failed");
      await host
        .close()
        .catch((closing) => host.log.error({ err: closing }, "closing after a failed start failed"));
      throw error;
    }
    return host;
  }

  private async boot(): Promise<void> {
    const { config, values } = this.readConfig();
    this.log.info(
      {
        config: this.configPath,
        main: config.main,
        workflows: config.workflows.map((w) => `${w.binding} → ${w.name} (${w.className})`),
      },
      "config loaded",
    );
    for (const key of config.ignored) this.log.warn({ key }, "config key ignored: Cairn does not use it");
    mkdirSync(this.stateDir, { recursive: true });
    writeFileSync(join(this.stateDir, ".gitignore"), "*\n");
    removeDeadBuildFolders(join(this.stateDir, "build"));
    const module = await this.build(config, values);
    if (module) await this.open({ config, values, module });
    else if (this.options.mode === "start")
      throw new HostError("build.failed", this.lastError ?? "build failed");
    const port = this.options.port ?? config.dev.port ?? 8787;
    const ip = this.options.ip ?? config.dev.ip ?? "127.0.0.1";
    const admin = this.adminListener();
    this.requireTokenBeyondLoopback(ip, admin);
    const worker = await listenAll(
      (request) => this.dispatch.handle(request),
      port,
      ip,
      this.log,
      "--port or --ip",
    );
    this.servers.push(...worker.servers);
    this.address = worker.url;
    if (admin) {
      const listening = await listenAll(
        async (request) => {
          if (this.health.handles(request)) return this.health.fetch(request);
          await this.swapping;
          return this.api.fetch(request);
        },
        admin.port,
        admin.ip,
        this.log,
        "--admin-port or --admin-ip",
      );
      this.servers.push(...listening.servers);
      this.adminAddress = listening.url;
    }
    if (this.options.mode === "dev") {
      this.stopWatching = await watchProject(
        config.dir,
        [this.stateDir],
        (paths) => this.enqueueReload(paths),
        (error) => this.log.error({ err: error }, "watching failed"),
      );
    }
    const ready = {
      url: this.url,
      ...(this.adminAddress ? { admin: this.adminAddress } : {}),
      // `cairn start` serves the API on the admin listener only: with none, it is not served here.
      ...(this.adminAddress || this.options.mode === "dev"
        ? { api: `${this.adminAddress ?? this.url}/client/v4/accounts/local/workflows` }
        : {}),
      ...(this.dashboardUrl ? { dashboard: this.dashboardUrl } : {}),
      state: this.stateDir,
    };
    if (this.options.onReady) this.options.onReady(ready);
    else this.log.info(ready, "ready");
  }

  /** This process's metrics: its Cairn's exposition text. */
  async metrics(): Promise<string> {
    await this.swapping;
    if (!this.cairn) throw new HostError("metrics.unavailable", "no Cairn is open in this process");
    return this.cairn.metrics();
  }

  /** Where a browser on this machine opens the dashboard, if it is served. */
  get dashboardUrl(): string | null {
    if (this.options.dashboard === false) return null;
    if (this.options.mode === "dev") return `${browserUrl(this.url)}${DEFAULT_DASHBOARD_BASE}`;
    return this.adminAddress ? `${browserUrl(this.adminAddress)}/` : null;
  }

  /** Where the Worker is served, e.g. http://127.0.0.1:8787. */
  get url(): string {
    return this.address;
  }

  /** `cairn start`: where the HTTP API is served (the admin listener), if anywhere. */
  get adminUrl(): string | null {
    return this.adminAddress;
  }

  /** Where `cairn start` serves the API: --admin-port on --admin-ip; none in dev or with --no-admin. */
  private adminListener(): { port: number; ip: string } | null {
    if (this.options.mode !== "start" || this.options.adminPort === false) return null;
    return { port: this.options.adminPort ?? 8788, ip: this.options.adminIp ?? "127.0.0.1" };
  }

  /** The API controls every instance: reachable from other machines, it must ask for a token. */
  private requireTokenBeyondLoopback(ip: string, admin: { port: number; ip: string } | null): void {
    if (this.options.apiToken) return;
    const exposed = this.options.mode === "dev" ? ip : admin?.ip;
    if (exposed === undefined || isLoopbackAddress(exposed)) return;
    const flag = this.options.mode === "dev" ? `--ip ${exposed}` : `--admin-ip ${exposed}`;
    throw new HostError(
      "api.token_required",
      `${flag} makes the HTTP API reachable from other machines; set a token with --api-token or CAIRN_API_TOKEN (or listen on 127.0.0.1)`,
    );
  }

  /** A folder of this process's own for its bundles (see build-folder.ts), removed when it stops. */
  private get buildFolder(): string {
    return join(this.stateDir, "build", processBuildFolder(this.options.buildSubdir));
  }

  private get buildDir(): string {
    const dir = this.buildFolder;
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private readConfig(): { config: ProjectConfig; values: Record<string, unknown> } {
    const config = loadProjectConfig(this.configPath, this.options.env);
    const { values, files, secrets } = loadVars(config, {
      devVars: this.options.mode === "dev",
      env: this.options.env,
      envFile: this.options.envFile,
      vars: this.options.vars ?? [],
    });
    if (files.length > 0) this.log.info({ files, names: secrets }, "secrets loaded");
    return { config, values };
  }

  /** Bundles and loads the entry; on failure logs it, remembers it, and returns null. */
  private async build(config: ProjectConfig, values: Record<string, unknown>): Promise<WorkerModule | null> {
    this.generation += 1;
    const result = await bundleWorker(config, this.buildDir, this.generation);
    if (!result.ok) {
      for (const file of result.files) this.inputs.add(real(file));
      return this.buildFailed(result.message);
    }
    this.inputs = new Set(result.inputs.map(real));
    for (const warning of result.warnings) this.log.warn({ warning }, "build warning");
    // Top-level code may read `env` from "cloudflare:workers"; before the engine opens it has the vars.
    if (!this.cairn) __cairnInstall({ env: { ...values }, waitUntil: (p) => this.tracker.track(p) });
    __cairnSetProcessEnv(workerProcessEnv(config.compatibility, values));
    try {
      const module = await loadWorkerModule(result.file, config);
      if (this.lastFile) rmSync(this.lastFile, { force: true });
      this.lastFile = result.file;
      this.lastError = null;
      return module;
    } catch (error) {
      rmSync(result.file, { force: true });
      if (error instanceof HostError) return this.buildFailed(error.message);
      throw error;
    }
  }

  private buildFailed(message: string): null {
    this.lastError = message;
    const still = this.loaded ? "; still serving the last good build" : "";
    this.log.error({ error: message }, `build failed${still}`);
    return null;
  }

  /** The storage URL; the SQLite store makes its file's folder (or fails naming the path). */
  private storage(): string {
    return this.options.storage ?? `sqlite:${join(this.stateDir, "cairn.db")}`;
  }

  /** Opens Cairn on the loaded project and starts its crons. */
  private async open(loaded: Loaded): Promise<void> {
    const { config, values, module } = loaded;
    const workflows = Object.fromEntries(
      config.workflows.map((w) => [
        w.binding,
        {
          name: w.name,
          class: module.classes[w.binding]!,
          ...(w.stepLimit ? { limits: { steps: w.stepLimit } } : {}),
          ...(w.schedules.length ? { schedules: w.schedules } : {}),
        },
      ]),
    );
    const owner = this.options.owner ?? `cairn-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.providers = await createProviders(PROJECT_PARTS, {
      config,
      mode: this.options.mode,
      stateDir: this.stateDir,
      storageUrl: this.storage(),
      owner,
      apiToken: this.options.apiToken,
      durableObjects: { ip: this.options.objectsIp, advertise: this.options.advertise },
      log: this.log,
      tracker: this.tracker,
      module: () => this.loaded?.module ?? module,
      env: () => (this.cairn?.env as Record<string, unknown> | undefined) ?? values,
    });
    const env = withProvidedBindings(
      values,
      config.workflows.map((w) => w.binding),
      this.providers,
      config.path,
    );
    this.cairn = await Cairn.open({
      storage: this.storage(),
      workflows,
      env,
      shutdownGraceMs: this.options.graceMs,
      owner,
      logger: this.log,
      observers: [
        instanceContextObserver(),
        lifecycleLogObserver(
          this.log,
          this.options.mode === "dev" ? DEV_LIFECYCLE_LEVELS : START_LIFECYCLE_LEVELS,
        ),
      ],
    });
    this.loaded = loaded;
    const cairn = this.cairn;
    const exportsHost = loopbackHost(
      () => this.loaded?.module ?? module,
      () => cairn.env,
      this.tracker,
    );
    __cairnInstall({
      env: cairn.env,
      waitUntil: (p) => this.tracker.track(p),
      exports: () => ctxExports(exportsHost, this.loaded?.module ?? module),
    });
    for (const provider of this.providers) await provider.start?.();
    const crons = this.options.crons === false ? [] : config.crons;
    this.crons = new CronTriggers(crons, (cron, time) => void this.dispatch.scheduled(cron, time));
    for (const { cron, next } of this.crons.nextRuns()) this.log.info({ cron, next }, "cron trigger");
  }

  private async closeCairn(): Promise<void> {
    this.crons?.stop();
    this.crons = null;
    await stopProviders(this.providers, this.log);
    await this.tracker.settle(this.options.graceMs);
    await this.cairn?.close();
    this.cairn = null;
    await closeProviders(this.providers, this.log);
    this.providers = [];
  }

  /** A change that can alter the Worker: its sources, config or secrets, not e.g. a log file. */
  private relevant(path: string): boolean {
    if (this.inputs.has(real(path)) || this.isConfigFile(path)) return true;
    return this.lastError !== null && SOURCE_FILE.test(path);
  }

  private isConfigFile(path: string): boolean {
    if (path === this.configPath) return true;
    if (this.options.envFile && path === resolve(this.options.envFile)) return true;
    return /(^|[/\\])\.(dev\.vars|env)(\.[^/\\]*)?$/.test(path);
  }

  private enqueueReload(changed: string[]): void {
    const paths = changed.filter((p) => this.relevant(p));
    if (paths.length === 0) return;
    this.queue = this.queue
      .then(() => this.reload(paths))
      .catch((error) => this.log.error({ err: error }, "reload failed"));
  }

  /** Rebuilds after a change; a config or secrets change reopens Cairn, a source change swaps classes. */
  private async reload(paths: string[]): Promise<void> {
    if (this.closing) return;
    const reconfigure = paths.some((p) => this.isConfigFile(p));
    this.log.info({ paths }, reconfigure ? "config changed, restarting" : "change detected, rebuilding");
    let next: { config: ProjectConfig; values: Record<string, unknown> };
    try {
      next = reconfigure || !this.loaded ? this.readConfig() : this.loaded;
    } catch (error) {
      this.log.error({ error: (error as Error).message }, "config error; still serving the last good build");
      return;
    }
    const module = await this.build(next.config, next.values);
    if (!module || this.closing) return;
    if (this.cairn && !reconfigure) {
      this.cairn.engine.replaceClasses(module.classes);
      this.loaded = { ...next, module };
      for (const provider of this.providers) provider.reloaded?.(module);
      this.log.info({ generation: this.generation }, "reloaded");
      return;
    }
    let done!: () => void;
    this.swapping = new Promise((resolve) => {
      done = resolve;
    });
    try {
      await this.closeCairn();
      await this.open({ ...next, module });
      this.log.info({ generation: this.generation, restarted: true }, "reloaded");
    } finally {
      this.swapping = null;
      done();
    }
  }

  /** Stops taking work, lets requests, waitUntil work and in-flight attempts finish, closes storage. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stopWatching?.();
      await this.queue;
      this.crons?.stop();
      const servers = this.servers;
      this.servers = [];
      const timer = setTimeout(() => {
        for (const server of servers) server.closeAllConnections();
      }, this.options.graceMs);
      await Promise.all(servers.map((server) => closeServer(server)));
      clearTimeout(timer);
      await this.closeCairn();
      rmSync(this.buildFolder, { recursive: true, force: true });
      this.log.info("stopped");
      this.restoreConsole?.();
    })();
    return this.closing;
  }
}
