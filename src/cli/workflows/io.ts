// What the workflows commands touch outside themselves: stdout, stderr, the environment, the
// clock, fetch, files and the exit. The process supplies the real ones; tests pass their own and
// run the commands in the test process.

import { chmod, readFile, writeFile } from "node:fs/promises";

export type CliIo = {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  now: () => number;
  fetch: typeof fetch;
  readFile: (path: string) => Promise<string>;
  /** `mode` is the new file's permissions (0o600: only its owner reads it). */
  writeFile: (path: string, text: string, options?: { mode?: number }) => Promise<void>;
  /** Ends the command with this status; never returns. */
  exit: (code: number) => never;
};

/** The real process: its streams and environment, `process.exit`. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: Date.now,
    fetch: (input, init) => fetch(input, init),
    readFile: (path) => readFile(path, "utf8"),
    writeFile: async (path, text, options) => {
      await writeFile(path, text, options?.mode ? { mode: options.mode } : {});
      // An existing file keeps its permissions through writeFile: narrow them too.
      if (options?.mode) await chmod(path, options.mode);
    },
    // Output is written before the exit, synchronously for pipes and files; a reader that stopped
    // early (`… | head`) gets its EPIPE only after the process is gone.
    exit: (code) => process.exit(code),
  };
}
