// Test helper: the real `cairn` binary (bin/cairn.js) as a child process. It collects the
// output, parses the JSON log lines, waits for the "ready" line to learn the URL (the tests pass
// --port 0 so the system picks a free port), and can be killed with any signal.

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitUntil } from "cairn/testing";

const bin = fileURLToPath(new URL("../../../bin/cairn.js", import.meta.url));

export type LogLine = { level: string; msg: string; [field: string]: unknown };
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

const running = new Set<CairnProcess>();

export class CairnProcess {
  readonly exited: Promise<Exit>;
  stdout = "";
  stderr = "";
  private readonly child: ChildProcess;
  private exit: Exit | null = null;

  private constructor(args: string[], cwd: string, env?: Record<string, string>) {
    this.child = spawn(process.execPath, [bin, ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    running.add(this);
  }

  /** Runs `cairn <args>` in `cwd`, with `env` added to this process's environment. */
  static start(args: string[], cwd: string, env?: Record<string, string>): CairnProcess {
    return new CairnProcess(args, cwd, env);
  }

  /** SIGKILLs every process still running (for afterEach). */
  static async killAll(): Promise<void> {
    await Promise.all([...running].map((p) => p.kill("SIGKILL")));
  }

  get output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  /** The JSON log lines written so far. */
  logs(): LogLine[] {
    return this.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Resolves with the first log line that `match` accepts; fails if the process exits first. */
  async waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const found = await waitUntil(
      () => {
        const line = this.logs().find(match);
        if (!line && this.exit)
          throw new Error(`cairn exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.output}`);
        return line;
      },
      (line) => line !== undefined,
      { timeoutMs, intervalMs: 20, what },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- cairn output ---\n${this.output}`);
    });
    return found!;
  }

  /** The URL from the n-th "ready" line (1 for the first start-up). */
  async ready(): Promise<string> {
    const line = await this.waitForLog((l) => l.msg === "ready", "the ready line");
    return line.url as string;
  }

  async kill(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.exit) this.child.kill(signal);
    return this.exited;
  }
}
