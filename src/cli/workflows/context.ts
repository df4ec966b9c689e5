// Runs one command's action: builds what it needs (the client from --url/--api-token or the
// environment, colours, the clock), and turns the outcome into output and an exit status, so
// that every command reports errors the same way: `cairn workflows: <message>` on stderr.

import { readableStack } from "../../errors.js";
import { WorkflowsClient } from "./api-client.js";
import { CliError } from "./errors.js";
import { type Colours, createColours, wantColour } from "./format/colour.js";
import { sanitize } from "./format/text.js";
import type { CliIo } from "./io.js";
import { type ClientFlags, DEFAULT_URL } from "./options.js";

export type Context = {
  client: WorkflowsClient;
  json: boolean;
  colours: Colours;
  /** The time the command started, for relative times. */
  now: number;
  io: CliIo;
  /** A line (or lines) on stdout. */
  print(text: string): void;
  /** A note for the person on stderr (e.g. which instance "latest" was); never with --json. */
  note(text: string): void;
  /** `value` as indented JSON on stdout. */
  printJson(value: unknown): void;
};

export function createContext(io: CliIo, flags: ClientFlags): Context {
  const json = flags.json === true;
  const client = new WorkflowsClient({
    url: flags.url ?? io.env.CAIRN_URL ?? DEFAULT_URL,
    apiToken: flags.apiToken ?? io.env.CAIRN_API_TOKEN,
    fetch: io.fetch,
  });
  return {
    client,
    json,
    colours: createColours(wantColour(io.stdout, io.env, json)),
    now: io.now(),
    io,
    print: (text) => io.stdout.write(`${text}\n`),
    note: (text) => {
      if (!json) io.stderr.write(`${text}\n`);
    },
    printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** Prints `error` as one line on stderr and returns the exit status it calls for. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CliError) {
    io.stderr.write(`cairn workflows: ${sanitize(error.message)}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? readableStack(error) : String(error);
  io.stderr.write(`cairn workflows: unexpected error: ${text}\n`);
  return 1;
}

/**
 * Runs `body` with a context and exits: with the status it returns (0 unless it returns a
 * number), or with the status of the error it throws.
 */
export async function runAction(
  io: CliIo,
  flags: ClientFlags,
  body: (ctx: Context) => Promise<unknown>,
): Promise<never> {
  let code: number;
  try {
    const result = await body(createContext(io, flags));
    code = typeof result === "number" ? result : 0;
  } catch (error) {
    code = reportError(io, error);
  }
  return io.exit(code);
}
