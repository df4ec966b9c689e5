// Import rules for src/: no cycles (type imports count, since they tie files together just the
// same) and the layers point one way. Run by `npm run lint` through `npm run deps`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle ties its files into one unit; cut it by moving the shared piece down a layer.",
      from: {},
      to: { circular: true },
    },
    {
      name: "api-is-vocabulary-only",
      severity: "error",
      comment:
        "api/ holds Cloudflare's vocabulary (types, WorkflowEntrypoint, NonRetryableError) and imports nothing of Cairn.",
      from: { path: "^src/api/" },
      to: { path: "^src/", pathNot: "^src/api/" },
    },
    {
      name: "storage-below-engine",
      severity: "error",
      comment: "storage/ knows nothing above it: only the error classes and its own files.",
      from: { path: "^src/storage/" },
      to: { path: "^src/", pathNot: ["^src/storage/", "^src/errors\\.ts$"] },
    },
    {
      name: "engine-below-its-clients",
      severity: "error",
      comment: "engine/ uses storage's contract and api/'s vocabulary, never the layers that use it.",
      from: { path: "^src/engine/" },
      to: {
        path: "^src/(host|cli|server|testing|bindings|inspect|vitest)/|^src/cairn\\.ts$|^src/index\\.ts$",
      },
    },
    {
      name: "engine-through-the-contract",
      severity: "error",
      comment:
        "engine/ reaches storage only through storage/types.ts (and the shared records), never an adapter.",
      from: { path: "^src/engine/" },
      to: { path: "^src/storage/(sqlite|postgres)/" },
    },
    {
      name: "nothing-imports-the-vitest-plugin",
      severity: "error",
      comment:
        "vitest/ (cairn/vitest) is an entry point on top: the Cairn facade, testing/ and host/ serve it, never the other way.",
      from: { path: "^src/", pathNot: "^src/vitest/" },
      to: { path: "^src/vitest/" },
    },
    {
      name: "vitest-plugin-through-cairn-testing-host",
      severity: "error",
      comment:
        "vitest/ runs a Worker as host/ does, on the Cairn facade, with testing/'s introspection; it reaches no adapter, server or CLI.",
      from: { path: "^src/vitest/" },
      to: { path: "^src/(storage|server|cli|dashboard|inspect|bindings)/" },
    },
    {
      name: "dashboard-ui-is-browser-code",
      severity: "error",
      comment:
        "dashboard/ui/ runs in the browser: it talks to Cairn over HTTP only and imports nothing else of src/.",
      from: { path: "^src/dashboard/ui/" },
      to: { path: "^src/", pathNot: "^src/dashboard/ui/" },
    },
    {
      name: "nothing-imports-the-dashboard-ui",
      severity: "error",
      comment: "The browser code is bundled by dashboard/build.ts, never imported by the server.",
      from: { path: "^src/", pathNot: "^src/dashboard/ui/" },
      to: { path: "^src/dashboard/ui/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
