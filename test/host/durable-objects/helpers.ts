// Test helper: an ObjectRegistry on a fresh temporary state dir with the given classes standing in
// for a Worker's exports, so that unit tests reach Durable Objects through the same namespace,
// stubs, input gate and SQLite files the host uses.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { AlarmTimers } from "../../../src/host/durable-objects/alarms.js";
import type { StorageKind } from "../../../src/host/durable-objects/config.js";
import { ObjectRegistry } from "../../../src/host/durable-objects/object-registry.js";
import { StateIndex } from "../../../src/host/durable-objects/state-index.js";
import type { WorkerModule } from "../../../src/host/worker-module.js";

const made: string[] = [];
const open: { close(): Promise<void> }[] = [];

export const silentLog = pino({ enabled: false });

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cairn-dobj-"));
  made.push(dir);
  return dir;
}

export type TestHost = {
  registry: ObjectRegistry;
  index: StateIndex;
  dir: string;
  /** Swaps the exported classes, as a `cairn dev` reload does. */
  swap(exports: Record<string, unknown>): void;
  close(): Promise<void>;
};

/** A registry on `dir` (a new temp dir by default) exporting `exports`, with each class's storage kind. */
export function openHost(
  exports: Record<string, unknown>,
  kinds: Record<string, StorageKind>,
  options: { dir?: string; timers?: AlarmTimers; env?: Record<string, unknown> } = {},
): TestHost {
  const dir = options.dir ?? tempDir();
  const index = new StateIndex(dir);
  let module: WorkerModule = { fetch: null, scheduled: null, queue: null, classes: {}, exports };
  const registry = new ObjectRegistry({
    dir,
    index,
    classes: new Map(Object.entries(kinds)),
    module: () => module,
    env: () => options.env ?? {},
    waitUntil: () => {},
    log: silentLog,
    ...(options.timers ? { timers: options.timers } : {}),
  });
  let closed = false;
  const host: TestHost = {
    registry,
    index,
    dir,
    swap(next) {
      module = { ...module, exports: next };
      registry.reloaded();
    },
    async close() {
      if (closed) return;
      closed = true;
      await registry.close();
      index.close();
    },
  };
  open.push(host);
  return host;
}

/** Closes every host and removes every temp dir (for afterEach). */
export async function cleanUp(): Promise<void> {
  for (const host of open.splice(0)) await host.close();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
