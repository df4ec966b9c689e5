// The one compatibility setting the WebSocket API depends on. From 2026-04-07 (or with the
// `web_socket_auto_reply_to_close` flag) Cloudflare answers a received Close frame by itself, so
// the socket is CLOSED when the close event fires; before, it stays CLOSING until the Worker calls
// close(). The host sets it from the project's config when it opens the project.

import type { ProviderFactory } from "../project-bindings.js";

/** The compatibility date from which a Close frame is answered by the runtime. */
export const AUTO_REPLY_TO_CLOSE_DATE = "2026-04-07";

/** Whether a project with these settings has its Close frames answered by the runtime. */
export function autoReplyToCloseFor(compatibility: { date: string | undefined; flags: string[] }): boolean {
  if (compatibility.flags.includes("web_socket_auto_reply_to_close")) return true;
  return compatibility.date !== undefined && compatibility.date >= AUTO_REPLY_TO_CLOSE_DATE;
}

let autoReply = true;

/** The setting in force (on until a project says otherwise, as for a new project). */
export function autoReplyToClose(): boolean {
  return autoReply;
}

export function setAutoReplyToClose(on: boolean): void {
  autoReply = on;
}

/**
 * Applies the project's setting when the host opens it. It adds no bindings and answers no
 * requests, so it gives no provider back.
 */
export const webSocketCompatibility: ProviderFactory = async (context) => {
  setAutoReplyToClose(autoReplyToCloseFor(context.config.compatibility));
  return null;
};
