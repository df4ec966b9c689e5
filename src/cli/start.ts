// `cairn start [dir]`: runs a Worker project in production: no watching, no `.dev.vars`, secrets
// from --env-file or --var, JSON logs when not on a terminal, and a graceful stop on SIGTERM;
// with --workers N, N processes sharing the Worker's port on one PostgreSQL store.

import type { Command } from "commander";
import {
  addAdminOptions,
  addHostOptions,
  addWorkersOption,
  type HostCommandOptions,
  runHost,
} from "./host-command.js";

export function registerStart(program: Command): void {
  const command = program
    .command("start")
    .description("run a Worker project with its workflows in production (graceful stop on SIGTERM/SIGINT)");
  addWorkersOption(addAdminOptions(addHostOptions(command, 30))).action(
    (dir: string, options: HostCommandOptions) => runHost("start", dir, options),
  );
}
