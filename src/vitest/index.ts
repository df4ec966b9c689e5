// `cairn/vitest`: runs a Worker project's vitest tests, written for Cloudflare's integration
// (`cloudflare:test`, `cloudflare:workers`), on Cairn. See docs/testing.md.

export type { TestStorage } from "./options.js";
export { type CairnWorkflowsOptions, type CairnWorkflowsPlugin, cairnWorkflows } from "./plugin.js";
