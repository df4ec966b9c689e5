// Creates that arrive while others are in flight wait and go to PostgreSQL together, as one
// multi-row statement. Without this, a burst of single creates (100,000 `binding.create` calls
// at once) takes one pooled connection each: the pool's queue grows with the burst, and every
// call still queued when the pool's connection timeout runs out fails as `storage.unavailable`
// although the database answers, while the engine's own claims and step writes wait behind the
// whole burst. Together, the burst holds at most CREATE_STATEMENTS connections.

import type { CreateResult, NewInstance } from "../types.js";

/** Create statements in flight at once. */
export const CREATE_STATEMENTS = 2;
/** Most rows one statement inserts; a single call larger than this goes alone. */
export const MAX_CREATE_ROWS = 1000;

type Waiting = {
  items: NewInstance[];
  now: number;
  resolve: (results: CreateResult[]) => void;
  reject: (error: unknown) => void;
};

/** Runs `create` for the calls of one statement: their items in order, at the latest `now`. */
export type CreateStatement = (items: NewInstance[], now: number) => Promise<CreateResult[]>;

export class CreateBatches {
  readonly #create: CreateStatement;
  readonly #queue: Waiting[] = [];
  /** Where the queue starts: taken calls are skipped, not shifted, so a long queue costs no copying. */
  #head = 0;
  #inFlight = 0;

  constructor(create: CreateStatement) {
    this.#create = create;
  }

  /** Statements running now and calls waiting for one (for tests and pool figures). */
  get pending(): { statements: number; calls: number } {
    return { statements: this.#inFlight, calls: this.#queue.length - this.#head };
  }

  /**
   * Creates `items`; each result says whether its id was new. Merged calls are judged in the
   * order they came: an id asked for by two calls is created for the first only, as if they had
   * run one after the other. A failed statement fails every call it carried.
   */
  create(items: NewInstance[], now: number): Promise<CreateResult[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ items, now, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < CREATE_STATEMENTS && this.#head < this.#queue.length) {
      const calls: Waiting[] = [];
      let rows = 0;
      while (this.#head < this.#queue.length) {
        const next = this.#queue[this.#head] as Waiting;
        if (calls.length > 0 && rows + next.items.length > MAX_CREATE_ROWS) break;
        calls.push(next);
        rows += next.items.length;
        this.#head++;
      }
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#inFlight++;
      void this.#run(calls);
    }
  }

  async #run(calls: Waiting[]): Promise<void> {
    try {
      const items = calls.flatMap((c) => c.items);
      const now = Math.max(...calls.map((c) => c.now));
      const results = await this.#create(items, now);
      let at = 0;
      for (const call of calls) {
        call.resolve(results.slice(at, at + call.items.length));
        at += call.items.length;
      }
    } catch (error) {
      for (const call of calls) call.reject(error);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
