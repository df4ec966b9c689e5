// Errors the HTTP API answers with, and how any error becomes an HTTP status and a Cloudflare
// error code. Cloudflare's tools show `errors[0].message` as is, so every message is written for
// a person; Cairn's stable string code travels beside the numeric one as `cairn_code`.

import { WorkflowsError } from "../errors.js";

/** Cloudflare's numeric codes, as its local explorer API answers them. */
export const CF_CODE = {
  internal: 10000,
  invalid: 10001,
  instanceNotFoundInBatch: 10400,
  notFound: 10501,
  invalidDateRange: 10502,
} as const;

export type ApiErrorCode =
  | "request.invalid_json"
  | "request.invalid"
  | "request.too_large"
  | "request.incomplete"
  | "request.timeout"
  | "request.invalid_path"
  | "request.unsupported_media"
  | "auth.missing"
  | "auth.invalid"
  | "auth.csrf"
  | "host.not_allowed"
  | "origin.not_allowed"
  | "route.not_found"
  | "step.not_found"
  | "method.not_allowed"
  | "service.unavailable"
  | "internal";

/** An error the API itself raises (bad request, refused request), with its HTTP status. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly cfCode: number;

  constructor(status: number, code: ApiErrorCode, message: string, cfCode: number = CF_CODE.invalid) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.cfCode = cfCode;
  }
}

/** What an error becomes on the wire: HTTP status, Cloudflare code, Cairn code, message. */
export type WireError = { status: number; cfCode: number; code: string; message: string };

const STATUS_BY_CODE: Record<string, number> = {
  "workflow.not_found": 404,
  "instance.not_found": 404,
  "instance.already_exists": 409,
  "instance.cannot_terminate": 409,
  "instance.cannot_restart": 409,
  "instance.not_running": 409,
  "instance.params_too_large": 413,
  "event.payload_too_large": 413,
  "engine.closed": 503,
  "storage.unavailable": 503,
  "storage.outcome_unknown": 503,
  "storage.full": 507,
  "storage.file_replaced": 503,
  "storage.locked": 503,
};

/** Engine errors that come from bad input; anything else unknown is a 500. */
const BAD_INPUT =
  /^(instance\.(invalid_id|invalid_options)|workflow\.(invalid_name|invalid_event_type)|event\.invalid|batch\.invalid|query\.invalid|value\.not_serializable|step\.invalid_name)$/;

/** Maps any thrown value to what the API answers. */
export function toWireError(error: unknown): WireError {
  if (error instanceof ApiError) {
    return { status: error.status, cfCode: error.cfCode, code: error.code, message: error.message };
  }
  if (WorkflowsError.is(error)) {
    const status = STATUS_BY_CODE[error.code] ?? (BAD_INPUT.test(error.code) ? 400 : 500);
    const cfCode = status === 404 ? CF_CODE.notFound : status >= 500 ? CF_CODE.internal : CF_CODE.invalid;
    return { status, cfCode, code: error.code, message: error.detail };
  }
  return { status: 500, cfCode: CF_CODE.internal, code: "internal", message: "Internal error" };
}
