// What a store reports about its own work to whoever watches it (the metrics), so that storage
// code needs no metrics library: SQLite's group commits with their duration and size, and each
// statement PostgreSQL is sent. A store calls these on its hot paths: they must be cheap and
// must not throw.

/** Hears a store's commits and round trips. Every method is optional. */
export interface StoreObserver {
  /** SQLite: one group commit on the writer thread, how long it took (ms) and how many writes it carried. */
  committed?(durationMs: number, writes: number): void;
  /** PostgreSQL: one statement sent to the server (each statement of a transaction counts). */
  roundTrip?(): void;
}

/** A connection pool's use at one moment (PostgreSQL). */
export type PoolUse = {
  /** Connections open, busy or idle (the one kept for LISTEN included). */
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** The most connections the pool opens. */
  max: number;
};
