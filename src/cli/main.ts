// The `cairn` command line: one file per command, registered here. bin/cairn.js imports this
// module (from dist, or from src through tsx in a development checkout) and it parses argv.

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerDev } from "./dev.js";
import { registerStart } from "./start.js";
import { registerWorkflows } from "./workflows/register.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("cairn")
  .description("Cloudflare Workflows on your own machines")
  .version(pkg.version)
  .showHelpAfterError();

registerDev(program);
registerStart(program);
registerWorkflows(program);

await program.parseAsync(process.argv);
