// One step's full result, never truncated: Cloudflare's `…/instances/:id/step?name=<name-N>&type=`
// and Cairn's `…/steps/:key/output`. A stream result comes back as its raw bytes; a sensitive
// step's output reads "[REDACTED]" (Cairn's route shows it when asked with include_sensitive).

import type { RevealOptions, StepView } from "../inspect/types.js";
import type { ApiTarget } from "./api-context.js";
import { ApiError, CF_CODE } from "./api-error.js";
import { stepName } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";

const TYPES: Record<string, StepView["type"][]> = {
  step: ["do", "rollback"],
  do: ["do"],
  sleep: ["sleep"],
  waitForEvent: ["waitForEvent"],
};

function statusOf(step: StepView): string {
  if (step.status === "succeeded") return "complete";
  if (step.status === "failed") return "errored";
  return step.status === "waiting" ? "waiting" : "running";
}

async function answer(
  target: ApiTarget,
  workflow: string,
  id: string,
  step: StepView,
  reveal: RevealOptions = {},
): Promise<Response> {
  if (step.stream && step.status === "succeeded") {
    const bytes = await target.inspect.streamResult(workflow, id, step.key, reveal);
    return new Response(bytes, { headers: { "content-type": "application/octet-stream" } });
  }
  const output = step.type === "waitForEvent" ? (step.event ?? null) : (step.output ?? null);
  return ok({ status: statusOf(step), error: step.error, output, key: step.key, type: step.type });
}

/** The step named `<name>-<count>` (and of `type`, if given). */
export async function stepOutput(
  target: ApiTarget,
  workflow: string,
  id: string,
  selector: { name: string | null; type: string | null },
): Promise<Response> {
  if (!selector.name) {
    throw new ApiError(
      400,
      "request.invalid",
      'name: expected the step\'s name with its count, e.g. "charge-1"',
    );
  }
  const types = selector.type ? TYPES[selector.type] : undefined;
  if (selector.type && !types) {
    throw new ApiError(
      400,
      "request.invalid",
      `type: expected one of ${Object.keys(TYPES).join(", ")}, got "${selector.type}"`,
    );
  }
  const detail = await target.inspect.instance(workflow, id);
  const step = detail.steps.find(
    (s) => s.type !== "termination" && stepName(s) === selector.name && (!types || types.includes(s.type)),
  );
  if (!step) {
    throw new ApiError(
      404,
      "step.not_found",
      `Step '${selector.name}' not found in instance '${id}'`,
      CF_CODE.notFound,
    );
  }
  return answer(target, workflow, id, step);
}

/**
 * The step with this journal key (`do:1:charge`), as `inspect` names steps; a sensitive output
 * only with `{ includeSensitive: true }`.
 */
export async function stepOutputByKey(
  target: ApiTarget,
  workflow: string,
  id: string,
  key: string,
  reveal: RevealOptions = {},
): Promise<Response> {
  const detail = await target.inspect.instance(workflow, id, reveal);
  const step = detail.steps.find((s) => s.key === key && s.type !== "termination");
  if (!step) {
    throw new ApiError(
      404,
      "step.not_found",
      `Step '${key}' not found in instance '${id}'`,
      CF_CODE.notFound,
    );
  }
  return answer(target, workflow, id, step, reveal);
}
