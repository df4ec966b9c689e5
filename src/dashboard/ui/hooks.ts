// The hooks pages share: loading JSON that reloads on matching changes (batched, so a burst of
// changes costs one request and one repaint), the feed's state, and a clock for running timers.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure } from "./api.js";
import { onChange, onFeedState } from "./feed.js";
import type { Change, FeedState } from "./feed-protocol.js";

export type Loaded<T> = {
  data: T | null;
  error: ApiFailure | null;
  /** Loads again now (after an action, say). */
  reload: () => void;
};

/**
 * Loads with `load` when `key` changes, and again (at most once per `throttleMs`) while changes
 * that `matches` accepts arrive. The data shown stays until the new answer replaces it, so the
 * page never blanks or jumps while it refreshes.
 */
export function useLive<T>(
  key: string,
  load: () => Promise<T>,
  matches: (change: Change) => boolean,
  throttleMs = 700,
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const matchRef = useRef(matches);
  matchRef.current = matches;
  const generation = useRef(0);
  const inFlight = useRef(false);
  const again = useRef(false);
  const timer = useRef<number | null>(null);
  const lastRun = useRef(0);

  const run = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    lastRun.current = Date.now();
    const mine = generation.current;
    loadRef
      .current()
      .then(
        (value) => {
          if (mine !== generation.current) return;
          setData(value);
          setError(null);
        },
        (failure: unknown) => {
          if (mine !== generation.current) return;
          setError(
            failure instanceof ApiFailure ? failure : new ApiFailure(0, "client", (failure as Error).message),
          );
        },
      )
      .finally(() => {
        // A load of an earlier key (or of an unmounted view) leaves the current one alone.
        if (mine !== generation.current) return;
        inFlight.current = false;
        if (again.current) {
          again.current = false;
          schedule();
        }
      });
  }, []);

  const schedule = useCallback(() => {
    if (timer.current !== null) return;
    const wait = Math.max(0, lastRun.current + throttleMs - Date.now());
    timer.current = window.setTimeout(() => {
      timer.current = null;
      run();
    }, wait);
  }, [run, throttleMs]);

  useEffect(() => {
    generation.current++;
    inFlight.current = false;
    again.current = false;
    setError(null);
    run();
    const off = onChange((change) => {
      if (change.type === "resync" || matchRef.current(change)) schedule();
    });
    return () => {
      off();
      generation.current++;
      again.current = false;
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [key]);

  return { data, error, reload: run };
}

export function useFeedState(): FeedState {
  const [state, setState] = useState<FeedState>("connecting");
  useEffect(() => onFeedState(setState), []);
  return state;
}

/** The time now, ticking every `everyMs` while `active` (for running durations). */
export function useNow(active: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [active, everyMs]);
  return now;
}
