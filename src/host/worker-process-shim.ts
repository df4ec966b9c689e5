// Gives the bundled Worker its own `process` (see runtime/worker-process.ts): a shim module,
// written beside the bundle, that every `process` reference, `globalThis.process`,
// `import … from "node:process"` and `require("process")` in the Worker's code is pointed at.
// Cairn's own modules stay outside the bundle and keep the real process.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "esbuild";

/** The shim's name for the Worker's process in `define`d replacements. */
const PROCESS_NAME = "__cairnWorkerProcess";

/** Members of node:process a Worker may import by name. */
const NAMED_MEMBERS = [
  "abort",
  "addListener",
  "arch",
  "argv",
  "argv0",
  "chdir",
  "config",
  "cpuUsage",
  "cwd",
  "emit",
  "emitWarning",
  "env",
  "execArgv",
  "execPath",
  "exit",
  "exitCode",
  "features",
  "getBuiltinModule",
  "hrtime",
  "kill",
  "listenerCount",
  "listeners",
  "memoryUsage",
  "nextTick",
  "off",
  "on",
  "once",
  "pid",
  "platform",
  "ppid",
  "prependListener",
  "prependOnceListener",
  "release",
  "removeAllListeners",
  "removeListener",
  "resourceUsage",
  "stderr",
  "stdin",
  "stdout",
  "title",
  "umask",
  "uptime",
  "version",
  "versions",
];

/** Writes the shim into `outDir` and returns its path. `runtime` is the file URL of worker-process. */
export function writeProcessShim(outDir: string, runtime: string): string {
  const file = join(outDir, "worker-process-shim.mjs");
  const lines = [
    `import { workerProcess } from ${JSON.stringify(runtime)};`,
    `export { workerProcess as process, workerProcess as ${PROCESS_NAME}, workerProcess as default };`,
    ...NAMED_MEMBERS.map((name) => `export const ${name} = workerProcess.${name};`),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** esbuild settings that put the shim in place of `process` throughout the Worker's code. */
export function processShimSettings(
  shim: string,
  runtime: string,
): {
  inject: string[];
  define: Record<string, string>;
  plugin: Plugin;
} {
  return {
    inject: [shim],
    define: { "globalThis.process": PROCESS_NAME, "global.process": PROCESS_NAME },
    plugin: {
      name: "cairn-worker-process",
      setup(b) {
        b.onResolve({ filter: /^(node:)?process$/ }, () => ({ path: shim }));
        b.onResolve({ filter: /^file:/ }, (args) =>
          args.path === runtime ? { path: runtime, external: true } : undefined,
        );
      },
    },
  };
}
