// `cairn workflows instances export <name> <id|latest> [--output file]`: an instance's whole
// history as one JSON document — its details (steps, attempts, outputs) and its event log — to
// keep with a bug report, compare runs, or read in another tool.

import type { Command } from "commander";
import { runAction } from "../context.js";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { resolveInstanceId } from "../latest.js";
import { addClientOptions, type ClientFlags } from "../options.js";
import type { InstanceDetails } from "../wire-types.js";

/** What export writes. `format` names the shape so that a reader can check it. */
export type InstanceHistory = {
  format: "cairn.instance-history/1";
  exported_at: string;
  server: string;
  workflow: string;
  id: string;
  instance: InstanceDetails;
  log: unknown[];
};

export function registerInstancesExport(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("export")
      .description("write an instance's full history (details and event log) as JSON")
      .argument("<name>", "the workflow")
      .argument("<id>", 'the instance id, or "latest" for the newest')
      .option("-o, --output <file>", "write to this file instead of stdout"),
  ).action((name: string, idArg: string, options: ClientFlags & { output?: string }) =>
    runAction(io, options, async (ctx) => {
      const id = await resolveInstanceId(ctx, name, idArg);
      const instance = await ctx.client.getInstance(name, id);
      const log = await ctx.client.instanceLog(name, id);
      const history: InstanceHistory = {
        format: "cairn.instance-history/1",
        exported_at: new Date(ctx.now).toISOString(),
        server: ctx.client.url,
        workflow: name,
        id,
        instance: { id, ...instance },
        log: Array.isArray(log) ? log : [],
      };
      const text = `${JSON.stringify(history, null, 2)}\n`;
      if (options.output === undefined) return void ctx.io.stdout.write(text);
      try {
        await ctx.io.writeFile(options.output, text);
      } catch (error) {
        throw new CliError("cli.io_error", 1, `cannot write ${options.output}: ${(error as Error).message}`);
      }
      if (ctx.json) return void ctx.printJson({ output: options.output, log_entries: history.log.length });
      const steps = history.instance.steps?.length ?? 0;
      const entries = history.log.length;
      ctx.print(
        `📦 Wrote the history of instance "${id}" of workflow ${name} to ${options.output} ` +
          `(${steps} step${steps === 1 ? "" : "s"}, ${entries} log entr${entries === 1 ? "y" : "ies"})`,
      );
    }),
  );
}
