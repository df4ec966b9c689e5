// Many timers on one native timer: every running step arms an attempt timeout and most are
// cancelled a moment later, so a Node timer (an object, a closure and an unref call) per attempt
// costs more than the step. Timers wait in a binary heap by due time; one native timer is armed
// for the earliest. A cancelled timer is only marked, and the heap is rebuilt when cancelled
// entries outnumber live ones, so cancelling stays O(1) and memory stays bounded.

type Entry = { at: number; order: number; callback: (() => void) | null };

/**
 * The longest the native timer waits before looking at the wall clock again. setTimeout counts
 * elapsed time, not wall time: if the wall clock is set forward past a timer's due time, the
 * timer would otherwise fire as late as the jump; this way it fires at most RECHECK_MS late.
 * (Set back, a timer is never early: a firing checks the wall clock and re-arms what is not due.)
 */
export const RECHECK_MS = 1_000;

export class TimerQueue {
  private heap: Entry[] = [];
  private live = 0;
  private order = 0;
  private native: NodeJS.Timeout | null = null;
  /** The due time the native timer is armed for (Infinity when none is). */
  private armedAt = Number.POSITIVE_INFINITY;
  private readonly now: () => number;

  private readonly recheckMs: number;

  constructor(now: () => number = Date.now, recheckMs = RECHECK_MS) {
    this.now = now;
    this.recheckMs = recheckMs;
  }

  /** Calls `callback` once, at or after `at`; returns a function that cancels it. */
  add(at: number, callback: () => void): () => void {
    const entry: Entry = { at, order: this.order++, callback };
    this.push(entry);
    this.live += 1;
    if (at < this.armedAt) this.arm();
    return () => {
      if (entry.callback === null) return;
      entry.callback = null;
      this.live -= 1;
      if (this.heap.length > 1024 && this.heap.length > this.live * 2) this.compact();
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get size(): number {
    return this.live;
  }

  /** Entries held, cancelled ones included (bounded by about twice `size`, or 1,024). */
  get stored(): number {
    return this.heap.length;
  }

  private readonly fire = (): void => {
    this.native = null;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    // Callbacks may add timers; only those due by `now` run in this pass.
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      const callback = top.callback;
      if (callback === null) continue;
      top.callback = null;
      this.live -= 1;
      try {
        callback();
      } catch (error) {
        // The other due timers still fire; the error surfaces as it would from a native timer.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.arm();
  };

  private arm(): void {
    while (this.heap.length > 0 && this.heap[0]!.callback === null) this.pop();
    const top = this.heap[0];
    if (!top) {
      if (this.native) clearTimeout(this.native);
      this.native = null;
      this.armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.native && this.armedAt <= top.at) return;
    if (this.native) clearTimeout(this.native);
    const delay = Math.min(Math.max(0, top.at - this.now()), this.recheckMs);
    this.native = setTimeout(this.fire, delay);
    this.native.unref();
    this.armedAt = top.at;
  }

  private compact(): void {
    this.heap = this.heap.filter((e) => e.callback !== null);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.down(0);
  }

  private down(start: number): void {
    const heap = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && this.before(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && this.before(heap[r]!, heap[min]!)) min = r;
      if (min === i) return;
      [heap[i], heap[min]] = [heap[min]!, heap[i]!];
      i = min;
    }
  }
}
