// The handlers the host finds in a Worker module: `queue` is found like `fetch` and `scheduled`,
// on an object default export (called with batch, env, ctx) or on a WorkerEntrypoint class
// (constructed with ctx and env, called with the batch).

import { describe, expect, it } from "vitest";
import type { ExecutionContext } from "../api/types.js";
import type { MessageBatch } from "./queues/message-batch.js";
import { checkWorkerModule } from "./worker-module.js";

const config = { main: "/p/src/index.ts", workflows: [] };
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as ExecutionContext;
const batch = { queue: "jobs", messages: [], ackAll: () => {}, retryAll: () => {} } as MessageBatch;

describe("checkWorkerModule", () => {
  it("finds a queue handler on an object default export", async () => {
    const seen: unknown[] = [];
    const module = checkWorkerModule(
      {
        default: {
          async queue(b: MessageBatch, env: unknown) {
            seen.push(b.queue, env);
          },
        },
      },
      config,
    );
    await module.queue?.(batch, { A: 1 }, ctx);
    expect(seen).toEqual(["jobs", { A: 1 }]);
  });

  it("finds a queue handler on a WorkerEntrypoint-style class", async () => {
    const seen: unknown[] = [];
    class Entry {
      env: unknown;
      constructor(_ctx: ExecutionContext, env: unknown) {
        this.env = env;
      }
      async queue(b: MessageBatch) {
        seen.push(b.queue, this.env);
      }
    }
    const module = checkWorkerModule({ default: Entry }, config);
    await module.queue?.(batch, { B: 2 }, ctx);
    expect(seen).toEqual(["jobs", { B: 2 }]);
  });

  it("has no queue handler when the default export has none", () => {
    expect(checkWorkerModule({ default: { fetch: () => new Response() } }, config).queue).toBeNull();
  });
});
