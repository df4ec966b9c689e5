// Cloudflare Queues' documented limits on what a producer may send (1 KB is 1000 bytes there).
// Kept in one place so the producer checks and the config checks agree.

/** The largest message body, in bytes, after it is encoded with its content type. */
export const MAX_MESSAGE_BYTES = 128_000;
/** The most messages one `sendBatch` may carry. */
export const MAX_BATCH_MESSAGES = 100;
/** The largest total of one `sendBatch`'s encoded bodies, in bytes. */
export const MAX_BATCH_BYTES = 256_000;
/** The longest delay a send or a retry may ask for: 24 hours. */
export const MAX_DELAY_SECONDS = 86_400;
