// Test helper: a Cairn on a real SQLite file served by the HTTP API over a real HTTP server on
// 127.0.0.1, with a small client that sends JSON and reads the Cloudflare envelope back.

import type { Server } from "node:http";
import { Cairn, createApiHandler, type WorkflowDefinitionInput } from "cairn";
import { closeServer, createHttpServer, type HttpTimeouts, listen } from "../../../src/host/http-server.js";
import type { ApiHandlerOptions } from "../../../src/server/api-handler.js";
import { tempDir } from "../../helpers/temp-store.js";

export type Envelope<T = any> = {
  success: boolean;
  /** `{code, message, cairn_code}` each (typed loosely: tests index into it). */
  errors: any;
  messages: unknown[];
  result: T;
  result_info: any;
};

export type Answer<T = any> = { status: number; headers: Headers; body: Envelope<T> };

export type ApiServer<W extends Record<string, WorkflowDefinitionInput>> = {
  cairn: Cairn<W>;
  url: string;
  /** Sends a request (a non-string body is sent as JSON) and parses the envelope. */
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  close(): Promise<void>;
};

export async function startApiServer<W extends Record<string, WorkflowDefinitionInput>>(
  workflows: W,
  options: Omit<ApiHandlerOptions, "target"> & {
    env?: Record<string, unknown>;
    /** Another store than a fresh SQLite file (a PostgreSQL URL), with Cairn.open's options for it. */
    storage?: string;
    open?: Record<string, unknown>;
    /** Shorter bounds for slow clients than the server's own. */
    timeouts?: Partial<HttpTimeouts>;
  } = {},
): Promise<ApiServer<W>> {
  const dir = tempDir("cairn-api-");
  const cairn = await Cairn.open({
    storage: options.storage ?? `sqlite:${dir.dbPath}`,
    workflows,
    env: options.env ?? {},
    ...(options.open ?? {}),
  });
  const errors: unknown[] = [];
  const api = createApiHandler({ ...options, target: cairn, onError: (error) => errors.push(error) });
  const server: Server = createHttpServer(
    (request) =>
      api.handles(request) ? api.fetch(request) : Promise.resolve(new Response("worker", { status: 418 })),
    (error) => errors.push(error),
    options.timeouts,
  );
  const address = await listen(server, 0, "127.0.0.1");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    cairn,
    url,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text) };
    },
    async close() {
      server.closeAllConnections();
      await closeServer(server);
      await cairn.close();
      dir.cleanup();
      if (errors.length > 0)
        throw new Error(`the API reported server errors: ${errors.map(String).join("; ")}`);
    },
  };
}
