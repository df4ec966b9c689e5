// Test helper: a TCP proxy in front of a real PostgreSQL that the test drives, to make the
// network between Cairn and its database slow, hung or cut at a chosen moment. Stopping the
// server (postgres-server.ts) only shows a clean shutdown; the faults of a real network are
// different: latency on every packet, a peer that stops answering while the sockets stay open,
// connections reset under an open transaction, and the worst one, a statement the server ran
// and committed whose reply never reaches the client. The proxy reads the frontend protocol's
// message framing (client to server) so that a cut can be aimed at one statement, such as the
// COMMIT of a transaction that inserted an event, before or after the server gets it.

import { createServer, type Server, Socket } from "node:net";

/** What a cut is aimed at: a statement's text and those sent since BEGIN on its connection. */
export type StatementMatch = (sql: string, transaction: readonly string[]) => boolean;

export type CutRule = {
  match: StatementMatch;
  /**
   * "before": the connection is destroyed and the statement never reaches the server.
   * "after": the statement (up to its Sync) reaches the server, which runs it; its reply is
   * dropped and the connection destroyed, so the client cannot know whether it committed.
   */
  when: "before" | "after";
  /** How many cuts this rule makes before it retires (default 1). */
  times?: number;
  /** Called as the connection is cut (for "after", once the server has answered). */
  onCut?: () => void;
};

/** A chunk on its way, and when it may be forwarded. */
type Held = { chunk: Buffer; due: number };

type Link = {
  client: Socket;
  server: Socket;
  /** Client-to-server bytes not yet framed into whole messages. */
  pending: Buffer;
  startup: boolean;
  /** Prepared statement texts by name (a Bind names the statement, not its text). */
  prepared: Map<string, string>;
  transaction: string[];
  /** An "after" cut: forward up to the next Sync, then drop the reply and cut. */
  cutAfterSync: (() => void) | null;
  /** Set by an "after" cut: the server's next reply is dropped and the connection cut. */
  cutOnReply: (() => void) | null;
  /** Chunks held while the proxy is paused or delaying, in order, per direction. */
  queues: { up: Held[]; down: Held[] };
  timers: { up: NodeJS.Timeout | null; down: NodeJS.Timeout | null };
};

export type ProxyStats = {
  accepted: number;
  refused: number;
  open: number;
  cuts: number;
  bytesUp: number;
  bytesDown: number;
};

export class TcpFaultProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly target: { host: string; port: number };
  private readonly links = new Set<Link>();
  private delayMs = 0;
  private paused = false;
  private refusing = false;
  private rules: (CutRule & { left: number })[] = [];
  readonly stats: ProxyStats = { accepted: 0, refused: 0, open: 0, cuts: 0, bytesUp: 0, bytesDown: 0 };

  private constructor(server: Server, port: number, target: { host: string; port: number }) {
    this.server = server;
    this.port = port;
    this.target = target;
    server.on("connection", (client) => this.accept(client));
  }

  /** Listens on 127.0.0.1 (a free port) and forwards to `target`. */
  static async start(target: { host?: string; port: number }): Promise<TcpFaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("the proxy has no port");
    return new TcpFaultProxy(server, address.port, { host: target.host ?? "127.0.0.1", port: target.port });
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  /** Latency added to every chunk, both ways, order kept (0: none). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Stops forwarding (bytes are held, sockets stay open): a peer that hangs. */
  pause(): void {
    this.paused = true;
  }

  /** Forwards what was held, in order, and goes on forwarding. */
  resume(): void {
    this.paused = false;
    for (const link of this.links) {
      this.pump(link, "up");
      this.pump(link, "down");
    }
  }

  /** Destroys every open connection, both sides; new connections are still accepted. */
  cutAll(): number {
    const n = this.links.size;
    for (const link of [...this.links]) this.cut(link);
    return n;
  }

  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Adds a cut aimed at a statement (see CutRule). */
  cutWhen(rule: CutRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** Cut rules that have not fired yet, counted in cuts left. */
  get armedCuts(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  clearCuts(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      this.stats.refused += 1;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted += 1;
    const server = new Socket();
    const link: Link = {
      client,
      server,
      pending: Buffer.alloc(0),
      startup: true,
      prepared: new Map(),
      transaction: [],
      cutAfterSync: null,
      cutOnReply: null,
      queues: { up: [], down: [] },
      timers: { up: null, down: null },
    };
    this.links.add(link);
    this.stats.open = this.links.size;
    client.setNoDelay(true);
    server.setNoDelay(true);
    server.connect(this.target.port, this.target.host);
    const drop = () => this.cut(link, false);
    client.on("error", drop);
    server.on("error", drop);
    client.on("close", drop);
    server.on("close", drop);
    client.on("data", (chunk: Buffer) => this.fromClient(link, chunk));
    server.on("data", (chunk: Buffer) => {
      if (link.cutOnReply) {
        this.cut(link);
        return link.cutOnReply();
      }
      this.stats.bytesDown += chunk.length;
      this.enqueue(link, "down", chunk);
    });
  }

  /** Frames the client's messages so that cut rules see each statement. */
  private fromClient(link: Link, chunk: Buffer): void {
    this.stats.bytesUp += chunk.length;
    link.pending = link.pending.length ? Buffer.concat([link.pending, chunk]) : chunk;
    let out: Buffer[] = [];
    for (;;) {
      const head = link.startup ? 0 : 1;
      if (link.pending.length < head + 4) break;
      const size = head + link.pending.readInt32BE(head);
      if (link.pending.length < size) break;
      const message = link.pending.subarray(0, size);
      link.pending = link.pending.subarray(size);
      if (link.startup) {
        // An SSL or GSS request (code 80877103/80877104) is followed by the real startup message.
        const code = message.readInt32BE(4);
        link.startup = code === 80877103 || code === 80877104;
        out.push(message);
        continue;
      }
      const verdict = this.inspect(link, message);
      if (verdict === "cut") {
        if (out.length) this.enqueue(link, "up", Buffer.concat(out));
        this.cut(link);
        return;
      }
      out.push(message);
      if (link.cutAfterSync && (message[0] === 0x53 || message[0] === 0x51)) {
        // Sync (or a simple Query): the server runs it all; whatever it answers is dropped.
        link.cutOnReply = link.cutAfterSync;
        link.cutAfterSync = null;
        this.enqueue(link, "up", Buffer.concat(out));
        out = [];
      }
    }
    if (out.length) this.enqueue(link, "up", Buffer.concat(out));
  }

  private inspect(link: Link, message: Buffer): "forward" | "cut" {
    const type = String.fromCharCode(message[0]!);
    // The statement this message runs: a simple Query, a Parse of the unnamed statement, or a
    // Bind of a named one (prepared once per connection, bound by name on each run).
    let sql: string | undefined;
    if (type === "Q") sql = cString(message, 5).text;
    else if (type === "P") {
      const name = cString(message, 5);
      const text = cString(message, name.end).text;
      if (name.text) link.prepared.set(name.text, text);
      else sql = text;
    } else if (type === "B") {
      const portal = cString(message, 5);
      const name = cString(message, portal.end).text;
      if (name) sql = link.prepared.get(name);
    }
    if (sql === undefined) return "forward";
    const head = sql.trimStart().slice(0, 8).toUpperCase();
    if (head.startsWith("BEGIN")) link.transaction = [];
    const transaction = link.transaction;
    link.transaction = head.startsWith("COMMIT") || head.startsWith("ROLLBACK") ? [] : [...transaction, sql];
    for (const rule of this.rules) {
      if (!rule.match(sql, transaction)) continue;
      rule.left -= 1;
      this.rules = this.rules.filter((r) => r.left > 0);
      const onCut = rule.onCut ?? (() => {});
      if (rule.when === "before") {
        queueMicrotask(onCut);
        return "cut";
      }
      link.cutAfterSync = onCut;
      return "forward";
    }
    return "forward";
  }

  private enqueue(link: Link, way: "up" | "down", chunk: Buffer): void {
    link.queues[way].push({ chunk, due: Date.now() + this.delayMs });
    this.pump(link, way);
  }

  /** Forwards held chunks in order, each once its delay is over, unless paused. */
  private pump(link: Link, way: "up" | "down"): void {
    if (link.timers[way] || this.paused || !this.links.has(link)) return;
    const to = way === "up" ? link.server : link.client;
    const queue = link.queues[way];
    while (queue.length > 0) {
      const wait = queue[0]!.due - Date.now();
      if (wait > 0) {
        link.timers[way] = setTimeout(() => {
          link.timers[way] = null;
          this.pump(link, way);
        }, wait);
        return;
      }
      to.write(queue.shift()!.chunk);
    }
  }

  private cut(link: Link, counted = true): void {
    if (!this.links.delete(link)) return;
    if (counted) this.stats.cuts += 1;
    this.stats.open = this.links.size;
    for (const timer of Object.values(link.timers)) if (timer) clearTimeout(timer);
    link.client.destroy();
    link.server.destroy();
  }
}

/** A NUL-terminated string at `start` and the offset just past its NUL. */
function cString(buffer: Buffer, start: number): { text: string; end: number } {
  const nul = buffer.indexOf(0, start);
  const end = nul < 0 ? buffer.length : nul;
  return { text: buffer.toString("utf8", start, end), end: end + 1 };
}
