// Joins a real client connection (a `ws` socket after the handshake) to the Worker's WebSocket
// end that was returned in the 101 Response: frames go both ways with text kept as text and
// binary as binary, a Close frame's code and reason are carried across in either direction, and
// a client that vanishes (no Close frame, e.g. its process was killed) reaches the Worker as a
// close event with code 1006. Ping and pong are answered by `ws` and never reach the Worker.

import type { WebSocket as ClientSocket, RawData } from "ws";
import { ABNORMAL_CLOSURE } from "./events.js";
import { COUPLE, type WorkersWebSocket } from "./websocket.js";

/** Codes `ws` (and browsers) accept in a Close frame; RFC 6455 reserves the rest of 1000–2999. */
function sendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)
  );
}

function arrayBufferOf(data: RawData): ArrayBuffer {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

/** Couples `end` to `socket` until either side closes. */
export function bridgeWebSocket(socket: ClientSocket, end: WorkersWebSocket): void {
  const open = () => socket.readyState === socket.OPEN;
  const toClient = end[COUPLE]({
    send: (data) => {
      if (open()) socket.send(data, { binary: typeof data !== "string" });
    },
    close: (code, reason) => {
      if (!open()) return;
      // A code the Worker may use but a Close frame may not carry (1016–2999) goes out as none.
      if (sendableCloseCode(code)) socket.close(code, reason);
      else socket.close();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  });
  socket.on("message", (data, isBinary) => {
    toClient({
      kind: "message",
      data: isBinary ? arrayBufferOf(data) : Buffer.from(arrayBufferOf(data)).toString("utf8"),
    });
  });
  let failed = false;
  socket.on("error", (error) => {
    failed = true;
    toClient({ kind: "error", error });
  });
  socket.on("close", (code, reason) => {
    if (failed) return;
    toClient(
      code === 1006
        ? { kind: "close", ...ABNORMAL_CLOSURE, wasClean: false }
        : { kind: "close", code, reason: reason.toString("utf8"), wasClean: true },
    );
  });
}
