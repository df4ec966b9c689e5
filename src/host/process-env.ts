// What a Worker's `process.env` holds, as Cloudflare decides it: under `nodejs_compat`, its vars
// and secrets when the compatibility date is 2025-04-01 or later or the
// `nodejs_compat_populate_process_env` flag is set (`nodejs_compat_do_not_populate_process_env`,
// or `disallow_importable_env`, turns it off); otherwise nothing. Text values are kept as they are; other (JSON) vars appear as
// their JSON text, since process.env holds only strings.

import type { ProjectConfig } from "./config.js";

const POPULATED_FROM = "2025-04-01";

/** Whether the Worker's process.env shows its vars and secrets. */
export function populatesProcessEnv(compatibility: ProjectConfig["compatibility"]): boolean {
  const flags = new Set(compatibility.flags);
  if (!flags.has("nodejs_compat") && !flags.has("nodejs_compat_v2")) return false;
  if (flags.has("nodejs_compat_do_not_populate_process_env") || flags.has("disallow_importable_env"))
    return false;
  if (flags.has("nodejs_compat_populate_process_env")) return true;
  return compatibility.date !== undefined && compatibility.date >= POPULATED_FROM;
}

/** The Worker's process.env: its vars and secrets as strings, or nothing. */
export function workerProcessEnv(
  compatibility: ProjectConfig["compatibility"],
  values: Record<string, unknown>,
): Record<string, string> {
  if (!populatesProcessEnv(compatibility)) return {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    env[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return env;
}
