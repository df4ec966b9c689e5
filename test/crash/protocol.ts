// The messages between the crash test (parent) and its child engine over the IPC channel.
// The child acks an event only after `sendEvent` resolved, i.e. after the event is committed.

import type { InstanceStatus } from "cairn";

export type ToChild =
  | { type: "send"; id: string; k: number; send: number }
  | { type: "status" }
  | { type: "close" };

export type FromChild =
  | { type: "ready" }
  | { type: "ack"; send: number; outcome: "sent" | "finished" }
  | { type: "statuses"; statuses: { id: string; status: InstanceStatus }[] }
  | { type: "engine-error"; context: string; message: string }
  | { type: "closed" };
