// "latest" as an instance id, as wrangler reads it: the instance with the newest created_on
// among those one list request with no query returns (the server's first page, newest first).

import type { Context } from "./context.js";
import { CliError } from "./errors.js";

/** `id` itself, or the newest instance's id when `id` is "latest" (noted on stderr). */
export async function resolveInstanceId(ctx: Context, workflow: string, id: string): Promise<string> {
  if (id !== "latest") return id;
  const { result } = await ctx.client.listInstances(workflow);
  const instances = Array.isArray(result) ? result : [];
  if (instances.length === 0)
    throw new CliError("cli.no_instances", 1, `there are no instances of workflow "${workflow}"`);
  // ISO strings compare as times; a missing created_on sorts first, as in wrangler.
  const newest = instances.reduce((best, item) =>
    (item.created_on ?? "") > (best.created_on ?? "") ? item : best,
  );
  ctx.note(ctx.colours.dim(`Latest instance is "${newest.id}"`));
  return newest.id;
}
