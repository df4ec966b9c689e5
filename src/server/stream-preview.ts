// A stream step's result as Cairn's instance details show it: its size and its first bytes as
// text, so a dashboard can tell what a stream holds without fetching it whole (the step output
// route answers every byte).

import { WorkflowsError } from "../errors.js";
import type { InstanceDetail, RevealOptions } from "../inspect/types.js";
import type { ApiTarget } from "./api-context.js";
import type { StreamSummary } from "./cairn-shapes.js";

/** Preview bytes when the caller sets no `output_limit`, and the most it can ask for. */
export const STREAM_PREVIEW = { default: 1024, max: 4096 } as const;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Each finished stream step's summary by key, with a preview of up to `outputLimit` bytes. */
export async function streamSummaries(
  target: ApiTarget,
  detail: InstanceDetail,
  outputLimit: number | undefined,
  reveal: RevealOptions = {},
): Promise<Map<string, StreamSummary>> {
  const size = Math.min(outputLimit ?? STREAM_PREVIEW.default, STREAM_PREVIEW.max);
  const keys = detail.steps.filter((s) => s.stream).map((s) => s.key);
  // `inspect.streamResult` reads the whole stream (the store has no ranged read), so this costs
  // the stream's size in memory while the answer is built; only the preview is sent.
  const summaries = await Promise.all(
    keys.map(async (key): Promise<[string, StreamSummary] | null> => {
      try {
        const bytes = await target.inspect.streamResult(detail.workflow, detail.id, key, reveal);
        return [key, { bytes: bytes.byteLength, preview: decoder.decode(bytes.subarray(0, size)) }];
      } catch (error) {
        // Restarted or deleted since the details were read: the step shows no summary.
        if (WorkflowsError.is(error) && error.code === "instance.not_found") return null;
        throw error;
      }
    }),
  );
  return new Map(summaries.filter((s) => s !== null));
}
