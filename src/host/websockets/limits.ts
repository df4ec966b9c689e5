// Limits of the WebSocket API shared by the server side (upgrades) and the client side.

/** The largest message a peer may send the Worker (Cloudflare's limit on received messages). */
export const MAX_RECEIVED_MESSAGE_BYTES = 32 * 1024 * 1024;
