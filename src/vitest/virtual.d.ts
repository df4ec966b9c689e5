// The module the plugin generates for the setup file (see plugin.ts).
declare module "virtual:cairn-vitest/options" {
  export const options: import("./options.js").FileOptions;
  /** Imports the Worker's entry module through vite, as the test files are imported. */
  export function loadWorker(): Promise<Record<string, unknown>>;
}
