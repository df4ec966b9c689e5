// End-to-end: a project in the shape of Cloudflare's workflows starter template runs under
// `cairn dev` with no change. Its built single-page app is served from dist/, an instance
// started through the API reports each stage to a Durable Object over RPC, a browser's
// WebSocket (accepted with the hibernation API) hears every report, and the approval event
// completes the instance. Then the same across a SIGKILL while the instance waits for approval:
// the socket drops, the client reconnects after the restart, the board's storage still holds
// the stages, and the approval completes the instance.

import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { navigate } from "./assets/helpers.js";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

type Progress = { type: "progress"; stages: Record<string, string>; done: boolean };

/** A browser's WebSocket to the progress board: every message it heard, and how it closed. */
class BoardWatcher {
  readonly heard: Progress[] = [];
  closed: { code: number } | null = null;
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => this.heard.push(JSON.parse(String(data)) as Progress));
    socket.on("close", (code) => {
      this.closed = { code };
    });
  }

  static connect(base: string, instanceId: string): Promise<BoardWatcher> {
    const url = `${base.replace(/^http/, "ws")}/ws?instanceId=${encodeURIComponent(instanceId)}`;
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new BoardWatcher(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) =>
        reject(new Error(`the upgrade was answered ${response.statusCode}`)),
      );
    });
  }

  /** Waits until some message heard satisfies `wanted`. */
  async hears(wanted: (p: Progress) => boolean, what: string): Promise<Progress> {
    const found = await waitUntil(
      () => this.heard.find(wanted),
      (p) => p !== undefined,
      { timeoutMs: 20_000, intervalMs: 20, what: `the board to report ${what}` },
    );
    return found!;
  }

  waitClosed(): Promise<{ code: number }> {
    return waitUntil(
      () => this.closed,
      (c) => c !== null,
      { timeoutMs: 10_000, intervalMs: 20, what: "the socket to close" },
    ) as Promise<{ code: number }>;
  }

  send(text: string): void {
    this.socket.send(text);
  }

  close(): void {
    this.socket.close(1000, "done");
  }
}

const stage = (name: string, state: string) => (p: Progress) => p.stages[name] === state;

describe("a project shaped like the workflows starter template", () => {
  it("serves the app, reports every stage over the Durable Object's WebSockets, and completes on approval", async () => {
    const dir = copyFixture("starter-project");
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("/assets/app.js");
    const script = await fetch(`${url}/assets/app.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    // A client-side route the browser navigates to gets the app's page.
    const route = await navigate(url, "/flows/recent");
    expect(route.status).toBe(200);
    expect(route.body).toContain("/assets/app.js");

    const started = await postJson<{ instanceId: string }>(url, "/api/flows", {});
    expect(started.status).toBe(200);
    const id = started.body.instanceId;
    const watcher = await BoardWatcher.connect(url, id);
    await watcher.hears(stage("prepare", "completed"), "prepare completed");
    await watcher.hears(stage("pause", "completed"), "the pause completed");
    await watcher.hears(stage("approval", "waiting"), "waiting for approval");
    await waitForHttpStatus(url, `/api/flows/${id}`, "waiting");
    // A message from the browser reaches the object's webSocketMessage, which answers with the state.
    const heardBefore = watcher.heard.length;
    watcher.send("refresh");
    await waitUntil(
      () => watcher.heard.length,
      (n) => n > heardBefore,
      { timeoutMs: 10_000, intervalMs: 20, what: "the board to answer the browser's message" },
    );
    expect(watcher.heard.at(-1)?.stages).toMatchObject({ approval: "waiting" });

    const sent = await postJson(url, `/api/flows/${id}/approve`, { approved: true });
    expect(sent.body).toEqual({ sent: true });
    const last = await watcher.hears((p) => p.done, "every stage completed");
    expect(last.stages).toEqual({
      prepare: "completed",
      pause: "completed",
      approval: "completed",
      finish: "completed",
    });
    const status = await waitForHttpStatus(url, `/api/flows/${id}`, "complete");
    expect(status.output).toMatchObject({ items: 3, approved: true });
    watcher.close();
    await cairn.kill("SIGTERM");
  });

  it("survives kill -9 while waiting for approval: the client reconnects and the board kept its stages", async () => {
    const dir = copyFixture("starter-project");
    const first = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await first.ready();
    const { body } = await postJson<{ instanceId: string }>(url, "/api/flows", {});
    const id = body.instanceId;
    const watcher = await BoardWatcher.connect(url, id);
    await watcher.hears(stage("approval", "waiting"), "waiting for approval");

    await first.kill("SIGKILL");
    await watcher.waitClosed();

    const port = new URL(url).port;
    const second = CairnProcess.start(["dev", "--port", port], dir);
    const again = await second.ready();
    const reconnected = await BoardWatcher.connect(again, id);
    // The first message is the board's state read back from its storage.
    const resumed = await reconnected.hears(() => true, "its state on connecting");
    expect(resumed.stages).toMatchObject({ prepare: "completed", pause: "completed", approval: "waiting" });

    await waitForHttpStatus(again, `/api/flows/${id}`, "waiting");
    await postJson(again, `/api/flows/${id}/approve`, { approved: false });
    await reconnected.hears((p) => p.done, "every stage completed after the restart");
    const status = await waitForHttpStatus(again, `/api/flows/${id}`, "complete");
    expect(status.output).toMatchObject({ items: 3, approved: false });
    const read = await getJson(again, `/api/flows/${id}`);
    expect(read.status).toBe(200);
    reconnected.close();
    await second.kill("SIGTERM");
  });
});
