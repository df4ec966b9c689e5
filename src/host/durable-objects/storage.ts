// `ctx.storage`: the asynchronous key-value API, transactions, the alarm and (for SQLite-backed
// classes) `sql` and the synchronous `kv`, all on the object's own SQLite file. Writes are done
// synchronously with synchronous=FULL, so a write is on disk before its promise resolves and
// before any result of the event that made it leaves the object (the output gate); an async
// transaction also holds the input gate and the event's result waits for it to finish.

import { AsyncLocalStorage } from "node:async_hooks";
import type Database from "better-sqlite3";
import type { StorageKind } from "./config.js";
import type { InputGate } from "./input-gate.js";
import { KvStore, type ListOptions } from "./kv-store.js";
import { META_TABLE } from "./object-file.js";
import { SqlStorage } from "./sql-storage.js";

/** How the storage tells the alarm scheduler about the object's alarm. */
export type AlarmControl = {
  /** The alarm is now `time` (null: none): update the index and the timer. */
  set(time: number | null): void;
  /** Whether the object's class has an alarm() handler (setAlarm needs one, as on Cloudflare). */
  hasHandler(): boolean;
};

type Entries = Record<string, unknown>;

/** Keys the host's own use of the storage (kept out of sight of the object's code). */
export const STORAGE_INTERNALS = Symbol("cairn.durableObjectStorage");

function alarmTime(value: unknown): number {
  const time = value instanceof Date ? value.getTime() : value;
  if (typeof time !== "number" || !Number.isFinite(time)) {
    throw new TypeError(
      `setAlarm() takes a Date or a number of milliseconds since the epoch; got ${String(value)}`,
    );
  }
  return Math.trunc(time);
}

/** What a transaction's callback gets: the storage API plus rollback(). */
export type DurableObjectTransaction = Pick<
  DurableObjectStorage,
  "get" | "put" | "delete" | "list" | "getAlarm" | "setAlarm" | "deleteAlarm"
> & { rollback(): void };

/** `ctx.storage` of one Durable Object (Cloudflare's DurableObjectStorage). */
export class DurableObjectStorage {
  readonly #db: Database.Database;
  readonly #kind: StorageKind;
  readonly #gate: InputGate;
  readonly #alarms: AlarmControl;
  readonly #kv: KvStore;
  readonly #sql: SqlStorage | null;
  /** Async transactions not finished yet: an event's result waits for them. */
  readonly #open = new Set<Promise<unknown>>();
  /** Set inside a transaction's closure: a transaction started there nests in it. */
  readonly #inTransaction = new AsyncLocalStorage<true>();
  /** Top-level transactions run one after another (each is a SQLite savepoint stack of its own). */
  #transactions: Promise<unknown> = Promise.resolve();
  #savepoints = 0;
  /** While alarm() runs: the time it runs for, and whether it set a new alarm since. */
  #running: { time: number; reset: boolean } | null = null;

  constructor(db: Database.Database, kind: StorageKind, gate: InputGate, alarms: AlarmControl) {
    this.#db = db;
    this.#kind = kind;
    this.#gate = gate;
    this.#alarms = alarms;
    this.#kv = new KvStore(db, kind);
    this.#sql = kind === "sqlite" ? new SqlStorage(db) : null;
  }

  /** Runs a synchronous storage operation as an async one that holds the input gate. */
  #op<T>(work: () => T): Promise<T> {
    this.#gate.holdForStorage();
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get<T = unknown>(key: string, options?: unknown): Promise<T | undefined>;
  get<T = unknown>(keys: string[], options?: unknown): Promise<Map<string, T>>;
  get(keyOrKeys: string | string[], _options?: unknown): Promise<unknown> {
    return this.#op(() =>
      Array.isArray(keyOrKeys) ? this.#kv.getMany(keyOrKeys) : this.#kv.getOne(keyOrKeys),
    );
  }

  put(key: string, value: unknown): Promise<void>;
  put(entries: Entries): Promise<void>;
  put(keyOrEntries: string | Entries, value?: unknown, _options?: unknown): Promise<void> {
    return this.#op(() => {
      if (typeof keyOrEntries === "object" && keyOrEntries !== null) this.#kv.putMany(keyOrEntries);
      else this.#kv.putOne(keyOrEntries, value);
    });
  }

  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  delete(keyOrKeys: string | string[], _options?: unknown): Promise<boolean | number> {
    return this.#op(() =>
      Array.isArray(keyOrKeys) ? this.#kv.deleteMany(keyOrKeys) : this.#kv.deleteOne(keyOrKeys),
    );
  }

  list<T = unknown>(options?: ListOptions): Promise<Map<string, T>> {
    return this.#op(() => this.#kv.list(options) as Map<string, T>);
  }

  /**
   * Deletes every key; in a SQLite-backed object also every table the SQL API made. The alarm is
   * kept (delete it with deleteAlarm()).
   */
  deleteAll(_options?: unknown): Promise<void> {
    return this.#op(() => {
      this.#db.transaction(() => {
        this.#kv.deleteAll();
        if (this.#kind !== "sqlite") return;
        const tables = this.#db
          .prepare(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
          )
          .all() as { name: string; type: string }[];
        for (const t of tables)
          this.#db.exec(
            `DROP ${t.type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${t.name.replace(/"/g, '""')}"`,
          );
      })();
    });
  }

  /** Resolves at once: every write is on disk when its own call returns. */
  sync(): Promise<void> {
    return this.#op(() => undefined);
  }

  get sql(): SqlStorage {
    if (!this.#sql) throw new Error("SQL is not enabled for this Durable Object class.");
    return this.#sql;
  }

  /** The synchronous key-value API of SQLite-backed objects. */
  get kv(): {
    get(key: string): unknown;
    put(key: string, value: unknown): void;
    delete(key: string): boolean;
    list(options?: ListOptions): IterableIterator<[string, unknown]>;
  } {
    if (this.#kind !== "sqlite")
      throw new Error("ctx.storage.kv is only available in SQLite-backed Durable Objects.");
    const kv = this.#kv;
    return {
      get: (key) => kv.getOne(key),
      put: (key, value) => kv.putOne(key, value),
      delete: (key) => kv.deleteOne(key),
      list: (options) => kv.list(options).entries(),
    };
  }

  /**
   * Runs `closure` in a transaction: rolled back if it throws or calls `txn.rollback()`. A
   * transaction started inside another's closure nests in it; top-level ones run one at a time.
   */
  transaction<T>(closure: (txn: DurableObjectTransaction) => T | Promise<T>): Promise<T> {
    const nested = this.#inTransaction.getStore() === true;
    const before = nested ? Promise.resolve() : this.#transactions;
    const run = this.#gate.block(async () => {
      await before;
      return this.#inTransaction.run(true, () => this.#runTransaction(closure));
    });
    if (!nested) this.#transactions = run.catch(() => undefined);
    this.#open.add(run);
    const forget = () => this.#open.delete(run);
    run.then(forget, forget);
    return run;
  }

  async #runTransaction<T>(closure: (txn: DurableObjectTransaction) => T | Promise<T>): Promise<T> {
    const savepoint = this.#begin();
    let rolledBack = false;
    const txn: DurableObjectTransaction = {
      get: this.get.bind(this) as DurableObjectTransaction["get"],
      put: this.put.bind(this) as DurableObjectTransaction["put"],
      delete: this.delete.bind(this) as DurableObjectTransaction["delete"],
      list: this.list.bind(this),
      getAlarm: this.getAlarm.bind(this),
      setAlarm: this.setAlarm.bind(this),
      deleteAlarm: this.deleteAlarm.bind(this),
      rollback: () => {
        rolledBack = true;
      },
    };
    try {
      const result = await closure(txn);
      this.#end(savepoint, rolledBack);
      return result;
    } catch (error) {
      this.#end(savepoint, true);
      throw error;
    }
  }

  /** Runs `fn` synchronously in a transaction, rolled back if it throws (SQLite-backed objects). */
  transactionSync<T>(fn: () => T): T {
    if (this.#kind !== "sqlite") {
      throw new Error("transactionSync() is only available in SQLite-backed Durable Objects.");
    }
    const savepoint = this.#begin();
    try {
      const result = fn();
      this.#end(savepoint, false);
      return result;
    } catch (error) {
      this.#end(savepoint, true);
      throw error;
    }
  }

  #begin(): string {
    this.#savepoints += 1;
    const name = `cairn_txn_${this.#savepoints}`;
    this.#db.exec(`SAVEPOINT ${name}`);
    return name;
  }

  #end(savepoint: string, rollback: boolean): void {
    if (rollback) this.#db.exec(`ROLLBACK TO ${savepoint}`);
    this.#db.exec(`RELEASE ${savepoint}`);
    // The alarm may have changed and then been rolled back: the index and timer follow the file.
    this.#alarms.set(this.#readAlarm());
  }

  #readAlarm(): number | null {
    const row = this.#db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'alarm'`).get() as
      | { value: number }
      | undefined;
    return row ? Number(row.value) : null;
  }

  getAlarm(_options?: unknown): Promise<number | null> {
    return this.#op(() => {
      const time = this.#readAlarm();
      // While alarm() runs, the alarm it runs for no longer counts as set.
      if (this.#running && !this.#running.reset && time === this.#running.time) return null;
      return time;
    });
  }

  setAlarm(scheduledTime: number | Date, _options?: unknown): Promise<void> {
    return this.#op(() => {
      if (!this.#alarms.hasHandler()) {
        throw new TypeError(
          "Your Durable Object class must have an alarm() handler in order to call setAlarm()",
        );
      }
      const time = alarmTime(scheduledTime);
      // The index first: it may be ahead of the file, never behind it.
      this.#alarms.set(time);
      this.#db.prepare(`INSERT OR REPLACE INTO ${META_TABLE} (key, value) VALUES ('alarm', ?)`).run(time);
      if (this.#running) this.#running.reset = true;
    });
  }

  deleteAlarm(_options?: unknown): Promise<void> {
    return this.#op(() => {
      this.#db.prepare(`DELETE FROM ${META_TABLE} WHERE key = 'alarm'`).run();
      this.#alarms.set(null);
      if (this.#running) this.#running.reset = true;
    });
  }

  /** @internal What the host uses and the object's code does not see: alarm runs and the output gate. */
  [STORAGE_INTERNALS](): StorageInternals {
    const clear = () => {
      this.#db.prepare(`DELETE FROM ${META_TABLE} WHERE key = 'alarm'`).run();
      this.#alarms.set(null);
    };
    return {
      storedAlarm: () => this.#readAlarm(),
      beginAlarm: (time) => {
        this.#running = { time, reset: false };
      },
      finishAlarm: (succeeded) => {
        const running = this.#running;
        this.#running = null;
        if (running && !running.reset && succeeded && this.#readAlarm() === running.time) clear();
      },
      clearAlarm: clear,
      settled: () => Promise.allSettled([...this.#open]).then(() => undefined),
    };
  }
}

export type StorageInternals = {
  storedAlarm(): number | null;
  /** alarm() starts for the alarm due at `time`: getAlarm() hides it unless it is set again. */
  beginAlarm(time: number): void;
  /** alarm() ended: on success the alarm it ran for is cleared, unless it set or deleted one. */
  finishAlarm(succeeded: boolean): void;
  /** Drops the alarm after its last retry failed. */
  clearAlarm(): void;
  /** Resolves when the async transactions opened so far have finished (the output gate). */
  settled(): Promise<void>;
};
