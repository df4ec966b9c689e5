// What the store reports about its own work, as metrics of this process: SQLite's group commits
// (duration and writes per commit) and PostgreSQL's round trips as they happen, and the
// PostgreSQL pool's connections read at scrape time. A store without these hooks (a custom
// Store) simply shows none of them.

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { PoolUse, StoreObserver } from "../../storage/store-observer.js";
import type { Store } from "../../storage/types.js";
import { COMMIT_SECONDS, COMMIT_WRITES } from "./buckets.js";

/** Registers the store's metrics on `registry` and starts hearing `store`. */
export function observeStore(registry: Registry, store: Store): void {
  const registers = [registry];
  const observer: StoreObserver = {};
  // SQLite has a writer thread and no pool; PostgreSQL a pool and no group commit.
  if (store.capabilities.singleProcess) {
    const seconds = new Histogram({
      name: "cairn_sqlite_commit_duration_seconds",
      help: "How long one group commit took on the SQLite writer thread (its writes and the sync).",
      buckets: COMMIT_SECONDS,
      registers,
    });
    const writes = new Histogram({
      name: "cairn_sqlite_commit_writes",
      help: "Writes (store transitions) one SQLite group commit carried.",
      buckets: COMMIT_WRITES,
      registers,
    });
    observer.committed = (durationMs, n) => {
      seconds.observe(durationMs / 1000);
      writes.observe(n);
    };
  }
  if (store.poolUse) {
    const roundTrips = new Counter({
      name: "cairn_postgres_round_trips_total",
      help: "Statements this process sent to PostgreSQL (each statement of a transaction counts).",
      registers,
    });
    observer.roundTrip = () => roundTrips.inc();
    poolGauges(registers, () => store.poolUse!());
  }
  store.observe?.(observer);
}

/** The pool's connections, read at each scrape (a few property reads). */
function poolGauges(registers: Registry[], read: () => PoolUse): void {
  const gauge = (name: string, help: string, pick: (u: PoolUse) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(read()));
      },
    });
  gauge(
    "cairn_postgres_pool_connections",
    "Connections the PostgreSQL pool holds open (busy or idle).",
    (u) => u.total,
  );
  gauge("cairn_postgres_pool_idle_connections", "Open pool connections not in use.", (u) => u.idle);
  gauge("cairn_postgres_pool_waiting_requests", "Callers waiting for a pool connection.", (u) => u.waiting);
  gauge("cairn_postgres_pool_max_connections", "The most connections the pool opens.", (u) => u.max);
}
