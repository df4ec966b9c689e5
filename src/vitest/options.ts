// What the plugin (in vitest's main process) hands to each test file's setup (in a test worker):
// the project read from its wrangler config, as plain JSON. The plugin serves it as a virtual
// module, with a loader of the Worker's entry module that goes through vite like the tests do.

import type { WorkflowConfig } from "../host/config.js";

/** Where each test file's Cairn keeps its state: SQLite in memory, or a SQLite file in a temporary folder. */
export type TestStorage = "memory" | "file";

/** The project as a test file's setup needs it. */
export type FileOptions = {
  /** The wrangler config file read. */
  configPath: string;
  /** Absolute path of the Worker's entry module (`main`). */
  main: string;
  workflows: WorkflowConfig[];
  /** `vars` of the config, then the secrets of `.dev.vars` (or `.env`). */
  vars: Record<string, unknown>;
  storage: TestStorage;
};

/** The id the setup file imports; the plugin resolves it to a module generated from FileOptions. */
export const OPTIONS_MODULE = "virtual:cairn-vitest/options";
