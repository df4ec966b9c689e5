// The Durable Object listener's gate without an API token: callers on loopback get through, a
// caller from another address is refused (401), and a call for an object this process does not
// host is answered "moved", so that the caller looks it up again.

import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { DurableObjectError } from "../../../src/host/durable-objects/errors.js";
import { ForwardListener } from "../../../src/host/durable-objects/forward-listener.js";
import {
  decode,
  encode,
  FORWARD_PATH,
  FORWARD_TYPE,
} from "../../../src/host/durable-objects/forward-protocol.js";
import { silentLog } from "./helpers.js";

/** An address of this machine other than loopback, if it has one. */
function outwardAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return undefined;
}

const opened: ForwardListener[] = [];
afterEach(async () => {
  for (const listener of opened.splice(0)) await listener.close();
});

async function open(ip: string, token: string | undefined) {
  const { listener, port } = await ForwardListener.open({
    ip,
    token,
    hostHere: async ({ className, objectId }) => {
      throw new DurableObjectError("durable_object.moved", `${className} ${objectId} is not hosted here`);
    },
    log: silentLog,
  });
  opened.push(listener);
  return port;
}

function post(host: string, port: number, headers: Record<string, string> = {}) {
  return fetch(`http://${host}:${port}${FORWARD_PATH}`, {
    method: "POST",
    headers: { "content-type": FORWARD_TYPE, ...headers },
    body: encode({
      kind: "read",
      className: "Counter",
      objectId: "abc",
      name: "x",
    }) as Uint8Array<ArrayBuffer>,
  });
}

describe("the Durable Object listener", () => {
  it("lets loopback callers in without a token and answers 'moved' for an object hosted elsewhere", async () => {
    const port = await open("127.0.0.1", undefined);
    const response = await post("127.0.0.1", port);
    expect(response.status).toBe(200);
    expect(decode(new Uint8Array(await response.arrayBuffer()), "answer")).toEqual({
      ok: "cairn_error",
      code: "durable_object.moved",
      message: "Counter abc is not hosted here",
    });
  });

  const outward = outwardAddress();
  it.skipIf(outward === undefined)(
    "refuses a caller from another address when no token is configured",
    async () => {
      const port = await open("0.0.0.0", undefined);
      const response = await post(outward!, port);
      expect(response.status).toBe(401);
      expect(await response.text()).toContain("only callers on this machine");
    },
  );

  it("lets a caller with the token in from any address", async () => {
    const port = await open("0.0.0.0", "secret");
    expect((await post("127.0.0.1", port)).status).toBe(401);
    expect((await post("127.0.0.1", port, { authorization: "Bearer secret" })).status).toBe(200);
  });
});
