// Reads the `durable_objects.bindings` and `migrations` sections of a wrangler config: which
// namespace bindings the Worker has, and what each class's storage is. Migrations decide that on
// Cloudflare: `new_sqlite_classes` get SQLite storage with `ctx.storage.sql`, `new_classes` get the
// older key-value storage, renames carry objects to a new class name, deletes drop them.

import { HostError } from "../host-error.js";

export type StorageKind = "sqlite" | "kv";

export type NamespaceBinding = { name: string; className: string };

export type Migration = {
  tag: string;
  newClasses: string[];
  newSqliteClasses: string[];
  renamed: { from: string; to: string }[];
  deleted: string[];
};

export type DurableObjectsConfig = {
  bindings: NamespaceBinding[];
  migrations: Migration[];
  /** Each class's storage after every migration, in order. */
  classes: Map<string, StorageKind>;
  /** Bound classes that no migration creates (run as key-value backed, as `wrangler dev` does). */
  unmigrated: string[];
};

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(path: string, message: string): HostError {
  return new HostError("config.invalid", `${path}: ${message}`);
}

function text(entry: Raw, field: string, at: string, path: string): string {
  const value = entry[field];
  if (typeof value !== "string" || value === "")
    throw invalid(path, `${at}.${field} must be a non-empty string`);
  return value;
}

function names(entry: Raw, field: string, at: string, path: string): string[] {
  const value = entry[field] ?? [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw invalid(path, `${at}.${field} must be a list of class names`);
  }
  return value as string[];
}

function readBindings(raw: Raw, path: string): NamespaceBinding[] {
  const section = raw.durable_objects;
  if (section === undefined) return [];
  const list = isObject(section) ? (section.bindings ?? []) : undefined;
  if (!Array.isArray(list))
    throw invalid(path, "durable_objects.bindings must be a list of { name, class_name }");
  const seen = new Set<string>();
  return list.map((entry: unknown, index) => {
    const at = `durable_objects.bindings[${index}]`;
    if (!isObject(entry)) throw invalid(path, `${at} must be an object { name, class_name }`);
    const name = text(entry, "name", at, path);
    if (seen.has(name)) throw invalid(path, `two Durable Object bindings are named "${name}"`);
    seen.add(name);
    if (entry.script_name !== undefined && entry.script_name !== raw.name) {
      throw new HostError(
        "config.unknown_script",
        `${path}: Durable Object binding ${name} names script_name "${String(entry.script_name)}", which is not this Worker` +
          `${typeof raw.name === "string" ? ` ("${raw.name}")` : ""}. Cairn hosts the Durable Object classes the Worker it runs exports; ` +
          "remove script_name or run that Worker's project.",
      );
    }
    return { name, className: text(entry, "class_name", at, path) };
  });
}

function readMigrations(raw: Raw, path: string): Migration[] {
  const list = raw.migrations ?? [];
  if (!Array.isArray(list))
    throw invalid(path, "migrations must be a list of { tag, new_sqlite_classes, … }");
  const tags = new Set<string>();
  return list.map((entry: unknown, index) => {
    const at = `migrations[${index}]`;
    if (!isObject(entry)) throw invalid(path, `${at} must be an object { tag, new_sqlite_classes, … }`);
    const tag = text(entry, "tag", at, path);
    if (tags.has(tag)) throw invalid(path, `two migrations have the tag "${tag}"`);
    tags.add(tag);
    const renamedRaw = entry.renamed_classes ?? [];
    if (!Array.isArray(renamedRaw))
      throw invalid(path, `${at}.renamed_classes must be a list of { from, to }`);
    const renamed = renamedRaw.map((r: unknown, i) => {
      const rat = `${at}.renamed_classes[${i}]`;
      if (!isObject(r)) throw invalid(path, `${rat} must be an object { from, to }`);
      return { from: text(r, "from", rat, path), to: text(r, "to", rat, path) };
    });
    if (entry.transferred_classes !== undefined) {
      throw invalid(
        path,
        `${at}.transferred_classes moves classes between Workers; Cairn hosts one Worker, so it cannot`,
      );
    }
    return {
      tag,
      newClasses: names(entry, "new_classes", at, path),
      newSqliteClasses: names(entry, "new_sqlite_classes", at, path),
      renamed,
      deleted: names(entry, "deleted_classes", at, path),
    };
  });
}

/** Each class's storage kind after applying `migrations` in order; a step that makes no sense is refused. */
function classKinds(migrations: Migration[], path: string): Map<string, StorageKind> {
  const classes = new Map<string, StorageKind>();
  for (const m of migrations) {
    const create = (name: string, kind: StorageKind) => {
      if (classes.has(name))
        throw invalid(path, `migration "${m.tag}" creates class ${name}, which already exists`);
      classes.set(name, kind);
    };
    for (const name of m.newClasses) create(name, "kv");
    for (const name of m.newSqliteClasses) create(name, "sqlite");
    for (const { from, to } of m.renamed) {
      const kind = classes.get(from);
      if (!kind)
        throw invalid(path, `migration "${m.tag}" renames class ${from}, which no earlier migration creates`);
      if (classes.has(to))
        throw invalid(path, `migration "${m.tag}" renames ${from} to ${to}, which already exists`);
      classes.delete(from);
      classes.set(to, kind);
    }
    for (const name of m.deleted) {
      if (!classes.delete(name)) {
        throw invalid(path, `migration "${m.tag}" deletes class ${name}, which no earlier migration creates`);
      }
    }
  }
  return classes;
}

/**
 * The bound classes' names as the config gives them, without checking the rest of the section
 * (for checking a Worker's exports; the provider reads and checks the whole section).
 */
export function boundClassNames(raw: Raw): NamespaceBinding[] {
  const section = raw.durable_objects;
  const list = isObject(section) && Array.isArray(section.bindings) ? section.bindings : [];
  return list.flatMap((entry: unknown) =>
    isObject(entry) && typeof entry.name === "string" && typeof entry.class_name === "string"
      ? [{ name: entry.name, className: entry.class_name }]
      : [],
  );
}

/** The Durable Objects part of a config, or null when it declares no bindings and no migrations. */
export function readDurableObjectsConfig(raw: Raw, path: string): DurableObjectsConfig | null {
  const bindings = readBindings(raw, path);
  const migrations = readMigrations(raw, path);
  if (bindings.length === 0 && migrations.length === 0) return null;
  const classes = classKinds(migrations, path);
  const deleted = new Set(migrations.flatMap((m) => m.deleted));
  const unmigrated: string[] = [];
  for (const b of bindings) {
    if (classes.has(b.className)) continue;
    if (deleted.has(b.className)) {
      throw invalid(
        path,
        `Durable Object binding ${b.name} names class ${b.className}, which a migration deletes`,
      );
    }
    classes.set(b.className, "kv");
    if (!unmigrated.includes(b.className)) unmigrated.push(b.className);
  }
  return { bindings, migrations, classes, unmigrated };
}
