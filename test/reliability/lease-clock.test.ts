// Leases on a shared PostgreSQL follow the database server's clock, not each process's own: two
// processes whose wall clocks are an hour apart either way share one database, and the one
// ahead never takes an instance the other holds and renews, while the one behind takes over a
// holder that stopped renewing as soon as the lease runs out on the server's clock.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OffsetClock } from "../helpers/offset-clock.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

type Env = { NAME: string; RAN: string[]; KEEP: boolean };

/** What lets a held step go on, by process name. */
const releases = new Map<string, () => void>();

/** The step hangs in a process whose env says KEEP (until released), and names who ran it. */
class Hold extends WorkflowEntrypoint<Env, {}> {
  async run(_event: WorkflowEvent<{}>, step: WorkflowStep) {
    // A short retry delay: the attempt a stopped holder left is retried at once by the next process.
    const retries = { limit: 3, delay: 10, backoff: "constant" as const };
    return step.do("work", { retries }, async () => {
      const name = this.env.NAME;
      this.env.RAN.push(name);
      if (this.env.KEEP) await new Promise<void>((resolve) => releases.set(name, resolve));
      return name;
    });
  }
}

const workflows = { HOLD: { name: "hold", class: Hold } };
const HOUR = 3_600_000;
const LEASE_MS = 1_000;
/** Far below the hour the clocks are apart: a lease judged by either clock would miss it. */
const BOUND = { timeoutMs: 10_000 };

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("leases on PostgreSQL follow the server's clock", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  async function processOn(schema: string, name: string, clock: OffsetClock, hold: boolean) {
    const env: Env = { NAME: name, RAN: [], KEEP: hold };
    const cairn = await Cairn.open({
      storage: db.url,
      postgresSchema: schema,
      workflows,
      env,
      clock,
      leaseMs: LEASE_MS,
      shutdownGraceMs: 100,
      onError: () => {},
    });
    cleanups.push(async () => {
      clock.thaw();
      releases.get(name)?.();
      await cairn.close();
    });
    return { cairn, env };
  }

  async function serverNow(): Promise<number> {
    const [row] = await db.query<{ t: string }>(
      "SELECT (extract(epoch from statement_timestamp()) * 1000)::bigint AS t",
    );
    return Number(row!.t);
  }

  async function leaseOf(cairn: Cairn<typeof workflows>, id: string) {
    const record = await cairn.engine.store.getInstance("hold", id);
    return { owner: record?.leaseOwner ?? null, expiresAt: record?.leaseExpiresAt ?? 0 };
  }

  it("a process whose clock runs an hour ahead does not take a lease that is renewed", async () => {
    const schema = db.newSchema("lease_ahead");
    const holder = await processOn(schema, "behind", new OffsetClock(-HOUR), true);
    await holder.cairn.env.HOLD.create({ id: "held" });
    await waitUntil(
      () => holder.env.RAN.length,
      (n) => n === 1,
      BOUND,
    );
    const first = await leaseOf(holder.cairn, "held");

    const ahead = await processOn(schema, "ahead", new OffsetClock(HOUR), false);
    // The server's clock moves two leases past the first expiry; the holder renews all along and
    // the process ahead looks again at each expiry it is told of.
    await waitUntil(
      () => leaseOf(holder.cairn, "held"),
      (lease) => lease.expiresAt > first.expiresAt + 2 * LEASE_MS,
      { ...BOUND, what: "two renewals past the first expiry" },
    );
    expect(await serverNow()).toBeGreaterThan(first.expiresAt);
    expect(ahead.env.RAN).toEqual([]);
    expect((await leaseOf(holder.cairn, "held")).owner).toBe(first.owner);
    releases.get("behind")?.();
    const instance = await holder.cairn.env.HOLD.get("held");
    expect(await waitForStatus(instance, "complete", BOUND)).toEqual({
      status: "complete",
      output: "behind",
    });
  });

  it("a process whose clock runs an hour behind takes over a stopped holder when its lease runs out", async () => {
    const schema = db.newSchema("lease_behind");
    const holderClock = new OffsetClock(HOUR);
    const holder = await processOn(schema, "ahead", holderClock, true);
    await holder.cairn.env.HOLD.create({ id: "orphan" });
    await waitUntil(
      () => holder.env.RAN.length,
      (n) => n === 1,
      BOUND,
    );

    const behind = await processOn(schema, "behind", new OffsetClock(-HOUR), false);
    // The holder stops as a process the OS stopped would: no renewal, no release.
    holderClock.freeze();
    const instance = await behind.cairn.env.HOLD.get("orphan");
    expect(await waitForStatus(instance, "complete", BOUND)).toEqual({
      status: "complete",
      output: "behind",
    });
    expect(behind.env.RAN).toEqual(["behind"]);
  });
});
