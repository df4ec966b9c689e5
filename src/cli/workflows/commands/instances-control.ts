// `cairn workflows instances send-event|pause|resume|terminate|restart|terminate-all`: the
// commands that act on running instances, as wrangler's do. Each resolves "latest", sends one
// request, and says what the instance's status is now.

import type { Command } from "commander";
import { type Context, runAction } from "../context.js";
import { UsageError } from "../errors.js";
import { formatStatus } from "../format/status.js";
import type { CliIo } from "../io.js";
import { resolveInstanceId } from "../latest.js";
import {
  addClientOptions,
  type ClientFlags,
  positiveInt,
  stepType,
  TERMINABLE_STATUSES,
  terminableStatus,
} from "../options.js";
import type { StatusChange, StatusChangeBody } from "../wire-types.js";
import { parseJsonArgument } from "./workflows.js";

type RestartFlags = ClientFlags & { fromStepName?: string; fromStepCount?: number; fromStepType?: string };

/** The PATCH body for `restart`: `from` only with --from-step-name, which count and type need. */
export function restartBody(options: RestartFlags): StatusChangeBody {
  if (options.fromStepName === undefined) {
    if (options.fromStepCount !== undefined || options.fromStepType !== undefined)
      throw new UsageError("--from-step-count and --from-step-type need --from-step-name");
    return { status: "restart" };
  }
  const from: NonNullable<StatusChangeBody["from"]> = { name: options.fromStepName };
  if (options.fromStepCount !== undefined) from.count = options.fromStepCount;
  if (options.fromStepType !== undefined) from.type = options.fromStepType as "do" | "sleep" | "waitForEvent";
  return { status: "restart", from };
}

function reportChange(ctx: Context, result: StatusChange, message: string): void {
  if (ctx.json) {
    ctx.printJson(result);
    return;
  }
  const now = result?.status ? `; status now ${formatStatus(result.status, ctx.colours)}` : "";
  ctx.print(`${message}${now}`);
}

/** pause, resume, terminate and restart: the same shape, a different body and message. */
function registerStatusCommand(
  instances: Command,
  io: CliIo,
  spec: {
    name: string;
    description: string;
    configure?: (command: Command) => Command;
    body: (options: any) => StatusChangeBody;
    done: (id: string, workflow: string) => string;
  },
): void {
  let command = instances
    .command(spec.name)
    .description(spec.description)
    .argument("<name>", "the workflow")
    .argument("<id>", 'the instance id, or "latest" for the newest');
  if (spec.configure) command = spec.configure(command);
  addClientOptions(command).action((name: string, idArg: string, options: ClientFlags) =>
    runAction(io, options, async (ctx) => {
      const body = spec.body(options); // usage errors before any request
      const id = await resolveInstanceId(ctx, name, idArg);
      const result = await ctx.client.changeStatus(name, id, body);
      reportChange(ctx, result, spec.done(id, name));
    }),
  );
}

export function registerInstanceControl(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("send-event")
      .description("send an event to an instance (what step.waitForEvent waits for)")
      .argument("<name>", "the workflow")
      .argument("<id>", 'the instance id, or "latest" for the newest')
      .requiredOption("--type <type>", "the event type")
      .option("--payload <json>", "the event payload, as JSON", "{}"),
  ).action((name: string, idArg: string, options: ClientFlags & { type: string; payload: string }) =>
    runAction(io, options, async (ctx) => {
      parseJsonArgument(options.payload, "--payload");
      const id = await resolveInstanceId(ctx, name, idArg);
      const result = await ctx.client.sendEvent(name, id, options.type, options.payload);
      if (ctx.json) return void ctx.printJson(result ?? null);
      ctx.print(`📤 Sent event "${options.type}" to instance "${id}" of workflow ${name}`);
    }),
  );

  registerStatusCommand(instances, io, {
    name: "pause",
    description: "pause an instance (a running step finishes first)",
    body: () => ({ status: "pause" }),
    done: (id, workflow) => `⏸️  Paused instance "${id}" of workflow ${workflow}`,
  });
  registerStatusCommand(instances, io, {
    name: "resume",
    description: "resume a paused instance",
    body: () => ({ status: "resume" }),
    done: (id, workflow) => `🔄 Resumed instance "${id}" of workflow ${workflow}`,
  });
  registerStatusCommand(instances, io, {
    name: "terminate",
    description: "terminate an instance",
    configure: (c) => c.option("--rollback", "run the rollback handlers of its finished steps first"),
    body: (options: { rollback?: boolean }) =>
      options.rollback ? { status: "terminate", rollback: true } : { status: "terminate" },
    done: (id, workflow) => `🚫 Terminated instance "${id}" of workflow ${workflow}`,
  });
  registerStatusCommand(instances, io, {
    name: "restart",
    description: "restart an instance from the beginning, or from a step",
    configure: (c) =>
      c
        .option("--from-step-name <name>", "restart from this step (its name without the -<n> suffix)")
        .option("--from-step-count <n>", "which call of that name (default: 1)", positiveInt)
        .option("--from-step-type <type>", "the step's type: do, sleep or waitForEvent", stepType),
    body: restartBody,
    done: (id, workflow) => `🔁 Restarted instance "${id}" of workflow ${workflow}`,
  });

  addClientOptions(
    instances
      .command("terminate-all")
      .description("terminate every unfinished instance of a workflow (the server works through them)")
      .argument("<name>", "the workflow")
      .option(
        `--status <status>`,
        `only instances in this status (${TERMINABLE_STATUSES.join(", ")})`,
        terminableStatus,
      ),
  ).action((name: string, options: ClientFlags & { status?: string }) =>
    runAction(io, options, async (ctx) => {
      const result = await ctx.client.terminateAll(name, options.status);
      if (ctx.json) return void ctx.printJson(result);
      const which = options.status ?? "unfinished";
      ctx.print(
        result?.status === "already_running"
          ? `⌛ A terminate-all of workflow ${name} is already under way`
          : `🚫 Terminating every ${which} instance of workflow ${name}`,
      );
    }),
  );
}
