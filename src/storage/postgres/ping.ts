// The PostgreSQL store's ping, for health checks: one small read of the schema version with a
// bound on its time. A server that hangs (or a pool whose connections are all busy) makes the
// ping fail as `storage.unavailable` once the bound is over, instead of holding the probe; the
// driver's own read timeout then throws that connection away, so it is not reused half-read.

import type pg from "pg";
import { WorkflowsError } from "../../errors.js";
import type { StorePing } from "../types.js";
import type { Tables } from "./connection.js";
import { translateError } from "./errors.js";
import { LATEST_VERSION } from "./migrations.js";

/** Reads the schema version within `timeoutMs`; rejects with `storage.unavailable` past it. */
export async function pingPostgres(pool: pg.Pool, t: Tables, timeoutMs: number): Promise<StorePing> {
  // The driver reads `query_timeout` from a query's config; its type declarations leave it out.
  const config: pg.QueryConfig & { query_timeout: number } = {
    text: `SELECT max(version) AS v FROM ${t.migrations}`,
    query_timeout: timeoutMs,
  };
  const query = pool.query<{ v: number | null }>(config);
  // The query may still fail after the bound has answered; that failure is already reported.
  query.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WorkflowsError(
            "storage.unavailable",
            `PostgreSQL did not answer a ping within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const { rows } = await Promise.race([query, late]);
    return { schemaVersion: Number(rows[0]?.v ?? 0), expectedSchemaVersion: LATEST_VERSION };
  } catch (error) {
    if (error instanceof Error && error.message === "Query read timeout") {
      throw new WorkflowsError(
        "storage.unavailable",
        `PostgreSQL did not answer a ping within ${timeoutMs} ms`,
        { cause: error },
      );
    }
    throw translateError(error, "a health check's ping");
  } finally {
    clearTimeout(timer);
  }
}
