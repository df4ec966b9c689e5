// What `cairn dev` and `cairn start` share: the options that describe the project and where it
// serves, turning them into HostOptions, and the process around a WorkerHost (start-up errors
// printed plainly with a non-zero exit, graceful shutdown on SIGTERM and SIGINT), and the logger
// both write to, at the level --log-level or CAIRN_LOG_LEVEL chose. With `cairn start --workers N`
// (N > 1) the process becomes the supervisor of N cluster workers, each of which runs the host.

import { type Command, InvalidArgumentError } from "commander";
import { readableMessage, WorkflowsError } from "../errors.js";
import { Supervisor } from "../host/cluster/supervisor.js";
import { clusterWorkerIndex, WorkerLink } from "../host/cluster/worker-link.js";
import { HostError } from "../host/host-error.js";
import { type HostOptions, WorkerHost } from "../host/worker-host.js";
import { LOG_LEVELS, type LogLevel, parseLogLevel } from "../observability/log-types.js";
import { createLogger, defaultLogFormat, type LogFormat } from "../observability/logger.js";
import { flushTraces } from "../observability/tracing/flush-traces.js";
import { isPostgresUrl } from "../storage/postgres/target.js";

/** How long exiting waits for a tracing SDK to export the spans it still holds. */
const TRACE_FLUSH_MS = 5000;
/** The most worker processes `cairn start --workers` runs. */
export const MAX_WORKERS = 64;
export type HostCommandOptions = {
  config?: string;
  env?: string;
  port?: number;
  ip?: string;
  state?: string;
  storage?: string;
  envFile?: string;
  var: string[];
  grace: number;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
  testScheduled?: boolean;
  crons: boolean;
  debug?: boolean;
  apiToken?: string;
  adminHost: string[];
  adminPort?: number;
  adminIp?: string;
  admin?: boolean;
  dashboard: boolean;
  metricsWithoutToken?: boolean;
  workers?: number;
  objectsIp?: string;
  advertise?: string;
};

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds");
  return n;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1 || n > MAX_WORKERS)
    throw new InvalidArgumentError(`expected a number of worker processes from 1 to ${MAX_WORKERS}`);
  return n;
}

function logFormat(value: string): LogFormat {
  if (value !== "json" && value !== "pretty") throw new InvalidArgumentError('expected "json" or "pretty"');
  return value;
}

const ACCEPTED_LEVELS = LOG_LEVELS.join(", ");

function logLevel(value: string): LogLevel {
  const level = parseLogLevel(value);
  if (!level) throw new InvalidArgumentError(`expected one of ${ACCEPTED_LEVELS}`);
  return level;
}

/**
 * The level lines are written at: --log-level, else the deprecated --debug, else
 * CAIRN_LOG_LEVEL, else info. A CAIRN_LOG_LEVEL naming no level is a start-up error.
 */
function chosenLogLevel(options: HostCommandOptions): LogLevel {
  if (options.logLevel) return options.logLevel;
  if (options.debug) return "debug";
  const fromEnv = process.env.CAIRN_LOG_LEVEL;
  if (!fromEnv) return "info";
  const level = parseLogLevel(fromEnv);
  if (!level) {
    throw new HostError(
      "log.invalid_level",
      `CAIRN_LOG_LEVEL is "${fromEnv}", which is not a log level; expected one of ${ACCEPTED_LEVELS}`,
    );
  }
  return level;
}

/** Several processes on one store need PostgreSQL: the SQLite store has one writer per file. */
function requireSharedStorage(options: HostCommandOptions): void {
  const workers = options.workers ?? 1;
  if (workers === 1 || (options.storage !== undefined && isPostgresUrl(options.storage))) return;
  const storage = options.storage ?? "sqlite:<state>/cairn.db (the default)";
  throw new HostError(
    "workers.needs_postgres",
    `--workers ${workers} needs PostgreSQL storage (--storage postgres://…), but the storage is ${storage}: the SQLite store has one writer per file, so run one process on it (--workers 1)`,
  );
}

/**
 * Prints why the host could not start (a known error as its message, else the stack) and exits 1.
 * `worker`: the cluster worker that could not, if this is one.
 */
function startFailed(mode: HostOptions["mode"], error: unknown, worker?: number): never {
  printStartFailure(mode, error, worker);
  process.exit(1);
}

/** Prints why the host could not start: a known error as its message, else the stack. */
function printStartFailure(mode: HostOptions["mode"], error: unknown, worker?: number): void {
  const known = error instanceof HostError || WorkflowsError.is(error);
  const text = known
    ? readableMessage(error as Error)
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
  process.stderr.write(`cairn ${mode}${worker ? ` (worker ${worker})` : ""}: ${text}\n`);
}

/** Adds the options both commands take; `graceSeconds` is the command's default grace period. */
export function addHostOptions(command: Command, graceSeconds: number): Command {
  return command
    .argument("[dir]", "the project folder (holding wrangler.jsonc, wrangler.json or wrangler.toml)", ".")
    .option("-c, --config <file>", "the wrangler config file, if not in the project folder")
    .option("-e, --env <name>", "a wrangler environment: use the [env.<name>] section of the config")
    .option("--port <port>", "port to listen on; 0 picks a free one (default: dev.port or 8787)", port)
    .option("--ip <address>", "address to listen on (default: dev.ip or 127.0.0.1)")
    .option(
      "--state <dir>",
      "folder for Cairn's database, build output and the project's state (Durable Objects, D1, R2; default: <dir>/.cairn)",
    )
    .option(
      "--storage <url>",
      "storage URL: sqlite:<path> or postgres://… (default: sqlite:<state>/cairn.db)",
    )
    .option("--env-file <file>", "a dotenv file of secrets to add to env")
    .option(
      "--var <NAME:VALUE>",
      "a var to add to env (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option("--grace <seconds>", "how long shutdown waits for in-flight work", seconds, graceSeconds)
    .option(
      "--log-format <format>",
      "json or pretty (default: pretty on a terminal, json otherwise)",
      logFormat,
    )
    .option("--test-scheduled", "serve /__scheduled?cron=… to run the scheduled handler by hand")
    .option("--no-crons", "do not run triggers.crons here (extra processes sharing one database)")
    .option(
      "--log-level <level>",
      `the least severe lines written: ${ACCEPTED_LEVELS} (default: $CAIRN_LOG_LEVEL, else info)`,
      logLevel,
    )
    .option("--debug", "deprecated: the same as --log-level debug")
    .option(
      "--api-token <token>",
      "bearer token the HTTP API asks for (default: $CAIRN_API_TOKEN); required beyond loopback",
    )
    .option(
      "--admin-host <name>",
      "a host name the HTTP API answers to besides localhost and IP addresses (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      "--no-dashboard",
      "do not serve the web dashboard (dev: /cdn-cgi/local/explorer/; start: / on the admin listener)",
    );
}

/** `cairn start`'s admin listener, where the HTTP API is served apart from the Worker. */
export function addAdminOptions(command: Command): Command {
  return command
    .option("--admin-port <port>", "port of the admin listener serving the HTTP API (default: 8788)", port)
    .option("--admin-ip <address>", "address of the admin listener (default: 127.0.0.1)")
    .option("--no-admin", "serve no HTTP API from this process (extra workers on one database)")
    .option(
      "--metrics-without-token",
      "serve /metrics on the admin listener without asking for the API token",
    )
    .option(
      "--objects-ip <address>",
      "on PostgreSQL, address of this process's listener for Durable Object calls forwarded by other processes (default: 127.0.0.1)",
    )
    .option(
      "--advertise <host>",
      "on PostgreSQL, the host name or IP other processes reach this one's Durable Object listener at (default: --objects-ip)",
    );
}

/** `cairn start --workers N`: N processes (a supervisor's cluster workers) on one PostgreSQL store. */
export function addWorkersOption(command: Command): Command {
  return command.option(
    "--workers <n>",
    `worker processes sharing the Worker's port, 1 to ${MAX_WORKERS}; more than 1 needs PostgreSQL storage (default: 1)`,
    workerCount,
  );
}

/** Starts a WorkerHost and keeps the process running until SIGTERM or SIGINT. */
export async function runHost(
  mode: HostOptions["mode"],
  dir: string,
  options: HostCommandOptions,
): Promise<void> {
  const workers = options.workers ?? 1;
  // In a worker process of `--workers N`, its number; null in a single process or the supervisor.
  const index = workers > 1 ? clusterWorkerIndex() : null;
  let level: LogLevel;
  try {
    level = chosenLogLevel(options);
    requireSharedStorage(options);
  } catch (error) {
    startFailed(mode, error, index ?? undefined);
  }
  const base = createLogger({ format: options.logFormat ?? defaultLogFormat(), level });
  if (options.debug && index === null) {
    base.warn("--debug is deprecated: use --log-level debug (or CAIRN_LOG_LEVEL=debug)");
  }
  if (workers > 1 && index === null) {
    Supervisor.run({ workers, graceMs: Math.round(options.grace * 1000), log: base });
    return;
  }
  const logger = index === null ? base : base.child({ worker: index });
  const link = index === null ? null : new WorkerLink(index, workers);
  let readyFields: Record<string, unknown> = {};
  let host: WorkerHost;
  // The host reports a failed start before it closes (and logs "stopped"), so the cause comes first.
  let reported = false;
  try {
    host = await WorkerHost.start({
      mode,
      dir,
      configPath: options.config,
      env: options.env,
      stateDir: options.state,
      storage: options.storage,
      port: options.port,
      ip: options.ip,
      envFile: options.envFile,
      vars: options.var,
      testScheduled: options.testScheduled ?? false,
      // Worker 1 of `--workers N` runs the crons and the admin listener; the others neither.
      crons: index !== null && index > 1 ? false : options.crons,
      graceMs: Math.round(options.grace * 1000),
      logger,
      apiToken: options.apiToken ?? (process.env.CAIRN_API_TOKEN || undefined),
      adminHosts: options.adminHost,
      adminPort: options.admin === false || (index !== null && index > 1) ? false : options.adminPort,
      adminIp: options.adminIp,
      dashboard: options.dashboard,
      metricsWithoutToken: options.metricsWithoutToken ?? false,
      objectsIp: options.objectsIp,
      advertise: options.advertise,
      onStartFailed: (error) => {
        reported = true;
        printStartFailure(mode, error, index ?? undefined);
      },
      ...(link
        ? {
            owner: `cairn-worker${link.index}-${process.pid}`,
            buildSubdir: `worker-${link.index}`,
            gatherMetrics: link.index === 1 ? (local) => link.gatherMetrics(local) : undefined,
            onReady: (fields) => {
              readyFields = fields;
              logger.info({ ...fields, pid: process.pid }, "worker ready");
            },
          }
        : {}),
    });
  } catch (error) {
    if (reported) process.exit(1);
    startFailed(mode, error, index ?? undefined);
  }
  link?.serveMetrics(() => host.metrics());
  link?.ready(readyFields);
  // As in a Worker, a promise the code forgot to handle is reported and the server keeps serving.
  process.on("unhandledRejection", (error) => logger.error({ err: error }, "unhandled rejection"));
  process.on("uncaughtException", (error) => logger.error({ err: error }, "uncaught exception"));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A worker of `--workers N` is stopped by its supervisor, which kills it on a second signal;
    // a terminal's Ctrl-C reaches both, so a signal after the first means nothing more here.
    if (stopping && link) return;
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceSeconds: options.grace }, "shutting down");
    // The spans an SDK still holds go out before the process ends (bounded: an exporter that
    // cannot reach its collector does not hold up the exit).
    host.close().then(
      () => flushTraces(TRACE_FLUSH_MS).then(() => process.exit(0)),
      (error) => {
        logger.error({ err: error }, "shutdown failed");
        void flushTraces(TRACE_FLUSH_MS).then(() => process.exit(1));
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
