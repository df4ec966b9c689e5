// The input gate of one Durable Object: events (fetch, RPC calls, alarms, and later WebSocket
// messages) are delivered one after another in arrival order, and the next one is let in only when
// the running one waits on something other than its own storage. A storage call holds the gate
// until the caller's code has run on from its result (the event loop's next check phase), and
// `blockConcurrencyWhile` (and an async storage transaction) holds it until its promise settles.
// So two calls that read, then write, the same key never interleave, while a call that waits on
// a fetch or another object lets the next event in, as on Cloudflare.

export class InputGate {
  private readonly waiting: (() => void)[] = [];
  /** Short holds: an event that just started, or a storage call whose result is being used. */
  private holds = 0;
  /** Long holds: blockConcurrencyWhile, async transactions, an object being constructed. */
  private blocks = 0;

  /** Resolves when the caller's event may run; its start holds the gate until it first waits on I/O. */
  enter(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
  }

  /** Holds the gate until the code waiting on a storage call's result has run on. */
  holdForStorage(): void {
    this.hold();
  }

  /** Holds the gate until `work` settles; the result (or failure) is `work`'s. */
  async block<T>(work: () => T | Promise<T>): Promise<T> {
    const release = this.closeUntilReleased();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Holds the gate until the returned function is called. */
  closeUntilReleased(): () => void {
    this.blocks += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The caller runs on from here: let it reach its next wait before another event starts.
      this.hold();
      this.blocks -= 1;
    };
  }

  /** Events waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private hold(): void {
    this.holds += 1;
    setImmediate(() => {
      this.holds -= 1;
      this.pump();
    });
  }

  private pump(): void {
    if (this.holds > 0 || this.blocks > 0) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.hold();
    next();
  }
}
