// `cairn workflows list|describe|trigger|delete`: the workflows a server runs, and creating or
// removing their instances, as `wrangler workflows …` does.

import type { Command } from "commander";
import { runAction } from "../context.js";
import { UsageError } from "../errors.js";
import { pageNote, renderWorkflow, renderWorkflowList } from "../format/workflows.js";
import type { CliIo } from "../io.js";
import { addClientOptions, type ClientFlags, positiveInt } from "../options.js";

/** `value` parsed as JSON, or a usage error naming `what`. */
export function parseJsonArgument(value: string, what: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

export function registerWorkflowCommands(workflows: Command, io: CliIo): void {
  addClientOptions(
    workflows
      .command("list")
      .description("list the server's workflows with their instances counted by status")
      .option("--page <n>", "the page to show", positiveInt, 1)
      .option("--per-page <n>", "workflows per page", positiveInt),
  ).action((options: ClientFlags & { page: number; perPage?: number }) =>
    runAction(io, options, async (ctx) => {
      const { result, info } = await ctx.client.listWorkflows({
        page: options.page,
        per_page: options.perPage,
      });
      if (ctx.json) return void ctx.printJson(result);
      if (result.length === 0) {
        ctx.print(
          options.page > 1
            ? `No workflows on page ${options.page}.`
            : "No workflows. Declare one under `workflows` in the wrangler config and run `cairn dev`.",
        );
        return;
      }
      ctx.print(renderWorkflowList(result, ctx));
      const note = pageNote(info, options.page, "workflows");
      if (note) ctx.print(ctx.colours.dim(note));
    }),
  );

  addClientOptions(
    workflows
      .command("describe")
      .description("show a workflow and how many of its instances are in each status")
      .argument("<name>", "the workflow"),
  ).action((name: string, options: ClientFlags) =>
    runAction(io, options, async (ctx) => {
      const workflow = await ctx.client.getWorkflow(name);
      if (ctx.json) return void ctx.printJson(workflow);
      ctx.print(renderWorkflow(workflow, ctx));
    }),
  );

  addClientOptions(
    workflows
      .command("trigger")
      .description("create an instance of a workflow")
      .argument("<name>", "the workflow")
      .argument("[params]", "the instance's params, as JSON")
      .option("--id <id>", "the instance id (default: a random one the server picks)"),
  ).action((name: string, params: string | undefined, options: ClientFlags & { id?: string }) =>
    runAction(io, options, async (ctx) => {
      const body: { instance_id?: string; params?: unknown } = {};
      if (options.id !== undefined) body.instance_id = options.id;
      if (params !== undefined) body.params = parseJsonArgument(params, "params");
      const created = await ctx.client.createInstance(name, body);
      if (ctx.json) return void ctx.printJson(created);
      ctx.print(`🚀 Instance "${created.id}" of workflow ${name} queued`);
      ctx.print(ctx.colours.dim(`   follow it: cairn workflows instances describe ${name} ${created.id}`));
    }),
  );

  addClientOptions(
    workflows
      .command("delete")
      .description("delete every instance of a workflow (the workflow stays, declared by the Worker)")
      .argument("<name>", "the workflow"),
  ).action((name: string, options: ClientFlags) =>
    runAction(io, options, async (ctx) => {
      const result = await ctx.client.deleteWorkflow(name);
      if (ctx.json) return void ctx.printJson(result);
      // Cairn says how many it deleted; Cloudflare's answer does not.
      const count = (result as { deleted?: unknown } | null)?.deleted;
      ctx.print(
        typeof count === "number"
          ? `🗑️  Deleted every instance of workflow ${name} (${count})`
          : `🗑️  Deleted every instance of workflow ${name}`,
      );
    }),
  );
}
