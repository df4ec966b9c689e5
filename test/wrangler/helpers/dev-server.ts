// Test helper: `cairn dev` on a copy of test/fixtures/wrangler-project, with its state in a
// temporary folder and a free port, plus JSON reads of its APIs with a bounded wait on a condition.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { CairnProcess } from "../../host/helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../../host/helpers/projects.js";

export type DevServer = {
  cairn: CairnProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  stop(): Promise<void>;
};

export async function startDevServer(): Promise<DevServer> {
  const dir = copyFixture("wrangler-project");
  const state = mkdtempSync(join(tmpdir(), "cairn-wrangler-state-"));
  const cairn = CairnProcess.start(["dev", dir, "--port", "0", "--state", state], dir);
  const url = await cairn.ready();
  return {
    cairn,
    url,
    port: Number(new URL(url).port),
    async stop() {
      await CairnProcess.killAll();
      removeProjects();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

export type Envelope<T = any> = {
  success: boolean;
  errors: { code: number; message: string }[];
  messages: unknown[];
  result: T;
  result_info?: any;
};

/** GETs `path` on `base` and parses the envelope; `status` is the HTTP status. */
export async function getEnvelope<T = any>(
  base: string,
  path: string,
): Promise<Envelope<T> & { status: number }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, ...((await response.json()) as Envelope<T>) };
}

/** Polls `GET path` until `accept` holds for its `result` (an error answer counts as not yet). */
export async function waitForResult<T = any>(
  base: string,
  path: string,
  accept: (result: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const answer = await waitUntil(
    () => getEnvelope<T>(base, path),
    (envelope) => envelope.success && accept(envelope.result),
    { timeoutMs, intervalMs: 25, what },
  );
  return answer.result;
}

/** Sends `body` (JSON) with `method` to `path` on `base` and parses the envelope. */
export async function sendJson<T = any>(
  base: string,
  method: string,
  path: string,
  body: unknown,
): Promise<Envelope<T> & { status: number }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as Envelope<T>) };
}
