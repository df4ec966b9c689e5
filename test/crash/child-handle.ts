// The parent's handle on one incarnation of the crash test's child: starts child.ts under tsx
// with an IPC channel, dispatches its messages, and kills it with SIGKILL or closes it cleanly.

import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FromChild, ToChild } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
/** tsx resolved from this package, so the child starts the same way from any working directory. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export class ChildHandle {
  readonly incarnation: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(message: FromChild) => void>();
  private stderr = "";
  private alive = true;

  /** `last`: the incarnation that is not killed (it also creates the late instances). */
  constructor(dbPath: string, effectsPath: string, incarnation: number, last = false) {
    this.incarnation = incarnation;
    const args = [dbPath, effectsPath, String(incarnation), ...(last ? ["last"] : [])];
    this.child = fork(join(here, "child.ts"), args, {
      cwd: repoRoot,
      execArgv: ["--import", tsxLoader, "--conditions=source"],
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on("error", (error) => {
      this.stderr += `\n[parent] child process error: ${error.message}\n`;
    });
    this.child.on("message", (message: FromChild) => {
      for (const listener of [...this.listeners]) listener(message);
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.alive = false;
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

  onMessage(listener: (message: FromChild) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a message if the child is still there; false if it is gone. */
  send(message: ToChild): boolean {
    if (!this.alive || !this.child.connected) return false;
    // A child killed a moment ago can still look connected: the write then fails with EPIPE.
    // The callback takes that error (without it Node throws it as an uncaught exception); the
    // message counts as sent and undelivered, which the checks treat as an interrupted send.
    this.child.send(message, () => {});
    return true;
  }

  /** Resolves with the first message that `pick` accepts; rejects if the child exits or time runs out. */
  next<T>(pick: (message: FromChild) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(`incarnation ${this.incarnation}: no ${what} within ${timeoutMs} ms\n${this.stderr}`),
        );
      }, timeoutMs);
      const off = this.onMessage((message) => {
        const value = pick(message);
        if (value === undefined) return;
        stop();
        resolve(value);
      });
      void this.exited.then(({ code, signal }) => {
        stop();
        reject(
          new Error(
            `incarnation ${this.incarnation} exited (${code ?? signal}) before ${what}\n${this.stderr}`,
          ),
        );
      });
      const stop = () => {
        clearTimeout(timer);
        off();
      };
    });
  }

  /** SIGKILL: no cleanup runs in the child, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }
}
