// Applies the wrangler config's Durable Object migrations to the state on disk, once each (the
// state index remembers applied tags): a renamed class's objects, id key and alarms move to the
// new name; a deleted class's objects are removed. New classes need nothing until first use.

import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../observability/logger.js";
import { HostError } from "../host-error.js";
import type { Migration } from "./config.js";
import type { StateIndex } from "./state-index.js";

export function applyMigrations(
  migrations: Migration[],
  index: StateIndex,
  dir: string,
  log: Logger,
  now: number = Date.now(),
): void {
  for (const migration of migrations) {
    index.applyOnce(migration.tag, now, () => {
      for (const { from, to } of migration.renamed) renameClass(migration.tag, from, to, index, dir, log);
      for (const name of migration.deleted) {
        rmSync(join(dir, name), { recursive: true, force: true });
        index.deleteClass(name);
        log.info({ tag: migration.tag, className: name }, "Durable Object class deleted with its objects");
      }
    });
  }
}

function renameClass(
  tag: string,
  from: string,
  to: string,
  index: StateIndex,
  dir: string,
  log: Logger,
): void {
  const source = join(dir, from);
  const target = join(dir, to);
  if (existsSync(source)) {
    if (existsSync(target)) {
      throw new HostError(
        "config.invalid",
        `migration "${tag}" renames Durable Object class ${from} to ${to}, but ${target} already holds objects of ${to}`,
      );
    }
    renameSync(source, target);
  }
  index.renameClass(from, to);
  log.info({ tag, from, to }, "Durable Object class renamed");
}
