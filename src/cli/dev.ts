// `cairn dev [dir]`: runs a Worker project for development, like `wrangler dev`: reads
// `.dev.vars`, watches the folder and rebuilds on change, shows errors in responses.

import type { Command } from "commander";
import { addHostOptions, type HostCommandOptions, runHost } from "./host-command.js";

export function registerDev(program: Command): void {
  const command = program
    .command("dev")
    .description("run a Worker project with its workflows, rebuilding on change (state in <dir>/.cairn)");
  addHostOptions(command, 5).action((dir: string, options: HostCommandOptions) =>
    runHost("dev", dir, options),
  );
}
