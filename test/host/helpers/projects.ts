// Test helper: copies a fixture project from test/fixtures into a fresh temporary folder (its own
// .cairn state, free to edit) with node_modules linked to the repository's, as an installed
// project would have; and small HTTP helpers for driving the served Worker.

import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "cairn/testing";

const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const nodeModules = fileURLToPath(new URL("../../../node_modules", import.meta.url));
const made: string[] = [];

/** A copy of test/fixtures/<name> in a new temporary folder; removed by `removeProjects`. */
export function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cairn-host-${name}-`));
  made.push(dir);
  cpSync(join(fixtures, name), dir, { recursive: true });
  symlinkSync(nodeModules, join(dir, "node_modules"), "dir");
  return dir;
}

export function removeProjects(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Fetches `path` from `base` and parses the JSON body. */
export async function getJson<T = any>(base: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, base));
  return { status: response.status, body: (await response.json()) as T };
}

export async function postJson<T = any>(
  base: string,
  path: string,
  value: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, base), { method: "POST", body: JSON.stringify(value) });
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * Polls `GET path` until its JSON body has the `status` field one of `wanted`. An error answer
 * (e.g. the instance does not exist yet) counts as not there yet.
 */
export function waitForHttpStatus(
  base: string,
  path: string,
  wanted: string | string[],
  timeoutMs = 20_000,
): Promise<any> {
  const set = Array.isArray(wanted) ? wanted : [wanted];
  return waitUntil<any>(
    async () => {
      const response = await fetch(new URL(path, base));
      return response.ok ? await response.json() : { answer: response.status, text: await response.text() };
    },
    (body: any) => set.includes(body?.status),
    { timeoutMs, intervalMs: 25, what: `${path} to be ${set.join(" or ")}` },
  );
}
