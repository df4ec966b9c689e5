// `new WebSocketPair()`: two linked WebSocket ends, `0` (by custom the client's, returned in the
// 101 Response) and `1` (the server's, which the Worker accepts). Like Cloudflare's, the pair is
// indexable and iterable, so `Object.values(pair)` and `const [client, server] = …` both work.

import { LINK, PAIR_TOKEN, WorkersWebSocket } from "./websocket.js";

export class WebSocketPair {
  readonly 0: WorkersWebSocket;
  readonly 1: WorkersWebSocket;

  constructor() {
    const first = new WorkersWebSocket(PAIR_TOKEN);
    const second = new WorkersWebSocket(PAIR_TOKEN);
    first[LINK](second);
    second[LINK](first);
    this[0] = first;
    this[1] = second;
  }

  *[Symbol.iterator](): IterableIterator<WorkersWebSocket> {
    yield this[0];
    yield this[1];
  }
}
