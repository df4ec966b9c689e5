// Whose clock judges leases on PostgreSQL. Many processes share one database and each has its own
// wall clock; if each judged expiry by its own, one running ahead would take leases that are
// still renewed and one running behind would keep dead ones. So by default a lease is set, renewed
// and tested against the database server's clock: `lease_expires_at` is the server's time (ms
// since the epoch) plus the lease's duration, and only durations come from the caller.
//
// The server's time is `statement_timestamp()`: the same value everywhere in one statement (the
// test and the new expiry agree), read when the statement arrives rather than when its
// transaction began, and stable, so the lease index still serves `lease_expires_at <= now`.
//
// "caller" judges leases by the `now` the engine passes, as a single clock for every process
// would: for tests that move leases with a FakeClock, never for processes with separate clocks.

/** The database server's time, in ms since the epoch, as SQL. */
export const SERVER_NOW_MS = "(extract(epoch from statement_timestamp()) * 1000)::bigint";

/** Which clock leases follow: the database server's (default) or the caller's `now`. */
export type LeaseClock = "server" | "caller";

/** Builds the lease clock's `now` into statements, and the parameters that go with it. */
export class LeaseTime {
  readonly clock: LeaseClock;

  constructor(clock: LeaseClock = "server") {
    this.clock = clock;
  }

  /** The lease clock's now as SQL; with the caller's clock, parameter `$n` holds it. */
  now(n: number): string {
    return this.clock === "server" ? SERVER_NOW_MS : `$${n}::bigint`;
  }

  /** The parameters to append after a statement's own: the caller's now, or none. */
  args(now: number): number[] {
    return this.clock === "server" ? [] : [now];
  }
}
