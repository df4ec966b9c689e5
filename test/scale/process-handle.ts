// The parent's handle on one child process of a scale-out test: forks a TypeScript entry point
// under tsx with an IPC channel, collects its messages and stderr, waits for a message with a
// bound, and ends it with SIGKILL (a crash) or asks it to close cleanly.

import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FromChild, ToChild } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export class ProcessHandle {
  readonly name: string;
  readonly messages: FromChild[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private stderr = "";
  private alive = true;

  /**
   * `entry`: a TypeScript file of this folder, run under tsx; or, with `compiled`, a JavaScript
   * file (such as a bundle of one of them) run by plain node, which starts faster.
   */
  constructor(name: string, entry: string, args: string[], options: { compiled?: boolean } = {}) {
    this.name = name;
    this.child = fork(resolve(here, entry), args, {
      cwd: repoRoot,
      execArgv: options.compiled ? [] : ["--import", tsx, "--conditions=source"],
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    this.child.on("message", (message: FromChild) => {
      this.messages.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.alive = false;
        this.stderr += `\n[${name} exited with ${signal ?? `code ${code}`}]`;
        for (const wake of [...this.waiters]) wake();
        resolve({ code, signal });
      });
    });
  }

  get isAlive(): boolean {
    return this.alive;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  /** The latest message of a type, if any arrived. */
  last<T extends FromChild["type"]>(type: T): Extract<FromChild, { type: T }> | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i]!;
      if (m.type === type) return m as Extract<FromChild, { type: T }>;
    }
    return undefined;
  }

  /** Resolves once some message satisfies `pick`; rejects if the child exits or time runs out. */
  waitFor(pick: (m: FromChild) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.messages.some(pick)) return finish();
        if (!this.alive) finish(new Error(`${this.name} exited before ${what}\n${this.stderr}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.stderr}`)),
        timeoutMs,
      );
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  send(message: ToChild): void {
    // A child killed a moment ago can still look connected; the callback takes the EPIPE that
    // its write then fails with (without one, Node throws it as an uncaught exception).
    if (this.alive && this.child.connected) this.child.send(message, () => {});
  }

  /** SIGKILL: nothing runs in the child any more, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Asks the child to close Cairn and exit; kills it if it does not within the bound. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (!this.alive) return;
    this.send({ type: "close" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
