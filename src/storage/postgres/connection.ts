// Where a PostgreSQL store connects: a `postgres://` URL (optionally with `?schema=`), a `pg`
// config object, or a `pg` Pool the caller owns. Builds the pool Cairn uses, validates the schema
// name, and makes the table names that every statement of the adapter is written against.

import pg from "pg";
import { WorkflowsError } from "../../errors.js";
import { isPool, type PostgresConfig, type PostgresTarget } from "./target.js";

/** The schema Cairn's tables live in unless told otherwise. */
export const DEFAULT_SCHEMA = "cairn";
/** Connections in the pool Cairn creates unless told otherwise. */
export const DEFAULT_POOL_SIZE = 10;
/** Leaves room in a 63-byte identifier for the notification channel's prefix. */
const MAX_SCHEMA_LENGTH = 48;

/** Returns `name` if it is a usable schema name; throws `storage.invalid_url` otherwise. */
export function validateSchema(name: unknown): string {
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > MAX_SCHEMA_LENGTH) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `the PostgreSQL schema must be 1 to ${MAX_SCHEMA_LENGTH} letters, digits or underscores, not starting with a digit; got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** Splits Cairn's own `schema` query parameter off a URL; the rest goes to the driver. */
export function splitUrl(url: string): { url: string; schema: string | null } {
  const at = url.indexOf("?");
  if (at < 0) return { url, schema: null };
  const params = new URLSearchParams(url.slice(at + 1));
  const schema = params.get("schema");
  params.delete("schema");
  const rest = params.toString();
  return { url: url.slice(0, at) + (rest ? `?${rest}` : ""), schema };
}

/** A URL with the password hidden, for error messages. */
export function describeTarget(target: PostgresTarget): string {
  if (typeof target === "string") return target.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
  if (isPool(target)) return "the given pg Pool";
  const c = target as PostgresConfig;
  if (c.connectionString) return describeTarget(c.connectionString);
  return `${c.host ?? "localhost"}:${c.port ?? 5432}/${c.database ?? ""}`;
}

/** A pool, whether Cairn created it (and so ends it), and the schema it works in. */
export type Connection = { pool: pg.Pool; owned: boolean; schema: string };

/**
 * The pool to use. A pool Cairn creates is sized by `poolSize` and keeps TCP keepalive on so a
 * vanished server is noticed; a caller's pool is used as it is and never ended by Cairn.
 */
export function connect(target: PostgresTarget, options: { schema?: string; poolSize?: number }): Connection {
  let schema = options.schema ?? null;
  let pool: pg.Pool;
  let owned = true;
  if (isPool(target)) {
    pool = target as unknown as pg.Pool;
    owned = false;
    const max = (pool as { options?: { max?: number } }).options?.max;
    // One connection stays in LISTEN; with fewer than two, no query could ever run.
    if (typeof max === "number" && max < 2) {
      throw new WorkflowsError(
        "storage.invalid_url",
        `the pg Pool needs max >= 2 (3 or more advised), got ${max}`,
      );
    }
  } else {
    let config: pg.PoolConfig;
    if (typeof target === "string") {
      const split = splitUrl(target);
      schema ??= split.schema;
      config = { connectionString: split.url };
    } else {
      config = { ...(target as pg.PoolConfig) };
      if (config.connectionString) {
        const split = splitUrl(config.connectionString);
        schema ??= split.schema;
        config.connectionString = split.url;
      }
    }
    pool = new pg.Pool({
      keepAlive: true,
      // Bounds both a new connection and the wait for a free one; past it the call fails as
      // unavailable and the instance is replayed, so it is kept well above a busy pool's waits.
      connectionTimeoutMillis: 30_000,
      idleTimeoutMillis: 30_000,
      ...config,
      max: options.poolSize ?? config.max ?? DEFAULT_POOL_SIZE,
    });
  }
  // An idle connection dropped by the server emits "error" on the pool; without a listener Node
  // would crash the process. The pool already discards that connection, so there is nothing to do.
  if (pool.listenerCount("error") === 0) pool.on("error", () => {});
  return { pool, owned, schema: validateSchema(schema ?? DEFAULT_SCHEMA) };
}

/** Schema-qualified table names, quoted, for the SQL of one store. */
export type Tables = {
  schema: string;
  instances: string;
  steps: string;
  events: string;
  log: string;
  chunks: string;
  marks: string;
  migrations: string;
};

/** The schema-qualified table names the statements are written against. */
export function tables(schema: string): Tables {
  const q = `"${schema}"`;
  return {
    schema: q,
    instances: `${q}.instances`,
    steps: `${q}.steps`,
    events: `${q}.events`,
    log: `${q}.log`,
    chunks: `${q}.stream_chunks`,
    marks: `${q}.schedule_marks`,
    migrations: `${q}.schema_migrations`,
  };
}
