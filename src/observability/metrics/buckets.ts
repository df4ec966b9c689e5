// Histogram bucket bounds, in the unit the metric's name gives. Fixed lists: a histogram costs one
// series per bucket and workflow, so each list covers its range with few bounds.

/** A step attempt's callback: a millisecond of work up to the five minutes a long call may take. */
export const ATTEMPT_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** How late a sleep resumed after its wake-up time: on time is well under a millisecond. */
export const LATENESS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/** From an event's send to the wait that took it; a buffered event may wait hours for its wait. */
export const EVENT_DELIVERY_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600];

/** One SQLite group commit on the writer thread: tens of microseconds to a slow disk's sync. */
export const COMMIT_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Writes one SQLite group commit carried. */
export const COMMIT_WRITES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
