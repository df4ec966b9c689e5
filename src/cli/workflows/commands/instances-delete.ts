// `cairn workflows instances delete <name> [ids..] [--filename ids.json]`: deletes 1 to 100
// instances in one request, as wrangler's batch delete does; ids that could not be deleted are
// listed and the command exits with status 1.

import type { Command } from "commander";
import { type Context, runAction } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { oneLine } from "../format/text.js";
import type { CliIo } from "../io.js";
import { resolveInstanceId } from "../latest.js";
import { addClientOptions, type ClientFlags } from "../options.js";
import type { BatchDeleteResult } from "../wire-types.js";

export const MAX_BATCH_DELETE = 100;

/** The ids of a --filename file: a JSON array of strings. */
export function parseIdsFile(text: string, path: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--filename ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || !value.every((id) => typeof id === "string" && id !== ""))
    throw new UsageError(`--filename ${path} must hold a JSON array of instance ids (strings)`);
  return value;
}

/**
 * The ids to delete: the arguments, then the file's, each once, with every "latest" replaced by
 * the one newest instance; 1 to 100 of them, or a usage error.
 */
export async function collectIds(
  ctx: Context,
  workflow: string,
  args: string[],
  filename: string | undefined,
): Promise<string[]> {
  let ids = [...args];
  if (filename !== undefined) {
    let text: string;
    try {
      text = await ctx.io.readFile(filename);
    } catch (error) {
      throw new CliError(
        "cli.io_error",
        2,
        `--filename: cannot read ${filename}: ${(error as Error).message}`,
      );
    }
    ids.push(...parseIdsFile(text, filename));
  }
  if (ids.length === 0) throw new UsageError("name at least one instance id, or pass --filename");
  ids = [...new Set(ids)];
  if (ids.length > MAX_BATCH_DELETE)
    throw new UsageError(`at most ${MAX_BATCH_DELETE} instances per delete (got ${ids.length})`);
  if (ids.includes("latest")) {
    const latest = await resolveInstanceId(ctx, workflow, "latest");
    ids = [...new Set(ids.map((id) => (id === "latest" ? latest : id)))];
  }
  return ids;
}

/** `could not delete "b": <message> (<cairn_code or code>)`, the code not repeated. */
export function batchErrorLine(error: NonNullable<BatchDeleteResult["errors"]>[number]): string {
  const tag = error.cairn_code ?? (error.code !== undefined ? String(error.code) : "");
  let message = error.message ?? "failed";
  if (tag && message.startsWith(`(${tag}) `)) message = message.slice(tag.length + 3);
  return `could not delete "${oneLine(error.id)}": ${oneLine(message)}${tag ? ` (${tag})` : ""}`;
}

export function registerInstancesDelete(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("delete")
      .description(`delete instances of a workflow (1 to ${MAX_BATCH_DELETE} per call)`)
      .argument("<name>", "the workflow")
      .argument("[ids...]", 'instance ids ("latest" for the newest)')
      .option("--filename <file>", "a JSON file holding an array of instance ids"),
  ).action((name: string, args: string[], options: ClientFlags & { filename?: string }) =>
    runAction(io, options, async (ctx) => {
      const ids = await collectIds(ctx, name, args, options.filename);
      const result = await ctx.client.deleteInstances(name, ids);
      const deleted = result?.deleted ?? [];
      const errors = result?.errors ?? [];
      if (ctx.json) ctx.printJson(result);
      else {
        if (deleted.length > 0)
          ctx.print(
            `🗑️  Deleted ${deleted.length} instance${deleted.length === 1 ? "" : "s"} of workflow ${name}: ` +
              deleted.map((d) => `"${oneLine(d.id)}"`).join(", "),
          );
        for (const e of errors) ctx.io.stderr.write(`cairn workflows: ${batchErrorLine(e)}\n`);
      }
      return errors.length > 0 ? 1 : 0;
    }),
  );
}
