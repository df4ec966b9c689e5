// Reads `d1_databases` from the wrangler config: `[{ binding, database_name, database_id,
// migrations_dir?, preview_database_id? }]`. A database's file is named by its `database_id`, else
// its `database_name`, so the name must be safe as a file name; two bindings naming one database
// share it. `migrations_dir` and
// `preview_database_id` are accepted and unused (Cairn applies no migrations and has no remote
// preview databases).

import { HostError } from "../host-error.js";

export type D1DatabaseConfig = { binding: string; databaseName: string | undefined; fileId: string };

/** Letters, digits, dot, dash and underscore, not "." or "..": safe as a file name on every system. */
const FILE_ID = /^[A-Za-z0-9._-]+$/;

function invalid(configPath: string, message: string): HostError {
  return new HostError("config.invalid", `${configPath}: ${message}`);
}

function optionalString(
  fields: Record<string, unknown>,
  field: string,
  at: string,
  configPath: string,
): string | undefined {
  const value = fields[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw invalid(configPath, `${at}.${field} must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The D1 databases of the config, validated; an empty list when it declares none. */
export function readD1Databases(raw: Record<string, unknown>, configPath: string): D1DatabaseConfig[] {
  const list = raw.d1_databases;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    throw invalid(configPath, "d1_databases must be an array of { binding, database_name, database_id }");
  }
  return list.map((entry: unknown, index) => {
    const at = `d1_databases[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(configPath, `${at} must be an object { binding, database_name, database_id }`);
    }
    const fields = entry as Record<string, unknown>;
    const binding = optionalString(fields, "binding", at, configPath);
    if (binding === undefined) throw invalid(configPath, `${at}.binding is required`);
    const databaseName = optionalString(fields, "database_name", at, configPath);
    const databaseId = optionalString(fields, "database_id", at, configPath);
    optionalString(fields, "migrations_dir", at, configPath);
    optionalString(fields, "preview_database_id", at, configPath);
    const fileId = databaseId ?? databaseName;
    if (fileId === undefined) throw invalid(configPath, `${at} needs a database_id or a database_name`);
    const field = databaseId !== undefined ? "database_id" : "database_name";
    if (!FILE_ID.test(fileId) || fileId === "." || fileId === "..") {
      throw invalid(
        configPath,
        `${at}.${field} ${JSON.stringify(fileId)} names the database's file, so it may hold only letters, digits, ".", "-" and "_"`,
      );
    }
    return { binding, databaseName, fileId };
  });
}
