// PostgreSQL slow, hung or cut off mid-transaction, through a TCP proxy this test owns
// (test/helpers/tcp-fault-proxy.ts). One Cairn runs a workload through the proxy: instances
// whose steps count their runs, each waiting twice for an event of the same type, so an event
// stored twice would be consumed by the second wait. While it runs the proxy delays every
// packet, hangs past the pool's timeouts, cuts every connection, cuts the reply of a committed
// step record or of a committed event, and refuses connections. After each fault: every
// instance completes with the expected output, no step whose record was committed runs again,
// every event whose sendEvent resolved is consumed exactly once, the calls that failed did so
// with a Cairn error code, and the same Cairn goes on without being reopened.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, WorkflowsError } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeValue } from "../../src/engine/values.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { type StatementMatch, TcpFaultProxy } from "../helpers/tcp-fault-proxy.js";

type Env = { RUNS: Map<string, number> };
type Params = { n: number };

const STEPS = ["a", "b", "c"] as const;

class Net extends WorkflowEntrypoint<Env, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    const { n } = event.payload;
    const id = event.instanceId;
    const retries = { limit: 50, delay: 20, backoff: "constant" as const };
    const effect = (name: string, value: number) =>
      step.do(name, { retries }, async () => {
        const key = `${id}/${name}`;
        this.env.RUNS.set(key, (this.env.RUNS.get(key) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return value;
      });
    const a = await effect("a", n);
    const first = await step.waitForEvent<{ k: number }>("first", { type: "go", timeout: "1 hour" });
    const b = await effect("b", a + first.payload.k);
    const second = await step.waitForEvent<{ k: number }>("second", { type: "go", timeout: "1 hour" });
    const c = await effect("c", b + second.payload.k);
    return { n, events: [first.payload.k, second.payload.k], c };
  }
}

const workflows = { NET: { name: "net", class: Net } };
const INSTANCES = 16;
const LEASE_MS = 1_000;
/** Below the hang of the pause fault: a statement or a connection held past it fails. */
const POOL_TIMEOUT_MS = 1_500;
const BOUND = { timeoutMs: 30_000, intervalMs: 50 };
/** Codes a call may fail with while the database is slow, hung or cut off. */
const OUTAGE_CODES = ["storage.unavailable"];

/** The two events of instance n carry k = 1000 n + 1 and 1000 n + 2. */
const eventK = (n: number, which: 1 | 2) => 1000 * n + which;
const expected = (n: number) => ({
  n,
  events: [eventK(n, 1), eventK(n, 2)],
  c: n + eventK(n, 1) + eventK(n, 2),
});

let db: TestDatabase;
let proxy: TcpFaultProxy;
beforeAll(async () => {
  db = await openTestDatabase();
  proxy = await TcpFaultProxy.start({ port: Number(new URL(db.url).port) });
});
afterAll(async () => {
  await proxy?.close();
  await db?.close();
});

/** A run of the workload on a fresh schema, driven through the proxy. */
class Run {
  readonly schema: string;
  readonly runs = new Map<string, number>();
  readonly failures: { call: string; code: string }[] = [];
  /** Events whose sendEvent resolved, by instance id. */
  readonly sent = new Map<string, number[]>();
  readonly engineErrors: string[] = [];
  cairn!: Cairn<typeof workflows, Env>;
  private sending: Promise<void> | null = null;
  /** Step runs counted when the journal last showed the step committed. */
  private readonly committedRuns = new Map<string, number>();

  constructor(label: string) {
    this.schema = db.newSchema(label);
  }

  async open(): Promise<void> {
    this.cairn = await Cairn.open({
      storage: {
        connectionString: proxy.url(db.url),
        connectionTimeoutMillis: POOL_TIMEOUT_MS,
        query_timeout: POOL_TIMEOUT_MS,
      } as never,
      postgresSchema: this.schema,
      postgresPoolSize: 6,
      workflows,
      env: { RUNS: this.runs },
      leaseMs: LEASE_MS,
      hibernateAfterMs: 100,
      shutdownGraceMs: 100,
      onError: (error) => this.engineErrors.push(String(error)),
    });
  }

  /**
   * Runs `call` until it goes through. A failure must be an outage code, and a create retried
   * after one may find the instance its first try made.
   */
  private async persist<T>(
    what: string,
    call: () => Promise<T>,
    retried?: (e: WorkflowsError) => T | undefined,
  ) {
    const deadline = Date.now() + BOUND.timeoutMs;
    let failed = false;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!WorkflowsError.is(error)) throw error;
        if (failed && retried) {
          const value = retried(error);
          if (value !== undefined) return value;
        }
        this.failures.push({ call: what, code: error.code });
        if (!OUTAGE_CODES.includes(error.code) || Date.now() > deadline) throw error;
        failed = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Creates the instances and sends each its two events, a few at a time, in the background. */
  start(): void {
    const one = async (n: number) => {
      const id = `n-${n}`;
      await this.persist(
        "create",
        async () => {
          await this.cairn.env.NET.create({ id, params: { n } });
          return true;
        },
        (e) => (e.code === "instance.already_exists" ? true : undefined),
      );
      const instance = await this.persist("get", () => this.cairn.env.NET.get(id));
      for (const which of [1, 2] as const) {
        const k = eventK(n, which);
        await this.persist("sendEvent", () => instance.sendEvent({ type: "go", payload: { k } }));
        this.sent.set(id, [...(this.sent.get(id) ?? []), k]);
      }
    };
    const lanes = 4;
    this.sending = Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let n = lane; n < INSTANCES; n += lanes) await one(n);
      }),
    ).then(() => {});
    // Awaited by finish; a call that failed for good fails the test there.
    this.sending.catch(() => {});
  }

  /** Counts of instances by status, read past the proxy. */
  async statuses(): Promise<Record<string, number>> {
    const rows = await db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM "${this.schema}".instances GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Waits until the sender is done and every instance is complete. */
  async finish(): Promise<void> {
    await this.sending;
    await waitUntil(
      () => this.statuses(),
      (s) => s.complete === INSTANCES,
      { ...BOUND, what: `all ${INSTANCES} instances of ${this.schema} to complete` },
    );
  }

  /**
   * Notes, from the journal, which steps are committed and how many times each has run so far:
   * none of them may run again.
   */
  async noteCommitted(): Promise<void> {
    const rows = await db.query<{ id: string; name: string }>(
      `SELECT i.id, s.name FROM "${this.schema}".steps s JOIN "${this.schema}".instances i
         ON i.seq = s.instance_seq WHERE s.kind = 'do' AND s.status = 'succeeded'`,
    );
    for (const { id, name } of rows) {
      const key = `${id}/${name}`;
      if (!this.committedRuns.has(key)) this.committedRuns.set(key, this.runs.get(key) ?? 0);
    }
  }

  /** Everything the fault must not have broken; returns what it found broken. */
  async violations(): Promise<string[]> {
    const found: string[] = [];
    await this.noteCommitted();
    for (const [key, runs] of this.committedRuns) {
      const now = this.runs.get(key) ?? 0;
      if (now !== runs) found.push(`${key} ran ${now - runs} more time(s) after its record was committed`);
    }
    const instances = await db.query<{ id: string; status: string; output: Buffer | null }>(
      `SELECT id, status, output FROM "${this.schema}".instances ORDER BY id`,
    );
    if (instances.length !== INSTANCES) found.push(`${instances.length} instances, expected ${INSTANCES}`);
    for (const row of instances) {
      const n = Number(row.id.slice(2));
      const output = row.output ? decodeValue(new Uint8Array(row.output)) : null;
      if (row.status !== "complete" || JSON.stringify(output) !== JSON.stringify(expected(n))) {
        found.push(
          `${row.id} is ${row.status} with ${JSON.stringify(output)}, expected ${JSON.stringify(expected(n))}`,
        );
      }
      for (const step of STEPS) {
        if (!this.runs.get(`${row.id}/${step}`)) found.push(`${row.id}/${step} never ran`);
      }
    }
    const events = await db.query<{ id: string; payload: Buffer; consumed_by: string | null }>(
      `SELECT i.id, e.payload, e.consumed_by FROM "${this.schema}".events e
         JOIN "${this.schema}".instances i ON i.seq = e.instance_seq ORDER BY e.seq`,
    );
    const stored = new Map<string, { k: number; by: string | null }[]>();
    for (const e of events) {
      const { k } = decodeValue(new Uint8Array(e.payload)) as { k: number };
      stored.set(e.id, [...(stored.get(e.id) ?? []), { k, by: e.consumed_by }]);
    }
    for (const [id, sent] of this.sent) {
      for (const k of sent) {
        const copies = (stored.get(id) ?? []).filter((e) => e.k === k);
        if (copies.length !== 1 || copies[0]?.by === null) {
          found.push(
            `${id}: event ${k} sent once, stored ${copies.length} time(s): ${JSON.stringify(copies)}`,
          );
        }
      }
    }
    for (const f of this.failures) {
      if (!OUTAGE_CODES.includes(f.code) && f.code !== "instance.already_exists") {
        found.push(`${f.call} failed with ${f.code}`);
      }
    }
    return found;
  }

  /** A new instance created and run after the fault, on the same Cairn. */
  async runsAfterwards(): Promise<void> {
    const id = "after";
    const n = 999;
    await this.cairn.env.NET.create({ id, params: { n } });
    const instance = await this.cairn.env.NET.get(id);
    await instance.sendEvent({ type: "go", payload: { k: eventK(n, 1) } });
    await instance.sendEvent({ type: "go", payload: { k: eventK(n, 2) } });
    await waitUntil(
      () => instance.status(),
      (s) => s.status === "complete",
      { ...BOUND, what: "an instance created after the fault to complete" },
    );
    expect((await instance.status()).output).toEqual(expected(n));
  }

  async close(): Promise<void> {
    await this.sending?.catch(() => {});
    await this.cairn?.close();
  }
}

/** A statement that writes a step record (a step's result, or an event received by a wait). */
const stepRecord: StatementMatch = (sql) => /INSERT INTO "[^"]+"\.steps AS st/.test(sql);
/** The COMMIT of a transaction that stored an event (sendEvent). */
const eventCommit: StatementMatch = (sql, tx) =>
  sql.trim().toUpperCase() === "COMMIT" && tx.some((s) => /INSERT INTO "[^"]+"\.events/.test(s));

describe("PostgreSQL slow, hung or cut off under a running Cairn", () => {
  const runs: Run[] = [];
  afterEach(async () => {
    proxy.delay(0);
    proxy.resume();
    proxy.refuse(false);
    proxy.clearCuts();
    for (const run of runs.splice(0)) await run.close();
  });

  async function started(label: string): Promise<Run> {
    const run = new Run(label);
    runs.push(run);
    await run.open();
    run.start();
    // The workload is under way: some step has committed.
    await waitUntil(
      async () => (await run.statuses()).running ?? 0,
      (n) => n > 0,
      { ...BOUND, what: "instances to run" },
    );
    return run;
  }

  async function check(run: Run): Promise<void> {
    await run.finish();
    const failed = { failures: run.failures, engineErrors: run.engineErrors.slice(0, 5) };
    expect(await run.violations(), JSON.stringify(failed)).toEqual([]);
    await run.runsAfterwards();
  }

  it("every packet delayed by 200 ms", async () => {
    const run = await started("net_delay");
    proxy.delay(200);
    await waitUntil(
      () => run.sent.size,
      (n) => n >= 4,
      { ...BOUND, what: "instances to get their events under the delay" },
    );
    await run.noteCommitted();
    proxy.delay(0);
    await check(run);
  });

  it("the database hangs past the pool's timeouts and the lease, then answers again", async () => {
    const run = await started("net_pause");
    proxy.pause();
    // Past the statement and connection timeouts, and past the lease: a call made now fails.
    const probe = await run.cairn.env.NET.get("n-0").then(
      () => null,
      (e: unknown) => e,
    );
    expect(WorkflowsError.is(probe) && probe.code).toBe("storage.unavailable");
    await waitUntil(
      () => run.engineErrors.length,
      (n) => n > 0,
      { ...BOUND, what: "the engine to notice the hang" },
    );
    proxy.resume();
    await run.noteCommitted();
    await check(run);
  });

  it("every connection cut, several times", async () => {
    const run = await started("net_cut");
    for (let i = 0; i < 4; i++) {
      const accepted = proxy.stats.accepted;
      proxy.cutAll();
      // Reconnected: the pool opened a new connection through the proxy.
      await waitUntil(
        () => proxy.stats.accepted,
        (n) => n > accepted,
        { ...BOUND, what: `a new connection after cut ${i + 1}` },
      );
      await run.noteCommitted();
    }
    await check(run);
  });

  it("the reply to a committed step record is lost", async () => {
    const run = await started("net_step_ack");
    proxy.cutWhen({ match: stepRecord, when: "after", times: 3 });
    await waitUntil(
      () => proxy.armedCuts,
      (n) => n === 0,
      { ...BOUND, what: "three step records to be cut after their commit" },
    );
    // Those records are in the journal: their steps must not run again.
    await run.noteCommitted();
    await check(run);
  });

  it("the reply to a committed event is lost", async () => {
    const run = await started("net_event_ack");
    proxy.cutWhen({ match: eventCommit, when: "after", times: 3 });
    await waitUntil(
      () => proxy.armedCuts,
      (n) => n === 0,
      { ...BOUND, what: "three sendEvent commits to be cut after the server ran them" },
    );
    await run.noteCommitted();
    await check(run);
    // Cairn asked the server whether those commits went through: the callers never saw an error.
    expect(run.failures.filter((f) => f.call === "sendEvent")).toEqual([]);
  });

  it("the reply to a committed event is lost and the server cannot be asked: storage.outcome_unknown", async () => {
    const run = new Run("net_unknown");
    runs.push(run);
    await run.open();
    const id = "unknown";
    const n = 7;
    await run.cairn.env.NET.create({ id, params: { n } });
    const instance = await run.cairn.env.NET.get(id);
    proxy.cutWhen({
      match: eventCommit,
      when: "after",
      // Committed, and from now on nothing reaches the server through the proxy.
      onCut: () => {
        proxy.refuse(true);
        proxy.cutAll();
      },
    });
    const lost = await instance.sendEvent({ type: "go", payload: { k: eventK(n, 1) } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(WorkflowsError.is(lost) && lost.code).toBe("storage.outcome_unknown");
    proxy.refuse(false);
    // It had committed: stored once, and consumed by the first wait.
    await instance.sendEvent({ type: "go", payload: { k: eventK(n, 2) } });
    await waitUntil(
      () => instance.status(),
      (s) => s.status === "complete",
      { ...BOUND, what: "the instance to complete" },
    );
    expect((await instance.status()).output).toEqual(expected(n));
  });

  it("connections refused for a while", async () => {
    const run = await started("net_refuse");
    proxy.refuse(true);
    proxy.cutAll();
    await waitUntil(
      () => proxy.stats.refused,
      (n) => n >= 3,
      { ...BOUND, what: "reconnection attempts to be refused" },
    );
    const refused = await run.cairn.env.NET.get("n-1").then(
      () => null,
      (e: unknown) => e,
    );
    expect(WorkflowsError.is(refused) && refused.code).toBe("storage.unavailable");
    proxy.refuse(false);
    await run.noteCommitted();
    await check(run);
  });
});
