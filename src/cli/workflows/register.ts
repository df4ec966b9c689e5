// `cairn workflows …`: wires the commands into commander. A usage mistake (an unknown flag, a
// missing argument, a bad value) exits with status 2 instead of commander's 1, so that a script
// can tell it from a refusal by the server (1) and a server that is not there (3).

import { Command } from "commander";
import { registerInstanceControl } from "./commands/instances-control.js";
import { registerInstancesDelete } from "./commands/instances-delete.js";
import { registerInstancesDescribe } from "./commands/instances-describe.js";
import { registerInstancesExport } from "./commands/instances-export.js";
import { registerInstancesList } from "./commands/instances-list.js";
import { registerWorkflowCommands } from "./commands/workflows.js";
import { type CliIo, processIo } from "./io.js";

/** Exit status of a usage error. */
export const USAGE_EXIT = 2;

/**
 * The `workflows` command with all its subcommands, writing and exiting through `io`.
 * Subcommands made with `.command()` copy its output and exit settings.
 */
export function createWorkflowsCommand(io: CliIo = processIo()): Command {
  const workflows = new Command("workflows")
    .description("manage workflows and their instances on a running Cairn server (like `wrangler workflows`)")
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .showHelpAfterError()
    // Help and --version exit 0; every other commander exit is a usage error.
    .exitOverride((error) => io.exit(error.exitCode === 0 ? 0 : USAGE_EXIT));
  registerWorkflowCommands(workflows, io);
  const instances = workflows.command("instances").description("manage a workflow's instances");
  registerInstancesList(instances, io);
  registerInstancesDescribe(instances, io);
  registerInstanceControl(instances, io);
  registerInstancesDelete(instances, io);
  registerInstancesExport(instances, io);
  return workflows;
}

/** Adds `cairn workflows` to the program, on the real process. */
export function registerWorkflows(program: Command): void {
  program.addCommand(createWorkflowsCommand(processIo()));
}
