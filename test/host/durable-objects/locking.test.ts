// An object's file is held by the one process it is live in: a second process (as a second
// `cairn start` worker sharing the data dir would) gets `durable_object.hosted_elsewhere` and
// writes nothing; once the first process closes the object, the second opens it and sees its data.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { DurableObjectError } from "../../../src/host/durable-objects/errors.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost, tempDir } from "./helpers.js";

afterEach(cleanUp);

const child = fileURLToPath(new URL("./open-object-child.ts", import.meta.url));

async function openInAnotherProcess(
  path: string,
): Promise<{ opened: boolean; code?: string; keys?: number; message?: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", child, path], {
    cwd: fileURLToPath(new URL("../../..", import.meta.url)),
  });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

class Counter extends DurableObject {
  async bump() {
    await this.ctx.storage.put("n", ((await this.ctx.storage.get<number>("n")) ?? 0) + 1);
  }
}

describe("one process per object", () => {
  it("refuses a live object's file to a second process with a coded error, and lets it in after close", async () => {
    const dir = tempDir();
    const host = openHost({ Counter }, { Counter: "sqlite" }, { dir });
    const id = host.registry.namespace("Counter").idFromName("c");
    await (host.registry.namespace("Counter").get(id) as any).bump();
    const file = join(dir, "Counter", `${id}.sqlite`);

    const refused = await openInAnotherProcess(file);
    expect(refused).toMatchObject({ opened: false, code: "durable_object.hosted_elsewhere" });
    expect(refused.message).toContain("is live in another process sharing this data dir");

    await host.close();
    expect(await openInAnotherProcess(file)).toEqual({ opened: true, keys: 1 });
  });

  it("refuses a second host in the same process too, at the object's first call", async () => {
    const dir = tempDir();
    const first = openHost({ Counter }, { Counter: "sqlite" }, { dir });
    const second = openHost({ Counter }, { Counter: "sqlite" }, { dir });
    await (first.registry.namespace("Counter").getByName("c") as any).bump();
    const stub = second.registry.namespace("Counter").getByName("c") as any;
    const error = await stub.bump().catch((e: unknown) => e);
    expect(DurableObjectError.is(error)).toBe(true);
    expect(error.code).toBe("durable_object.hosted_elsewhere");
    await first.close();
    await stub.bump();
    expect(await second.registry.object("Counter", stub.id).storage.get("n")).toBe(2);
  });
});
