// Test helper: runs `cairn workflows …` in the test process with a fake server (a fetch that
// answers from a route table and records every request) or a real one, captured output, a
// fixed clock and an exit that is caught instead of ending the process.

import { Command } from "commander";
import type { CliIo } from "../../../src/cli/workflows/io.js";
import { createWorkflowsCommand } from "../../../src/cli/workflows/register.js";

export type Recorded = { method: string; url: URL; headers: Headers; body: string | null };

/** What a route answers: a result (wrapped in the envelope), or a full response. */
export type Answer =
  | { result: unknown; result_info?: unknown }
  /** Raw bytes, as the step output route answers a stream result. */
  | { bytes: Uint8Array }
  | { status: number; body: unknown }
  | { throws: Error };

/** `METHOD /path` (path after /client/v4/accounts/<acct>, or the whole path) → answer. */
export type Routes = Record<string, Answer | ((request: Recorded) => Answer)>;

export type RunResult = {
  code: number;
  stdout: string;
  stderr: string;
  requests: Recorded[];
  files: Map<string, string>;
};

export const NOW = Date.parse("2026-12-04T10:05:00.000Z");

class Exit extends Error {
  readonly code: number;

  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

function routeKey(method: string, url: URL): string {
  const path = url.pathname.replace(/^\/client\/v4\/accounts\/[^/]+/, "");
  return `${method} ${path}`;
}

export function envelope(result: unknown, resultInfo?: unknown): unknown {
  return {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo ? { result_info: resultInfo } : {}),
  };
}

export function apiFailure(status: number, code: number, message: string, cairnCode?: string): Answer {
  return {
    status,
    body: {
      success: false,
      errors: [{ code, message, ...(cairnCode ? { cairn_code: cairnCode } : {}) }],
      messages: [],
      result: null,
    },
  };
}

export function fakeFetch(routes: Routes, requests: Recorded[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const recorded: Recorded = {
      method,
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : null,
    };
    requests.push(recorded);
    const route = routes[routeKey(method, url)];
    if (!route)
      return Response.json({ success: false, errors: [{ code: 404, message: "no route" }] }, { status: 404 });
    const answer = typeof route === "function" ? route(recorded) : route;
    if ("throws" in answer) throw answer.throws;
    if ("bytes" in answer)
      return new Response(answer.bytes, { headers: { "content-type": "application/octet-stream" } });
    if ("status" in answer) return new Response(JSON.stringify(answer.body), { status: answer.status });
    return Response.json(envelope(answer.result, answer.result_info));
  }) as typeof fetch;
}

/** `real`, recording each request it sends. */
function recordingFetch(real: typeof fetch, requests: Recorded[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({
      method: init?.method ?? "GET",
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : null,
    });
    return real(input, init);
  }) as typeof fetch;
}

export type RunOptions = {
  routes?: Routes;
  /** A real fetch (to a real server) instead of the route table; requests are still recorded. */
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
  tty?: boolean;
  files?: Record<string, string>;
};

/** Runs `cairn workflows <args>` and returns the exit status, output and requests. */
export async function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const requests: Recorded[] = [];
  const files = new Map(Object.entries(options.files ?? {}));
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
      isTTY: options.tty ?? false,
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
    env: options.env ?? {},
    now: () => NOW,
    fetch: options.fetch
      ? recordingFetch(options.fetch, requests)
      : fakeFetch(options.routes ?? {}, requests),
    readFile: async (path) => {
      const text = files.get(path);
      if (text === undefined) throw new Error(`ENOENT: no such file '${path}'`);
      return text;
    },
    writeFile: async (path, text) => {
      files.set(path, text);
    },
    exit: (code: number) => {
      throw new Exit(code);
    },
  };
  const program = new Command().name("cairn").exitOverride();
  program.addCommand(createWorkflowsCommand(io));
  let code: number;
  try {
    await program.parseAsync(["workflows", ...args], { from: "user" });
    throw new Error("the command returned without exiting");
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  return { code, stdout, stderr, requests, files };
}
