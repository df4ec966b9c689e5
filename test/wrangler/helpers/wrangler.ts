// Test helper: runs the real `wrangler` CLI (the pinned devDependency, 4.86.0) as a child process
// with a clean environment: its own config home and working folder in a temporary directory (so
// no wrangler config, login or account cache is picked up), no metrics, no banner (and so no
// update check), no colours, and UTC with an en-US locale so that its dates can be predicted.
// Also parsers for what wrangler prints: tables and "Label:  value" blocks.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";

const wranglerBin = fileURLToPath(new URL("../../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

export type WranglerRun = {
  code: number | null;
  /** stdout without ANSI escapes: tables, labelled values, info lines. */
  stdout: string;
  /** stderr without ANSI escapes: warnings and errors. */
  stderr: string;
  /** Both, for messages whose stream does not matter. */
  output: string;
  /** The non-empty lines of stdout, trimmed at the end. */
  lines: string[];
};

export class Wrangler {
  readonly home: string;
  private readonly cwd: string;
  private readonly env: Record<string, string>;

  /** `env` is added to the clean environment (e.g. CLOUDFLARE_API_BASE_URL for the REST path). */
  constructor(env: Record<string, string> = {}) {
    this.env = env;
    this.home = mkdtempSync(join(tmpdir(), "cairn-wrangler-"));
    this.cwd = join(this.home, "cwd");
    mkdirSync(this.cwd);
    mkdirSync(join(this.home, "config"));
  }

  /** Runs `wrangler <args>`; resolves with its exit code and output (never rejects on a failure exit). */
  run(args: string[], timeoutMs = 30_000): Promise<WranglerRun> {
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: this.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: this.home,
        XDG_CONFIG_HOME: join(this.home, "config"),
        WRANGLER_LOG_PATH: join(this.home, "logs"),
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        CI: "true",
        NO_COLOR: "1",
        TZ: "UTC",
        LANG: "en_US.UTF-8",
        LC_ALL: "en_US.UTF-8",
        ...this.env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(`wrangler ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`),
        );
      }, timeoutMs);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        const out = stripVTControlCharacters(stdout);
        const err = stripVTControlCharacters(stderr);
        resolve({
          code,
          stdout: out,
          stderr: err,
          output: `${out}\n${err}`,
          lines: out
            .split("\n")
            .map((line) => line.trimEnd())
            .filter((line) => line !== ""),
        });
      });
    });
  }

  /** Runs a command that must succeed; the failure message carries wrangler's output. */
  async ok(args: string[]): Promise<WranglerRun> {
    const run = await this.run(args);
    if (run.code !== 0)
      throw new Error(`wrangler ${args.join(" ")} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The rows of the box-drawn tables in `text` (header row included), cells trimmed. */
export function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("│"))
    .map((line) =>
      line
        .split("│")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

const LABELLED = /^\s*([^:│]+?):\s{2,}(\S.*?)\s*$/;

/** The "Label:  value" lines of `text` as an object (wrangler pads labels to one column). */
export function labelled(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = LABELLED.exec(line);
    if (match) fields[match[1]!] = match[2]!;
  }
  return fields;
}

export type DescribedStep = { fields: Record<string, string>; attempts: string[][] };

/**
 * `workflows instances describe` output: the instance's labelled values, and per step its
 * labelled values and the rows of its attempts table (header left out; only `step` entries have one).
 */
export function parseInstanceDescribe(stdout: string): {
  instance: Record<string, string>;
  steps: DescribedStep[];
} {
  const at = stdout.indexOf("\nSteps:\n");
  if (at < 0) throw new Error(`no "Steps:" in the describe output:\n${stdout}`);
  const head = stdout.slice(0, at);
  // wrangler prints an empty line before each step; a step's attempts table follows its values.
  const chunks = stdout
    .slice(at + "\nSteps:\n".length)
    .split(/\n\s*\n/)
    .filter((chunk) => chunk.trim() !== "");
  return {
    instance: labelled(head),
    steps: chunks.map((chunk) => ({ fields: labelled(chunk), attempts: tableRows(chunk).slice(1) })),
  };
}

/** How wrangler shows a time in tables and labelled values (`toLocaleString`, in the UTC/en-US environment above). */
export function shownTime(iso: string): string {
  return new Date(iso).toLocaleString("en-US", { timeZone: "UTC" });
}
