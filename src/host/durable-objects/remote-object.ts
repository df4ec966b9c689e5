// A Durable Object that another Cairn process hosts (it holds the object's lease): RPC calls,
// property reads and fetches are sent to that process's Durable Object listener, at the address
// kept with the lease, carrying the API token. Errors the object threw come back with their type
// and message (and `remote: true`); Cairn's own errors keep their code.

import { DurableObjectError } from "./errors.js";
import {
  decode,
  encode,
  FORWARD_PATH,
  FORWARD_TYPE,
  type ForwardAnswer,
  type ForwardCall,
  fromWireResponse,
  type ObjectAddress,
  toWireRequest,
} from "./forward-protocol.js";
import type { RemoteTarget } from "./stub.js";

type Where = ObjectAddress & { owner: string; address: string; token?: string | undefined };

function markRemote(error: unknown): unknown {
  if (typeof error === "object" && error !== null) {
    try {
      Object.defineProperty(error, "remote", {
        value: true,
        enumerable: false,
        configurable: true,
        writable: true,
      });
    } catch {}
  }
  return error;
}

export class RemoteObject implements RemoteTarget {
  private readonly where: Where;

  constructor(where: Where) {
    this.where = where;
  }

  async call(name: string, args: unknown[]): Promise<unknown> {
    const answer = await this.send({
      kind: "call",
      className: this.where.className,
      objectId: this.where.objectId,
      name,
      args,
    });
    if (answer.ok !== "value") throw this.unexpected(answer);
    return answer.value;
  }

  async read(name: string): Promise<{ value: unknown } | { method: true }> {
    const answer = await this.send({
      kind: "read",
      className: this.where.className,
      objectId: this.where.objectId,
      name,
    });
    if (answer.ok === "method") return { method: true };
    if (answer.ok !== "value") throw this.unexpected(answer);
    return { value: answer.value };
  }

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      throw new DurableObjectError(
        "durable_object.websocket_elsewhere",
        `Durable Object ${this.describe()} is hosted by another process (${this.where.owner}); ` +
          "Cairn does not forward WebSocket upgrades between processes. Connect through the process that hosts it, or run one process",
      );
    }
    const wire = await toWireRequest(request);
    const answer = await this.send({ ...this.object(), kind: "fetch", request: wire });
    if (answer.ok !== "response") throw this.unexpected(answer);
    return fromWireResponse(answer.response);
  }

  private object(): ObjectAddress {
    const { className, objectId, objectName } = this.where;
    return { className, objectId, objectName };
  }

  private describe(): string {
    return `${this.where.className} ${this.where.objectId}`;
  }

  /** Sends one call and answers the holder's answer; errors it carries are thrown here. */
  private async send(call: ForwardCall): Promise<ForwardAnswer> {
    const headers: Record<string, string> = { "content-type": FORWARD_TYPE };
    if (this.where.token) headers.authorization = `Bearer ${this.where.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.where.address}${FORWARD_PATH}`, {
        method: "POST",
        headers,
        body: encode(call) as Uint8Array<ArrayBuffer>,
      });
    } catch (error) {
      throw new DurableObjectError(
        "durable_object.forward_failed",
        `cannot reach the process hosting Durable Object ${this.describe()} (${this.where.owner} at ${this.where.address}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const body = new Uint8Array(await response.arrayBuffer());
    if (response.status === 401 || response.status === 403) {
      throw new DurableObjectError(
        "durable_object.forward_unauthorized",
        `the process hosting Durable Object ${this.describe()} (${this.where.address}) refused the call: ` +
          `${new TextDecoder().decode(body)}. Give every process the same --api-token (or CAIRN_API_TOKEN)`,
      );
    }
    if (response.status !== 200 || response.headers.get("content-type") !== FORWARD_TYPE) {
      throw new DurableObjectError(
        "durable_object.forward_failed",
        `the process hosting Durable Object ${this.describe()} (${this.where.address}) answered ${response.status}: ${new TextDecoder().decode(body).slice(0, 200)}`,
      );
    }
    const answer = decode<ForwardAnswer>(body, "answer");
    if (answer.ok === "error") throw markRemote(answer.error);
    if (answer.ok === "cairn_error") throw new DurableObjectError(answer.code, answer.message);
    return answer;
  }

  private unexpected(answer: ForwardAnswer): DurableObjectError {
    return new DurableObjectError(
      "durable_object.forward_failed",
      `the process hosting Durable Object ${this.describe()} answered "${answer.ok}", which does not fit the call`,
    );
  }
}
