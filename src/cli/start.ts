// `cairn start [dir]`: runs a Worker project in production: no watching, no `.dev.vars`, secrets
// from --env-file or --var, JSON logs when not on a terminal, and a graceful stop on SIGTERM.

import type { Command } from "commander";
import { addAdminOptions, addHostOptions, type HostCommandOptions, runHost } from "./host-command.js";

export function registerStart(program: Command): void {
  const command = program
    .command("start")
    .description("run a Worker project with its workflows in production (graceful stop on SIGTERM/SIGINT)");
  addAdminOptions(addHostOptions(command, 30)).action((dir: string, options: HostCommandOptions) =>
    runHost("start", dir, options),
  );
}
