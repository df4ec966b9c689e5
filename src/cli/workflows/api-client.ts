// The HTTP client for Cloudflare's REST v4 workflow routes, as Cairn serves them under
// `<url>/client/v4/accounts/cairn`. One method per route; each unwraps the v4 envelope and
// throws ApiError (the server said no), ConnectionError (nobody answered) or a CliError for an
// answer that is not the envelope. Path segments are percent-encoded.

import { ApiError, CliError, ConnectionError, UsageError } from "./errors.js";
import type {
  BatchDeleteResult,
  CairnInstanceDetails,
  CreatedInstance,
  Envelope,
  InstanceDetails,
  InstanceListItem,
  ResultInfo,
  StatusChange,
  StatusChangeBody,
  TerminateAllResult,
  WorkflowInfo,
} from "./wire-types.js";

/** Cairn accepts any account id; this one reads well in logs. */
const ACCOUNT = "cairn";

export type ClientOptions = {
  /** The server's base URL, e.g. http://localhost:8787. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  apiToken?: string;
  fetch?: typeof fetch;
  /** How long one request may take before it counts as no answer (default 30 s). */
  timeoutMs?: number;
};

export type Page<T> = { result: T; info: ResultInfo };

type Query = Record<string, string | number | undefined>;

type RequestInit = { query?: Query; body?: string };

export type InstanceQuery = {
  status?: string;
  date_start?: string;
  date_end?: string;
  per_page?: number;
  page?: number;
  cursor?: string;
};

/** Checks and normalises a server URL (no trailing slash); a UsageError when it is not http(s). */
export function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: "${url}" is not a URL (expected e.g. http://localhost:8787)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new UsageError(`--url: "${url}" is not an http:// or https:// URL`);
  // The `api` URL of cairn's ready line (…/client/v4/accounts/local/workflows) works as well.
  parsed.pathname = parsed.pathname.replace(/\/client\/v4(\/accounts\/[^/]*(\/workflows)?)?\/?$/, "");
  parsed.search = "";
  parsed.hash = "";
  return parsed.href.replace(/\/+$/, "");
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export class WorkflowsClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.url = normaliseUrl(options.url);
    this.token = options.apiToken || undefined;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends one request to `<url><prefix>/<segments…>` and unwraps the envelope. */
  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<Page<T>> {
    return this.unwrap<T>(await this.send(method, path, init), method, path);
  }

  /**
   * Sends one request whose success is raw bytes (`application/octet-stream`); an error answer
   * is read as the envelope, and a JSON success is a CliError naming `what` was expected.
   */
  async requestBytes(
    method: string,
    path: string,
    init: RequestInit & { what: string },
  ): Promise<Uint8Array> {
    const response = await this.send(method, path, init);
    const type = response.headers.get("content-type") ?? "";
    if (response.ok && type.startsWith("application/octet-stream"))
      return new Uint8Array(await response.arrayBuffer());
    await this.unwrap<unknown>(response, method, path);
    throw new CliError(
      "cli.bad_response",
      1,
      `${method} ${path} answered JSON where ${init.what} was expected`,
    );
  }

  private async send(method: string, path: string, init: RequestInit): Promise<Response> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(init.query ?? {}))
      if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    const target = `${this.url}${path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(target, {
        method,
        headers,
        body: init.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      const reason =
        name === "TimeoutError" || name === "AbortError"
          ? `no answer within ${this.timeoutMs / 1000} s`
          : reasonOf(error);
      throw new ConnectionError(this.url, reason, { cause: error });
    }
    return response;
  }

  private async unwrap<T>(response: Response, method: string, path: string): Promise<Page<T>> {
    const text = await response.text();
    if (text === "" && response.ok) return { result: null as T, info: {} };
    let body: Partial<Envelope<T>>;
    try {
      body = JSON.parse(text) as Partial<Envelope<T>>;
    } catch {
      throw new CliError(
        "cli.bad_response",
        1,
        `${method} ${path} answered HTTP ${response.status} with a body that is not JSON; ` +
          `is ${this.url} a Cairn server? (\`cairn start\` serves the API on its admin port, 8788 by default)`,
      );
    }
    if (!response.ok || body?.success === false) {
      const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
      let detail = first?.message ?? `${method} ${path} failed`;
      if (response.status === 401 && !this.token) detail += "; pass --api-token or set CAIRN_API_TOKEN";
      throw new ApiError(response.status, detail, first?.code ?? null, first?.cairn_code ?? null);
    }
    if (typeof body !== "object" || body === null || !("result" in body))
      throw new CliError(
        "cli.bad_response",
        1,
        `${method} ${path} answered without a v4 envelope; is ${this.url} a Cairn server?`,
      );
    return { result: body.result as T, info: body.result_info ?? {} };
  }

  private path(...segments: string[]): string {
    return `/client/v4/accounts/${ACCOUNT}/workflows${segments.map((s) => `/${encodeURIComponent(s)}`).join("")}`;
  }

  listWorkflows(query: { page?: number; per_page?: number }): Promise<Page<WorkflowInfo[]>> {
    return this.request("GET", this.path(), { query });
  }

  async getWorkflow(name: string): Promise<WorkflowInfo> {
    return (await this.request<WorkflowInfo>("GET", this.path(name))).result;
  }

  async deleteWorkflow(name: string): Promise<unknown> {
    return (await this.request("DELETE", this.path(name))).result;
  }

  async createInstance(
    name: string,
    body: { instance_id?: string; params?: unknown },
  ): Promise<CreatedInstance> {
    return (
      await this.request<CreatedInstance>("POST", this.path(name, "instances"), {
        body: JSON.stringify(body),
      })
    ).result;
  }

  listInstances(name: string, query: InstanceQuery = {}): Promise<Page<InstanceListItem[]>> {
    return this.request("GET", this.path(name, "instances"), { query });
  }

  async getInstance(name: string, id: string): Promise<InstanceDetails> {
    return (await this.request<InstanceDetails>("GET", this.path(name, "instances", id))).result;
  }

  async changeStatus(name: string, id: string, body: StatusChangeBody): Promise<StatusChange> {
    return (
      await this.request<StatusChange>("PATCH", this.path(name, "instances", id, "status"), {
        body: JSON.stringify(body),
      })
    ).result;
  }

  /** `payload` is sent as is: the caller checked that it is JSON. */
  async sendEvent(name: string, id: string, type: string, payload: string): Promise<unknown> {
    return (await this.request("POST", this.path(name, "instances", id, "events", type), { body: payload }))
      .result;
  }

  async terminateAll(name: string, status?: string): Promise<TerminateAllResult> {
    return (
      await this.request<TerminateAllResult>("PUT", this.path(name, "instances", "terminate"), {
        query: { status },
      })
    ).result;
  }

  async deleteInstances(name: string, ids: string[]): Promise<BatchDeleteResult> {
    return (
      await this.request<BatchDeleteResult>("POST", this.path(name, "instances", "batch", "delete"), {
        body: JSON.stringify({ instances: ids }),
      })
    ).result;
  }

  private cairnPath(name: string, id: string, ...rest: string[]): string {
    return `/cairn/api/workflows/${[name, "instances", id, ...rest].map(encodeURIComponent).join("/")}`;
  }

  /** Cairn's own route: the instance's append-only event log. */
  async instanceLog(name: string, id: string): Promise<unknown[]> {
    return (await this.request<unknown[]>("GET", this.cairnPath(name, id, "log"))).result;
  }

  /**
   * Cairn's own route: the instance in Cairn's full view (step keys, counts, events, errors).
   * `includeSensitive` asks the server to show sensitive outputs instead of "[REDACTED]".
   */
  async cairnInstance(
    name: string,
    id: string,
    options: { includeSensitive?: boolean } = {},
  ): Promise<CairnInstanceDetails> {
    const query = options.includeSensitive ? { include_sensitive: "true" } : {};
    return (await this.request<CairnInstanceDetails>("GET", this.cairnPath(name, id), { query })).result;
  }

  /** Cairn's own route: the bytes of a finished stream step's result, by step key. */
  stepStreamBytes(
    name: string,
    id: string,
    key: string,
    options: { includeSensitive?: boolean } = {},
  ): Promise<Uint8Array> {
    const query = options.includeSensitive ? { include_sensitive: "true" } : {};
    return this.requestBytes("GET", this.cairnPath(name, id, "steps", key, "output"), {
      query,
      what: `the bytes of stream step "${key}"`,
    });
  }
}
