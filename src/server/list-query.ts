// Turns the query string of an instances list (the explorer's `page`/`per_page`, the REST API's
// `cursor`, both with `status`, `date_start`, `date_end`, and Cairn's `id_prefix` and `order`)
// into `inspect.instances` options, refusing bad values with a 400 that names them.

import type { ListInstancesOptions, StoredStatus } from "../inspect/types.js";
import { ApiError, CF_CODE } from "./api-error.js";
import { CF_STATUSES } from "./cloudflare-shapes.js";

export const DEFAULT_PER_PAGE = 25;
export const MAX_PER_PAGE = 100;

/** A whole-number query parameter within [min, max]; undefined when absent; a 400 otherwise. */
export function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError(
      400,
      "request.invalid",
      `${name}: expected a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

function date(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new ApiError(400, "request.invalid", `${name}: expected an ISO 8601 date, got "${raw}"`);
  }
  return ms;
}

/** The parsed list query; `page` is set when the caller paged by number. */
export function listOptions(params: URLSearchParams): ListInstancesOptions & { limit: number } {
  const options: ListInstancesOptions & { limit: number } = {
    limit: integer(params, "per_page", 1, MAX_PER_PAGE) ?? DEFAULT_PER_PAGE,
  };
  const status = params.get("status");
  if (status !== null && status !== "") {
    if (!CF_STATUSES.includes(status as StoredStatus)) {
      throw new ApiError(
        400,
        "request.invalid",
        `status: expected one of ${CF_STATUSES.join(", ")}, got "${status}"`,
      );
    }
    options.status = status as StoredStatus;
  }
  const from = date(params, "date_start");
  const to = date(params, "date_end");
  if (from !== undefined && to !== undefined && from > to) {
    throw new ApiError(
      400,
      "request.invalid",
      `'date_start' must not be after 'date_end' (${params.get("date_start")} > ${params.get("date_end")})`,
      CF_CODE.invalidDateRange,
    );
  }
  if (from !== undefined) options.createdFrom = from;
  if (to !== undefined) options.createdTo = to;
  const prefix = params.get("id_prefix");
  if (prefix !== null && prefix !== "") options.idPrefix = prefix;
  const order = params.get("order");
  if (order !== null && order !== "") {
    if (order !== "asc" && order !== "desc") {
      throw new ApiError(400, "request.invalid", `order: expected "asc" or "desc", got "${order}"`);
    }
    options.order = order;
  }
  const cursor = params.get("cursor");
  const page = integer(params, "page", 1, Number.MAX_SAFE_INTEGER);
  if (cursor) options.cursor = cursor;
  else if (page !== undefined) options.page = page;
  return options;
}
