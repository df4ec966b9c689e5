// A thousand clients at once on a real listening socket, each on its own TCP connection: some
// read the workflows, some create an instance, some send a body over the limit, some send bytes
// that are not HTTP and some hang up half-way. Every complete request is answered (200, or a
// clean 4xx in the envelope), none with a 5xx, nothing is reported as the server's fault, the
// heap grows by a bounded amount, and the server serves as before once they are gone.
// FUZZ_SCALE=10 opens ten rounds of them.

import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const E = "/cdn-cgi/local/explorer/api";
const CLIENTS = 1_000;
const ROUNDS = Number(process.env.FUZZ_SCALE ?? 1);
/** Far above what a thousand small requests take; a connection still open by then has hung. */
const GENEROUS_MS = 60_000;

let api: ApiServer<typeof workflows>;
let port: number;
beforeAll(async () => {
  api = await startApiServer(workflows, {});
  port = Number(new URL(api.url).port);
});
afterAll(async () => {
  await api?.close();
});

type Kind = "read" | "create" | "oversized" | "garbage" | "hang-up";
const KINDS: Kind[] = ["read", "read", "read", "oversized", "garbage", "hang-up"];
/** One in fifty creates an instance (each starts a run: many would time the engine, not HTTP). */
const kindOf = (i: number): Kind => (i % 50 === 7 ? "create" : KINDS[i % KINDS.length]!);

function bytesFor(kind: Kind, i: number): string {
  const head = "Host: localhost\r\nConnection: close\r\n";
  switch (kind) {
    case "read":
      return `GET ${E}/workflows/quick HTTP/1.1\r\n${head}\r\n`;
    case "create": {
      const body = JSON.stringify({ id: `many-${i}` });
      return `POST ${E}/workflows/quick/instances HTTP/1.1\r\n${head}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    }
    case "oversized":
      return `POST ${E}/workflows/quick/instances HTTP/1.1\r\n${head}Content-Length: ${1024 ** 3}\r\n\r\n{`;
    case "garbage":
      return `\u0001\u0002 not http at all\r\n\r\n`;
    case "hang-up":
      return `POST ${E}/workflows/quick/instances HTTP/1.1\r\n${head}Content-Length: 100\r\n\r\n{"id":`;
  }
}

/** Opens a connection, sends the bytes, and resolves with what came back once it closed. */
function client(kind: Kind, i: number): Promise<{ kind: Kind; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`a ${kind} connection still open after ${GENEROUS_MS} ms: ${answer.slice(0, 200)}`));
    }, GENEROUS_MS);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ kind, answer });
    });
    socket.on("connect", () => {
      socket.write(bytesFor(kind, i));
      // The client that hangs up goes away before its body is complete.
      if (kind === "hang-up") socket.destroy();
    });
  });
}

describe("a thousand connections at once", () => {
  it(
    "answers every one cleanly, never a 5xx, within bounded memory, and serves as before afterwards",
    async () => {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      for (let round = 0; round < ROUNDS; round++) {
        const results = await Promise.all(
          Array.from({ length: CLIENTS }, (_, i) => client(kindOf(i), round * CLIENTS + i)),
        );
        const statuses = new Map<Kind, Set<string>>();
        for (const { kind, answer } of results) {
          const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? (answer === "" ? "none" : "unparsed");
          statuses.set(kind, (statuses.get(kind) ?? new Set()).add(status));
        }
        const seen = Object.fromEntries([...statuses].map(([k, s]) => [k, [...s].sort()]));
        expect(seen).toEqual({
          read: ["200"],
          create: ["200"],
          oversized: ["413"],
          garbage: ["400"],
          // Gone before it finished its request: nothing to answer, nothing reported.
          "hang-up": ["none"],
        });
      }
      const created = await api.call("GET", `${E}/workflows/quick/instances?per_page=1`, undefined, {
        host: "localhost",
      });
      const creates = Array.from({ length: CLIENTS }, (_, i) => kindOf(i)).filter((k) => k === "create");
      expect(created.body.result_info.total_count).toBe(ROUNDS * creates.length);
      // Bounded: well under what a thousand held bodies or leaked requests would keep.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
      const after = await api.call("GET", `${E}/workflows`, undefined, { host: "localhost" });
      expect(after.status).toBe(200);
    },
    120_000 * ROUNDS,
  );
});
