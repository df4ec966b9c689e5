// Test runner configuration: unit tests live next to the code in src/, integration
// and crash tests in test/. The "source" condition lets `import "cairn"` resolve to src/.
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    conditions: ["source"],
    // Workflow code written for Cloudflare imports these; Cairn provides them.
    alias: {
      "cloudflare:workers": source("./src/workers.ts"),
      "cloudflare:workflows": source("./src/workflows.ts"),
    },
  },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Fixture projects have tests of their own, run by the tests that use them (test/vitest-plugin).
    exclude: [...configDefaults.exclude, "test/fixtures/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
