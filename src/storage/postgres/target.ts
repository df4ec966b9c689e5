// Recognises what names a PostgreSQL store in the `storage` option, without loading the driver:
// a `postgres://` URL, a `pg` Pool (duck-typed, so a Pool from another copy of `pg` counts), or a
// `pg` config object. open-store.ts uses it to pick the adapter before importing it.

/**
 * The parts of a `pg` Pool that identify one (any `pg.Pool` has them). Declared here so that the
 * public types do not require `@types/pg`.
 */
export interface PostgresPool {
  connect(): Promise<unknown>;
  query(...args: any[]): Promise<unknown>;
  end(): Promise<void>;
  readonly totalCount: number;
}

/** A `pg` PoolConfig: `connectionString` or host, port, database, user, password, ssl, max, … */
export type PostgresConfig = {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string | (() => string | Promise<string>);
  ssl?: unknown;
  max?: number;
  [setting: string]: unknown;
};

/** A `postgres://` URL (optionally with `?schema=`), a `pg` config object, or a `pg` Pool you own. */
export type PostgresTarget = string | PostgresPool | PostgresConfig;

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** A `pg` Pool, recognised by shape so that a Pool from another copy of `pg` counts. */
export function isPool(value: unknown): value is PostgresPool {
  const v = value as Partial<PostgresPool> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.connect === "function" &&
    typeof v.query === "function" &&
    typeof v.end === "function" &&
    "totalCount" in v
  );
}

const CONFIG_KEYS = ["connectionString", "host", "database", "user", "port", "password", "ssl"];

/** A plain object with at least one connection setting of `pg`. */
export function isPoolConfig(value: unknown): value is PostgresConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value) || isPool(value)) return false;
  return CONFIG_KEYS.some((k) => k in value);
}
