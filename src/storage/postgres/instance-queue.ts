// Keeps one instance's fenced writes in the order the runner issued them. The engine fires some
// writes without awaiting them (an attempt's start, a sleep's completion) and then commits the
// next record; on SQLite one writer thread keeps that order, here the writes of different
// instances run on different pooled connections at once (PostgreSQL groups their commits), while
// the writes of one instance wait for each other.

export class InstanceQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  /** Runs `work` after every earlier write of instance `seq` settled, whatever their outcome. */
  run<T>(seq: number, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(seq);
    const next = before ? before.then(work, work) : work();
    const tail = next.catch(() => {});
    this.tails.set(seq, tail);
    void tail.then(() => {
      if (this.tails.get(seq) === tail) this.tails.delete(seq);
    });
    return next;
  }

  /** Resolves once every write queued so far has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
