// The dashboard's only way to Cairn: fetch on this origin, in Cloudflare's envelope. Reads go to
// Cairn's own routes (the full view: keys, attempts, retry delays); actions go to the explorer
// API that wrangler uses too. A failure becomes an ApiFailure carrying the server's code and
// message, shown as is; a lost session sends the browser back to sign in.

import { CAIRN_API, config, EXPLORER_API } from "./config.js";

export class ApiFailure extends Error {
  override readonly name = "ApiFailure";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Envelope<T> = {
  success: boolean;
  result: T;
  result_info?: Record<string, unknown>;
  errors?: { code?: number | string; message?: string; cairn_code?: string }[];
};

function signInAgain(): never {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`${config.base}sign-in?next=${encodeURIComponent(here)}`);
  throw new ApiFailure(401, "auth.missing", "Signed out: sign in again");
}

async function call<T>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ result: T; info: Record<string, unknown> }> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (config.csrf) headers["x-cairn-csrf"] = config.csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new ApiFailure(0, "network", `Cairn did not answer: ${(error as Error).message}`);
  }
  if (response.status === 401 && config.signedIn) signInAgain();
  let envelope: Envelope<T>;
  try {
    envelope = (await response.json()) as Envelope<T>;
  } catch {
    throw new ApiFailure(
      response.status,
      "response.invalid",
      `Cairn answered ${response.status} without JSON`,
    );
  }
  if (!response.ok || !envelope.success) {
    const first = envelope.errors?.[0];
    throw new ApiFailure(
      response.status,
      first?.cairn_code ?? String(first?.code ?? response.status),
      first?.message ?? `Cairn answered ${response.status}`,
    );
  }
  return { result: envelope.result, info: envelope.result_info ?? {} };
}

const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

export const read = {
  get: <T>(url: string) => call<T>("GET", url),
  cairn: <T>(rest: string) => call<T>("GET", `${CAIRN_API}/${rest}`),
};

/** Cairn's routes for one workflow, or one of its instances. */
export const routes = {
  workflows: () => `workflows`,
  workflow: (name: string) => `workflows/${path(name)}`,
  instances: (name: string) => `workflows/${path(name)}/instances`,
  instance: (name: string, id: string) => `workflows/${path(name, "instances", id)}`,
  log: (name: string, id: string) => `workflows/${path(name, "instances", id)}/log`,
  stepOutput: (name: string, id: string, key: string) =>
    `workflows/${path(name, "instances", id, "steps", key)}/output`,
  activity: (name: string) => `workflows/${path(name)}/activity`,
};

const explorerInstance = (name: string, id: string) =>
  `${EXPLORER_API}/workflows/${path(name, "instances", id)}`;

export type RestartFrom = { name: string; count: number; type: "do" | "sleep" | "waitForEvent" };

/** The actions, as the explorer API takes them. */
export const act = {
  create: (name: string, body: { id?: string; params?: unknown }) =>
    call<{ id: string }>("POST", `${EXPLORER_API}/workflows/${path(name)}/instances`, body),
  pause: (name: string, id: string) =>
    call("PATCH", `${explorerInstance(name, id)}/status`, { status: "pause" }),
  resume: (name: string, id: string) =>
    call("PATCH", `${explorerInstance(name, id)}/status`, { status: "resume" }),
  terminate: (name: string, id: string, rollback: boolean) =>
    call("PATCH", `${explorerInstance(name, id)}/status`, {
      status: "terminate",
      ...(rollback ? { rollback } : {}),
    }),
  restart: (name: string, id: string, from?: RestartFrom) =>
    call("PATCH", `${explorerInstance(name, id)}/status`, { status: "restart", ...(from ? { from } : {}) }),
  sendEvent: (name: string, id: string, type: string, payload: unknown) =>
    call("POST", `${explorerInstance(name, id)}/events/${encodeURIComponent(type)}`, payload ?? null),
  remove: (name: string, id: string) => call("DELETE", explorerInstance(name, id)),
  removeAll: (name: string) => call<{ deleted: number }>("DELETE", `${EXPLORER_API}/workflows/${path(name)}`),
  removeMany: (name: string, ids: string[]) =>
    call<{ deleted: { id: string }[]; errors: { id: string; message: string }[] }>(
      "POST",
      `${EXPLORER_API}/workflows/${path(name)}/instances/batch/delete`,
      { instances: ids },
    ),
};
