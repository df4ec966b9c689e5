// The parent's side of "events sent from outside": sends k = 1, 2, 3 to each collector
// instance, the next only after the child acked the previous (the event is committed). A send
// cut by a kill is marked interrupted and the same k is sent again, under a new send number,
// after the restart. Every send is recorded so that the checks know what may and must arrive.

import type { ChildHandle } from "./child-handle.js";
import type { Rng } from "./rng.js";
import { LAST_K } from "./workflows.js";

export type SendRecord = {
  send: number;
  id: string;
  k: number;
  incarnation: number;
  outcome: "sent" | "finished" | "interrupted" | "pending";
};

type Target = { id: string; k: number; from: number; done: boolean; pending: SendRecord | null };

export class EventPump {
  readonly sends: SendRecord[] = [];
  private readonly targets: Target[];
  private readonly rng: Rng;
  private nextSend = 1;
  private timers: NodeJS.Timeout[] = [];
  private child: ChildHandle | null = null;
  private offMessage: (() => void) | null = null;

  /** `ids[i]` gets its first event from incarnation `1 + i * stagger`, to spread events over the run. */
  constructor(ids: string[], rng: Rng, stagger: number) {
    this.rng = rng;
    this.targets = ids.map((id, i) => ({ id, k: 1, from: 1 + i * stagger, done: false, pending: null }));
  }

  get allAcked(): boolean {
    return this.targets.every((t) => t.done);
  }

  /**
   * Starts sending to `child`. In a killed incarnation each due instance gets at most one send,
   * at a random instant; in the final one (`drain`) sends follow each other until all are acked.
   * `onSend` runs right after each send leaves and `onAck` right after each ack arrives (the
   * test may kill the child then).
   */
  attach(
    child: ChildHandle,
    drain: boolean,
    onSend: (record: SendRecord) => void,
    onAck: (record: SendRecord) => void = () => {},
  ): void {
    this.child = child;
    this.offMessage = child.onMessage((message) => {
      if (message.type !== "ack") return;
      const target = this.targets.find((t) => t.pending?.send === message.send);
      if (!target?.pending) return;
      const record = target.pending;
      record.outcome = message.outcome;
      target.pending = null;
      onAck(record);
      if (message.outcome === "finished" || target.k === LAST_K) target.done = true;
      else target.k += 1;
      if (drain) this.schedule(target, drain, onSend);
    });
    for (const target of this.targets) {
      if (drain || child.incarnation >= target.from) this.schedule(target, drain, onSend);
    }
  }

  /** The child is gone: a send without an ack is interrupted (it may or may not be stored). */
  detach(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.offMessage?.();
    this.offMessage = null;
    this.child = null;
    for (const target of this.targets) {
      if (target.pending) target.pending.outcome = "interrupted";
      target.pending = null;
    }
  }

  private schedule(target: Target, drain: boolean, onSend: (record: SendRecord) => void): void {
    if (target.done) return;
    const timer = setTimeout(() => this.sendNow(target, onSend), this.rng.between(0, drain ? 20 : 150));
    this.timers.push(timer);
  }

  private sendNow(target: Target, onSend: (record: SendRecord) => void): void {
    const child = this.child;
    if (!child || target.done || target.pending) return;
    const record: SendRecord = {
      send: this.nextSend++,
      id: target.id,
      k: target.k,
      incarnation: child.incarnation,
      outcome: "pending",
    };
    if (!child.send({ type: "send", id: target.id, k: target.k, send: record.send })) return;
    this.sends.push(record);
    target.pending = record;
    onSend(record);
  }
}
