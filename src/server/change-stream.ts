// The change feed as Server-Sent Events: each change is one event named by its type, with its
// cursor as the event id, so a reconnecting EventSource resumes through `Last-Event-ID`. A
// comment line every 15 s keeps proxies from closing an idle stream. A client that stops reading
// is cut off once 1,000 events wait for it; it reconnects and catches up from its cursor.

import type { WatchedChange } from "../inspect/types.js";
import type { ApiTarget } from "./api-context.js";

const HEARTBEAT_MS = 15_000;
const MAX_QUEUED = 1_000;

export type ChangeStreamOptions = { workflow?: string; id?: string; since?: string };

const encoder = new TextEncoder();

function frame(change: WatchedChange): Uint8Array {
  return encoder.encode(`id: ${change.cursor}\nevent: ${change.type}\ndata: ${JSON.stringify(change)}\n\n`);
}

/**
 * An SSE response following changes until the client goes away (`signal`). Throws at once for
 * a bad filter or cursor, before any byte is sent, so the caller answers with an error.
 */
export function changeStream(target: ApiTarget, options: ChangeStreamOptions, signal: AbortSignal): Response {
  let send: (chunk: Uint8Array) => void = () => {};
  let close = () => {};
  const watch = target.inspect.watch((change) => send(frame(change)), options);
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const heartbeat = setInterval(() => send(encoder.encode(": keep-alive\n\n")), HEARTBEAT_MS);
        heartbeat.unref?.();
        close = () => {
          if (!open) return;
          open = false;
          clearInterval(heartbeat);
          watch.close();
          signal.removeEventListener("abort", close);
          try {
            controller.close();
          } catch {
            // Already closed by a cancel.
          }
        };
        send = (chunk) => {
          if (!open) return;
          if ((controller.desiredSize ?? 0) <= -MAX_QUEUED) close();
          else controller.enqueue(chunk);
        };
        signal.addEventListener("abort", close);
        if (signal.aborted) close();
        // Tells the client how soon to reconnect, and flushes the headers at once.
        send(encoder.encode("retry: 1000\n\n"));
        watch.ready.catch(() => close());
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
