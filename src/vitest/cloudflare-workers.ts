// `cloudflare:workers` in tests run by cairn/vitest: what `cairn dev` gives a Worker (the
// workflow classes, WorkerEntrypoint, `env`, `waitUntil`), plus `exports`, whose `default`
// calls the Worker's default export as `SELF` of `cloudflare:test` does. `env` is the test
// file's (the same object as `env` of `cloudflare:test`, and typed as it is).

import type { ProvidedEnv } from "./cloudflare-test.js";
import { env as workerEnv } from "./file-runtime.js";

export * from "../host/runtime/cloudflare-workers.js";
export { exports } from "./file-runtime.js";

/** The Worker's env for this test file: its workflow bindings and vars (and `.dev.vars` secrets). */
export const env = workerEnv as ProvidedEnv;
