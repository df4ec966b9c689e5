// The contract between a Workers WebSocket end and the real connection under it (a client's
// socket on the host's server, or an outbound client), kept apart so both sides can import it.

/** A real connection an end is coupled to: what the Worker's other end sends goes out on it. */
export interface Transport {
  send(data: string | ArrayBuffer): void;
  /** Code 1005 means a Close frame with no code. */
  close(code: number, reason: string): void;
  /** Stop reading from the client (the Worker has too much unread). */
  pause(): void;
  resume(): void;
}
