// The HTTP side of W9, in a process of its own (as a real client is): it creates instances with
// POST and watches them complete on the SSE change feed, reads list pages, and drives the polling
// load with autocannon. W9 forks it and sends it one job at a time over IPC; it answers each
// with the samples it timed (performance.now() in this process, from before the request is
// written to when the answer, or the feed's event, is parsed). Imports nothing of Cairn.

import http from "node:http";
import autocannon from "autocannon";
import { nowMs } from "./stats.js";

export type ClientJob =
  | { op: "open-feed"; url: string }
  | { op: "close-feed" }
  /** Per id: POST `createUrl` with {instance_id}, then wait for its `status: complete` on the feed. */
  | { op: "round-trips"; createUrl: string; ids: string[] }
  /** GET each url in turn (one keep-alive connection). */
  | { op: "gets"; urls: string[] }
  /** GET `url`, then `url&cursor=<result_info.cursor>` `count` times in a row. */
  | { op: "cursor-pages"; url: string; count: number }
  /**
   * autocannon for `seconds`: `connections` connections, connection i polling paths[i % n], at
   * `rate` requests per second in all (overallRate), or as fast as answers come when `rate` is 0.
   */
  | { op: "poll"; base: string; paths: string[]; connections: number; rate: number; seconds: number };

export type PollResult = {
  /** Latency of every 2xx answer after each connection's first (which includes its TCP connect). */
  steady: number[];
  /** Latency of each connection's first answer. */
  first: number[];
  sent: number;
  /** 2xx answers within the `seconds` window. */
  answered: number;
  /** 2xx answers after it (autocannon stops at its next one-second tick). */
  late: number;
  non2xx: number;
  /** Connection errors and timeouts (autocannon counts a timeout in both). */
  errors: number;
  timeouts: number;
  /** autocannon's own measure of the run, seconds. */
  durationS: number;
  /** 2xx answers in each second of the window. */
  perSecond: number[];
};

export type ClientReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(method: string, url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function get(url: string): Promise<string> {
  const { status, text } = await send("GET", url);
  if (status !== 200) throw new Error(`GET ${url}: ${status} ${text.slice(0, 300)}`);
  return text;
}

/** The change feed: completions by instance id, read from the SSE text (events split on blank lines). */
class Feed {
  private request: http.ClientRequest | null = null;
  private buffer = "";
  private readonly completedAt = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();

  open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
        res.setEncoding("utf8");
        let first = true;
        res.on("data", (chunk: string) => {
          this.buffer += chunk;
          for (let end = this.buffer.indexOf("\n\n"); end >= 0; end = this.buffer.indexOf("\n\n")) {
            this.onEvent(this.buffer.slice(0, end));
            this.buffer = this.buffer.slice(end + 2);
          }
          // The server's first frame ("retry: …") says the stream is open.
          if (first) {
            first = false;
            resolve();
          }
        });
      });
      req.on("error", (error) => {
        if (this.request === req) reject(error);
      });
      this.request = req;
    });
  }

  private onEvent(block: string): void {
    let event = "";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (event !== "status") return;
    const change = JSON.parse(data) as { id: string; status: string };
    if (change.status !== "complete") return;
    const at = nowMs();
    const waiter = this.waiters.get(change.id);
    if (waiter) {
      this.waiters.delete(change.id);
      waiter(at);
    } else this.completedAt.set(change.id, at);
  }

  whenComplete(id: string): Promise<number> {
    const at = this.completedAt.get(id);
    if (at !== undefined) {
      this.completedAt.delete(id);
      return Promise.resolve(at);
    }
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }

  close(): void {
    const req = this.request;
    this.request = null;
    req?.destroy();
    this.buffer = "";
  }
}

const feed = new Feed();

async function roundTrips(createUrl: string, ids: string[]): Promise<{ total: number[]; create: number[] }> {
  const total: number[] = [];
  const create: number[] = [];
  for (const id of ids) {
    const start = nowMs();
    const completed = feed.whenComplete(id);
    const { status, text } = await send("POST", createUrl, JSON.stringify({ instance_id: id }));
    if (status !== 200) throw new Error(`POST ${createUrl}: ${status} ${text.slice(0, 300)}`);
    create.push(nowMs() - start);
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([
      completed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no "complete" on the feed for ${id} in 30 s`)), 30_000);
      }),
    ]);
    clearTimeout(timer);
    total.push(end - start);
  }
  return { total, create };
}

async function gets(urls: string[]): Promise<number[]> {
  const samples: number[] = [];
  for (const url of urls) {
    const start = nowMs();
    const text = await get(url);
    samples.push(nowMs() - start);
    if (!text.startsWith('{"success":true') && !text.includes('"success":true'))
      throw new Error(`GET ${url}: ${text.slice(0, 300)}`);
  }
  return samples;
}

async function cursorPages(url: string, count: number): Promise<number[]> {
  let cursor = (JSON.parse(await get(url)) as { result_info: { cursor?: string } }).result_info.cursor;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!cursor) throw new Error(`no cursor after ${i} pages`);
    const start = nowMs();
    const text = await get(`${url}&cursor=${encodeURIComponent(cursor)}`);
    samples.push(nowMs() - start);
    const page = JSON.parse(text) as { result: unknown[]; result_info: { cursor?: string } };
    if (page.result.length === 0) throw new Error("an empty page");
    cursor = page.result_info.cursor;
  }
  return samples;
}

async function poll(job: Extract<ClientJob, { op: "poll" }>): Promise<PollResult> {
  let next = 0;
  const firstDone = new WeakSet<object>();
  const steady: number[] = [];
  const first: number[] = [];
  const perSecond: number[] = Array.from({ length: job.seconds }, () => 0);
  let late = 0;
  const start = nowMs();
  const instance = autocannon({
    url: job.base,
    connections: job.connections,
    duration: job.seconds,
    // autocannon's correction for coordinated omission takes 1/rate (seconds) as an interval in
    // ms and would add made-up samples; every answer's own latency is kept below instead.
    ...(job.rate > 0 ? { overallRate: job.rate, ignoreCoordinatedOmission: true } : {}),
    setupClient(client) {
      client.setRequests([{ method: "GET", path: job.paths[next++ % job.paths.length]! }]);
    },
  });
  instance.on("response", (client: object, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    const second = Math.floor((nowMs() - start) / 1000);
    // autocannon stops at its next one-second tick after `seconds`: answers past the window
    // (at most that tick's) are not counted.
    if (second >= job.seconds) {
      late += 1;
      return;
    }
    perSecond[second] = (perSecond[second] ?? 0) + 1;
    if (firstDone.has(client)) steady.push(responseTime);
    else {
      firstDone.add(client);
      first.push(responseTime);
    }
  });
  const result = await instance;
  return {
    steady,
    first,
    sent: result.requests.sent,
    answered: perSecond.reduce((a, b) => a + b, 0),
    late,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration,
    perSecond,
  };
}

async function handle(job: ClientJob): Promise<unknown> {
  switch (job.op) {
    case "open-feed":
      return feed.open(job.url);
    case "close-feed":
      return feed.close();
    case "round-trips":
      return roundTrips(job.createUrl, job.ids);
    case "gets":
      return gets(job.urls);
    case "cursor-pages":
      return cursorPages(job.url, job.count);
    case "poll":
      return poll(job);
  }
}

if (process.send) {
  process.on("message", (message: { id: number; job: ClientJob }) => {
    handle(message.job).then(
      (value) => process.send?.({ id: message.id, ok: true, value } satisfies ClientReply),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies ClientReply),
    );
  });
  process.on("disconnect", () => process.exit(0));
}
