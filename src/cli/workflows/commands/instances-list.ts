// `cairn workflows instances list <name>`: one page of a workflow's instances, newest first,
// filtered by status and creation date, as `wrangler workflows instances list` does.

import type { Command } from "commander";
import type { InstanceQuery } from "../api-client.js";
import { runAction } from "../context.js";
import { orderInstances, renderInstanceList } from "../format/instances.js";
import { pageNote, summariseCounts } from "../format/workflows.js";
import type { CliIo } from "../io.js";
import { addClientOptions, type ClientFlags, dateOption, instanceStatus, positiveInt } from "../options.js";

type ListFlags = ClientFlags & {
  status?: string;
  dateStart?: string;
  dateEnd?: string;
  page?: number;
  perPage?: number;
  reverse?: boolean;
};

/** The query for the flags: `page` only when asked for, so page 1 is the server's first page. */
export function instanceQuery(options: ListFlags): InstanceQuery {
  const query: InstanceQuery = {};
  if (options.status) query.status = options.status;
  if (options.dateStart) query.date_start = options.dateStart;
  if (options.dateEnd) query.date_end = options.dateEnd;
  if (options.perPage !== undefined) query.per_page = options.perPage;
  if (options.page !== undefined) query.page = options.page;
  return query;
}

export function registerInstancesList(instances: Command, io: CliIo): void {
  addClientOptions(
    instances
      .command("list")
      .description("list a workflow's instances, newest first")
      .argument("<name>", "the workflow")
      .option("--status <status>", "only instances in this status", instanceStatus)
      .option("--date-start <date>", "only instances created at or after this date (UTC)", dateOption(false))
      .option(
        "--date-end <date>",
        "only instances created at or before this date (UTC; a date alone means its end)",
        dateOption(true),
      )
      .option("--page <n>", "the page to show (default: 1)", positiveInt)
      .option("--per-page <n>", "instances per page (default: the server's, 25)", positiveInt)
      .option("--reverse", "show the page oldest first"),
  ).action((name: string, options: ListFlags) =>
    runAction(io, options, async (ctx) => {
      const { result, info } = await ctx.client.listInstances(name, instanceQuery(options));
      if (ctx.json) return void ctx.printJson(result);
      const page = options.page ?? 1;
      if (result.length === 0) {
        const filtered = options.status || options.dateStart || options.dateEnd;
        ctx.print(
          page > 1
            ? `No instances of ${name} on page ${page}.`
            : filtered
              ? `No instances of ${name} match the filters.`
              : `No instances of ${name} yet. Create one with: cairn workflows trigger ${name}`,
        );
        return;
      }
      ctx.print(renderInstanceList(orderInstances(result, options.reverse === true), ctx));
      const notes: string[] = [];
      if (info.status_counts) notes.push(`All instances: ${summariseCounts(info.status_counts)}`);
      const paging = pageNote(info, page, "instances");
      if (paging) notes.push(paging);
      else if (info.cursor) notes.push(`More instances follow; next: --page ${page + 1}`);
      if (notes.length > 0) ctx.print(ctx.colours.dim(notes.join("\n")));
    }),
  );
}
