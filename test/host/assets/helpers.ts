// Test helper for the assets host tests: HTTP requests sent exactly as written (Node's fetch
// replaces Sec-Fetch-Mode with "cors" and normalises paths, which these tests must control), and
// rewriting a copied fixture's wrangler config.

import { writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";

export type RawResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** Sends `method path` to `base` with exactly `headers`, the path unnormalised. */
export function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A browser's navigation to `path`. */
export function navigate(base: string, path: string): Promise<RawResponse> {
  return send(base, path, { headers: { "Sec-Fetch-Mode": "navigate", Accept: "text/html" } });
}

/** How many requests the fixture's Worker has seen (its /api/calls route does not count itself). */
export async function workerCalls(base: string): Promise<number> {
  const response = await send(base, "/api/calls");
  return (JSON.parse(response.body) as { calls: number }).calls;
}

/** Replaces the project's wrangler.jsonc with `config`. */
export function writeConfig(dir: string, config: Record<string, unknown>): void {
  writeFileSync(join(dir, "wrangler.jsonc"), `${JSON.stringify(config, null, 2)}\n`);
}

/** The fixture's config with `assets` laid over its assets section. */
export function assetsProjectConfig(
  assets: Record<string, unknown>,
  drop: string[] = [],
): Record<string, unknown> {
  const section: Record<string, unknown> = {
    directory: "./dist",
    binding: "ASSETS",
    not_found_handling: "single-page-application",
    ...assets,
  };
  for (const key of drop) delete section[key];
  return { name: "assets-project", main: "src/index.js", compatibility_date: "2025-09-01", assets: section };
}
