// When a running instance counts as making no progress: no journal write for this long while it
// has nothing the engine waits for (no step attempt, store write, sleep, retry delay or event
// wait). Its run awaits something outside any step that has not settled, maybe never will; the
// engine cannot cut it short (only a step has a timeout), so it is reported instead.

/** No progress for this long (5 minutes) makes a running instance stalled. */
export const STALL_AFTER_MS = 5 * 60 * 1000;
