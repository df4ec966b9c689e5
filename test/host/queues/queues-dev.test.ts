// End-to-end: Queues under a real `cairn dev`. The fixture's fetch handler sends to a queue and
// its queue handler appends each delivery to a file. Messages reach the handler, failing ones end
// in the dead letter queue, bad sends get Cloudflare's errors, a consumer without a queue handler
// stops start-up, and a process SIGKILLed mid-batch delivers the unacknowledged messages again
// after a restart, with their attempts counted and none lost.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, postJson, removeProjects } from "../helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

type Record = { queue?: string; body?: unknown; attempts?: number; id?: string; holding?: boolean };

function records(dir: string): Record[] {
  const file = join(dir, "records.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record);
}

function waitForRecords(dir: string, done: (all: Record[]) => boolean, what: string) {
  return waitUntil(async () => records(dir), done, { timeoutMs: 30_000, intervalMs: 25, what });
}

describe("Queues in cairn dev", () => {
  it("delivers sent messages to the queue handler and moves failing ones to the dead letter queue", async () => {
    const dir = copyFixture("queues-project");
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();
    expect(await postJson(url, "/send", { bodies: [{ n: 1 }, { n: 2 }, { fail: true }] })).toEqual({
      status: 200,
      body: { sent: 3 },
    });
    const all = await waitForRecords(
      dir,
      (rs) => rs.some((r) => r.queue === "jobs-dlq"),
      "the failing message in the dead letter queue",
    );
    const jobs = all.filter((r) => r.queue === "jobs");
    expect(jobs.filter((r) => (r.body as { n?: number }).n).map((r) => [r.body, r.attempts])).toEqual([
      [{ n: 1 }, 1],
      [{ n: 2 }, 1],
    ]);
    expect(jobs.filter((r) => (r.body as { fail?: boolean }).fail).map((r) => r.attempts)).toEqual([1, 2, 3]);
    expect(all.filter((r) => r.queue === "jobs-dlq").map((r) => [r.body, r.attempts])).toEqual([
      [{ fail: true }, 1],
    ]);
    await cairn.waitForLog(
      (l) => l.msg === 'message moved to dead letter queue "jobs-dlq" after 3 attempts',
      "the dead letter warning",
    );

    const bad = await fetch(`${url}/send-one?body=x&type=xml`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      name: "TypeError",
      message: "Unsupported queue message content type: xml (use one of json, text, bytes, v8)",
    });
    await cairn.kill("SIGTERM");
  });

  it("after SIGKILL mid-batch, a restart delivers the unacknowledged messages again and loses none", async () => {
    const dir = copyFixture("queues-project");
    const first = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await first.ready();
    const bodies = [{ k: "a" }, { k: "b" }, { k: "c", hold: true }, { k: "d" }, { k: "e" }];
    await postJson(url, "/send", { bodies });
    await waitForRecords(dir, (rs) => rs.some((r) => r.holding), "the batch to be held mid-way");
    expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    const before = records(dir).filter((r) => r.queue === "jobs");
    expect(before.map((r) => [r.body, r.attempts])).toEqual(bodies.map((b) => [b, 1]));

    const second = CairnProcess.start(["dev", "--port", "0"], dir);
    await second.ready();
    const after = await waitForRecords(
      dir,
      (rs) => rs.filter((r) => r.queue === "jobs" && r.attempts === 2).length === bodies.length,
      "every message delivered again",
    );
    const again = after.filter((r) => r.queue === "jobs" && r.attempts === 2);
    expect(again.map((r) => r.body)).toEqual(bodies);
    expect(again.map((r) => r.id)).toEqual(before.map((r) => r.id));
    await second.kill("SIGTERM");
    // Acknowledged on the second delivery: a third start delivers nothing more.
    const third = CairnProcess.start(["dev", "--port", "0"], dir);
    const thirdUrl = await third.ready();
    await postJson(thirdUrl, "/send", { bodies: [{ k: "marker" }] });
    await waitForRecords(
      dir,
      (rs) => rs.some((r) => (r.body as { k?: string })?.k === "marker"),
      "the marker",
    );
    expect(records(dir).filter((r) => r.queue === "jobs").length).toBe(bodies.length * 2 + 1);
    await third.kill("SIGTERM");
  });

  it("stops start-up when a consumer's Worker exports no queue handler", async () => {
    const dir = copyFixture("queues-project");
    const index = join(dir, "src", "index.js");
    writeFileSync(index, readFileSync(index, "utf8").replace("async queue(batch)", "async notQueue(batch)"));
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const exit = await cairn.exited;
    expect(exit.code).not.toBe(0);
    expect(cairn.output).toContain(
      "queues.consumers consumes jobs, jobs-dlq, but index.js exports no queue handler (add queue(batch, env, ctx) to its default export)",
    );
  });
});
