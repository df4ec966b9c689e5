// End-to-end: a real `cairn dev` serving a Worker whose fetch handler answers /ws with a
// WebSocketPair echo. Text and binary frames come back as sent, close codes cross both ways, a
// plain request to /ws gets the Worker's 426, the HTTP API is unaffected, stopping the host
// closes connections with 1001, and a client connected when the process is SIGKILLed sees the
// connection drop and connects again once the project is served anew.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket as Client } from "ws";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, getJson, removeProjects } from "../helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

/** A connected client collecting what it receives (the greeting first). */
async function connect(url: string) {
  const client = new Client(`${url.replace(/^http/, "ws")}/ws`);
  const received: { data: string; isBinary: boolean }[] = [];
  client.on("message", (data, isBinary) => received.push({ data: String(data), isBinary }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    client.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  client.on("error", () => {});
  await new Promise((resolve, reject) => {
    client.once("open", resolve);
    client.once("error", reject);
  });
  const greeted = await waitUntil(
    async () => received[0]?.data,
    (first) => first !== undefined,
    { timeoutMs: 10_000, what: "the greeting" },
  );
  return { client, received, closed, greeting: greeted! };
}

const received = (list: { data: string }[], wanted: string) =>
  waitUntil(
    async () => list,
    (all) => all.some((m) => m.data === wanted),
    { timeoutMs: 10_000, what: `"${wanted}" to come back` },
  );

describe("WebSockets under cairn dev", () => {
  const dir = copyFixture("websocket-project");

  it("echoes text and binary, carries close codes both ways, follows the compatibility date, closes with 1001 on stop", async () => {
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();

    const first = await connect(url);
    expect(first.greeting).toMatch(/^hello from /);
    first.client.send("ping");
    first.client.send(Buffer.from([1, 2, 3]));
    await received(first.received, "ping");
    await waitUntil(
      async () => first.received,
      (all) => all.length >= 3,
      { timeoutMs: 10_000, what: "the binary echo" },
    );
    expect(first.received.slice(1)).toEqual([
      { data: "ping", isBinary: false },
      { data: String(Buffer.from([1, 2, 3])), isBinary: true },
    ]);
    first.client.close(4100, "client done");
    expect(await first.closed).toEqual({ code: 4100, reason: "client done" });

    const second = await connect(url);
    second.client.send("close please");
    expect(await second.closed).toEqual({ code: 4000, reason: "as you wish" });

    const events = await waitUntil(
      async () => (await getJson(url, "/events")).body.closes as unknown[],
      (closes) => closes.length === 2,
      { timeoutMs: 10_000, what: "both closes recorded by the Worker" },
    );
    // The project's compatibility date is past 2026-04-07: a Close frame is answered by the
    // runtime, so the socket is CLOSED (3) when the close event fires.
    expect(events).toEqual([
      { code: 4100, reason: "client done", wasClean: true, readyState: 3, isCloseEvent: true },
      { code: 4000, reason: "as you wish", wasClean: true, readyState: 3, isCloseEvent: true },
    ]);

    const plain = await fetch(`${url}/ws`);
    expect(plain.status).toBe(426);
    expect(await plain.text()).toBe("Expected Upgrade: websocket");
    const api = await fetch(`${url}/client/v4/accounts/local/workflows`);
    expect(api.status).toBe(200);

    // With an older compatibility date the Worker hears of the Close frame before it is answered.
    const config = join(dir, "wrangler.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace("2026-05-01", "2025-06-01"));
    await cairn.waitForLog(
      (l) => l.msg === "reloaded" && l.restarted === true,
      "the restart on the config change",
    );
    const older = await connect(url);
    older.client.close(4200, "older");
    await older.closed;
    const olderCloses = await waitUntil(
      async () => (await getJson(url, "/events")).body.closes as unknown[],
      (closes) => closes.length === 1,
      { timeoutMs: 10_000, what: "the close under the older date" },
    );
    expect(olderCloses).toEqual([
      { code: 4200, reason: "older", wasClean: true, readyState: 2, isCloseEvent: true },
    ]);

    const third = await connect(url);
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    expect((await third.closed).code).toBe(1001);
  });

  it("a client connected when the process is SIGKILLed sees the drop, and reconnects after a restart", async () => {
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();
    const before = await connect(url);
    before.client.send("still here");
    await received(before.received, "still here");

    expect(await cairn.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    expect((await before.closed).code).toBe(1006);

    const again = CairnProcess.start(["dev", "--port", "0"], dir);
    const nextUrl = await again.ready();
    const after = await connect(nextUrl);
    expect(after.greeting).not.toBe(before.greeting);
    after.client.send("back again");
    await received(after.received, "back again");
    after.client.close(1000);
    await after.closed;
  });
});
