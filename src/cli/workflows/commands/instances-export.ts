// `cairn workflows instances export <name> <id|latest> [--output file] [--include-sensitive]`:
// an instance's whole history as one JSON document (Cairn's full view of it with every step's
// key, output and event, each stream step's bytes, and the event log), to keep with a bug
// report, compare runs, or replay against changed code with `replayHistory` from cairn/testing.

import type { Command } from "commander";
import { runAction } from "../context.js";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { resolveInstanceId } from "../latest.js";
import { addClientOptions, type ClientFlags } from "../options.js";
import type { CairnInstanceDetails } from "../wire-types.js";

/** The format this version writes; `replayHistory` reads it (and /1 where it can). */
export const HISTORY_FORMAT = "cairn.instance-history/2";

/**
 * What export writes. `format` names the shape so that a reader can check it.
 * - `instance`: Cairn's view as `GET /cairn/api/workflows/:name/instances/:id` answers it
 *   (params, status, output or error, steps with key, type, name, count, status, output, error,
 *   event, timed_out), never cut to a preview.
 * - `streams`: each finished stream step's bytes, base64, by step key.
 * - `include_sensitive`: false when sensitive outputs read "[REDACTED]" in `instance` (the default).
 */
export type InstanceHistory = {
  format: typeof HISTORY_FORMAT;
  exported_at: string;
  server: string;
  workflow: string;
  id: string;
  include_sensitive: boolean;
  instance: CairnInstanceDetails;
  streams: Record<string, { bytes: number; base64: string }>;
  log: unknown[];
};

type ExportFlags = ClientFlags & { output?: string; includeSensitive?: boolean };

export function registerInstancesExport(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("export")
      .description("write an instance's full history (steps, outputs, streams, event log) as JSON")
      .argument("<name>", "the workflow")
      .argument("<id>", 'the instance id, or "latest" for the newest')
      .option("-o, --output <file>", "write to this file instead of stdout")
      .option(
        "--include-sensitive",
        'include the outputs of steps declared sensitive: "output" (else they read "[REDACTED]")',
      ),
  ).action((name: string, idArg: string, options: ExportFlags) =>
    runAction(io, options, async (ctx) => {
      const id = await resolveInstanceId(ctx, name, idArg);
      const includeSensitive = options.includeSensitive === true;
      const instance = await ctx.client.cairnInstance(name, id, { includeSensitive });
      const streams: InstanceHistory["streams"] = {};
      const streamKeys = (instance.steps ?? []).filter((s) => s.stream).map((s) => s.key);
      for (const key of streamKeys) {
        const bytes = await ctx.client.stepStreamBytes(name, id, key, { includeSensitive });
        streams[key] = { bytes: bytes.byteLength, base64: Buffer.from(bytes).toString("base64") };
      }
      const log = await ctx.client.instanceLog(name, id);
      const history: InstanceHistory = {
        format: HISTORY_FORMAT,
        exported_at: new Date(ctx.now).toISOString(),
        server: ctx.client.url,
        workflow: name,
        id,
        include_sensitive: includeSensitive,
        instance,
        streams,
        log: Array.isArray(log) ? log : [],
      };
      const redacted = includeSensitive ? 0 : countSensitive(instance);
      if (includeSensitive)
        ctx.note("The history holds sensitive outputs in clear: keep it as you keep the secrets themselves.");
      else if (redacted > 0)
        ctx.note(
          `${redacted} sensitive output${redacted === 1 ? " reads" : "s read"} "[REDACTED]" ` +
            "(--include-sensitive to include them)",
        );
      const text = `${JSON.stringify(history, null, 2)}\n`;
      if (options.output === undefined) return void ctx.io.stdout.write(text);
      try {
        await ctx.io.writeFile(options.output, text, includeSensitive ? { mode: 0o600 } : {});
      } catch (error) {
        throw new CliError("cli.io_error", 1, `cannot write ${options.output}: ${(error as Error).message}`);
      }
      const steps = instance.steps?.length ?? 0;
      const entries = history.log.length;
      if (ctx.json)
        return void ctx.printJson({
          output: options.output,
          steps,
          streams: streamKeys.length,
          log_entries: entries,
          include_sensitive: includeSensitive,
        });
      ctx.print(
        `📦 Wrote the history of instance "${id}" of workflow ${name} to ${options.output} ` +
          `(${steps} step${steps === 1 ? "" : "s"}, ${entries} log entr${entries === 1 ? "y" : "ies"})`,
      );
    }),
  );
}

/** Finished steps declared `sensitive: "output"`: their outputs read "[REDACTED]" unless included. */
function countSensitive(instance: CairnInstanceDetails): number {
  return (instance.steps ?? []).filter(
    (s) => s.status === "succeeded" && (s.config as { sensitive?: unknown } | null)?.sensitive === "output",
  ).length;
}
