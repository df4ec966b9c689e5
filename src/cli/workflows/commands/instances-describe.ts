// `cairn workflows instances describe <name> [id|latest]`: an instance's status, times, error,
// its steps and their attempts, as `wrangler workflows instances describe` shows them.

import type { Command } from "commander";
import { runAction } from "../context.js";
import { renderInstanceDetails } from "../format/instance.js";
import type { CliIo } from "../io.js";
import { resolveInstanceId } from "../latest.js";
import { addClientOptions, booleanValue, type ClientFlags, nonNegativeInt } from "../options.js";

type DescribeFlags = ClientFlags & { stepOutput: boolean; truncateOutputLimit: number };

export function registerInstancesDescribe(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("describe")
      .description("show an instance: status, times, error, steps and their attempts")
      .argument("<name>", "the workflow")
      .argument("[id]", 'the instance id, or "latest" for the newest', "latest")
      .option(
        "--step-output [true|false]",
        "show each step's output (--step-output=false hides it)",
        booleanValue,
        true,
      )
      .option("--truncate-output-limit <n>", "characters of each output to show", nonNegativeInt, 5000),
  ).action((name: string, idArg: string, options: DescribeFlags) =>
    runAction(io, options, async (ctx) => {
      const id = await resolveInstanceId(ctx, name, idArg);
      const details = await ctx.client.getInstance(name, id);
      if (ctx.json) return void ctx.printJson({ id, ...details });
      ctx.print(
        renderInstanceDetails(details, {
          workflow: name,
          id,
          colours: ctx.colours,
          now: ctx.now,
          stepOutput: options.stepOutput,
          outputLimit: options.truncateOutputLimit,
        }),
      );
    }),
  );
}
