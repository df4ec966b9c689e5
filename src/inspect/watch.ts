// Watching changes with catch-up. A watcher that passes back the cursor of the last change it saw
// first gets what changed since then (instances whose row changed, every running one, and the
// deletions), then the live changes in order. One that was away longer than the store remembers
// deletions, or missed too much to replay, gets a "resync": reload, then go on live.

import type { ChangeHub, InstanceChange } from "../engine/changes.js";
import type { Clock } from "../engine/clock.js";
import { WorkflowsError } from "../errors.js";
import { DELETIONS_KEPT_MS, type Store } from "../storage/types.js";
import type { Watch, WatchedChange, WatchOptions } from "./types.js";

/** Past this many changed or deleted instances, a catch-up sends "resync" instead. */
export const MAX_CATCH_UP = 10_000;
/**
 * A catch-up also replays what changed this long before the cursor. A cursor is the time a
 * process reported a change, taken just after its write; a write of another process that took
 * its time earlier but committed later, or a clock a little behind, would otherwise fall before
 * the cursor and be missed. Replaying a change twice is harmless: it means "read it again".
 */
export const CATCH_UP_MARGIN_MS = 5_000;

type Deps = { store: Store; clock: Clock; hub: ChangeHub };

/** The cursor of a change: the time it happened, which is what a catch-up starts from. */
function cursorAt(at: number): string {
  return String(at);
}

function parseCursor(since: string): number {
  if (typeof since !== "string" || !/^\d{1,16}$/.test(since)) {
    throw new WorkflowsError(
      "query.invalid",
      `since must be the cursor of an earlier change (a number of milliseconds), got ${JSON.stringify(String(since).slice(0, 80))}`,
    );
  }
  return Number(since);
}

/** Subscribes `listener` to the hub, after delivering the catch-up from `options.since`. */
export function watchChanges(
  deps: Deps,
  listener: (change: WatchedChange) => void,
  options: WatchOptions,
): Watch {
  if (typeof listener !== "function") {
    throw new WorkflowsError("query.invalid", `watch needs a listener function, got ${typeof listener}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new WorkflowsError(
      "query.invalid",
      `watch options must be an object { workflow?, id?, since? }, got ${String(options)}`,
    );
  }
  if (options.id !== undefined && options.workflow === undefined) {
    throw new WorkflowsError(
      "query.invalid",
      `watching instance "${String(options.id)}" needs its workflow too`,
    );
  }
  const since = options.since === undefined ? null : parseCursor(options.since);
  const matches = (c: { workflow: string; id: string }) =>
    (options.workflow === undefined || c.workflow === options.workflow) &&
    (options.id === undefined || c.id === options.id);
  let closed = false;
  const deliver = (change: WatchedChange) => {
    if (closed) return;
    try {
      listener(change);
    } catch {
      // The listener's failure is its own; the feed goes on.
    }
  };
  const live = (change: InstanceChange) => deliver({ ...change, cursor: cursorAt(change.at) });
  // Live changes wait here until the catch-up was delivered, so the watcher sees them in order.
  let pending: InstanceChange[] | null = since === null ? null : [];
  const unsubscribe = deps.hub.subscribe((change) => {
    if (!matches(change)) return;
    if (pending) pending.push(change);
    else live(change);
  });
  const ready =
    since === null
      ? Promise.resolve()
      : catchUp(deps, since, options).then(
          (changes) => {
            for (const change of changes) deliver(change);
          },
          (error: unknown) => {
            deliver({ type: "resync", at: deps.clock.now(), cursor: cursorAt(deps.clock.now()) });
            throw error;
          },
        );
  const flush = () => {
    const waiting = pending ?? [];
    pending = null;
    for (const change of waiting) live(change);
  };
  ready.then(flush, flush);
  return {
    ready,
    close() {
      closed = true;
      unsubscribe();
    },
  };
}

async function catchUp(deps: Deps, since: number, options: WatchOptions): Promise<WatchedChange[]> {
  const now = deps.clock.now();
  const resync: WatchedChange[] = [{ type: "resync", at: now, cursor: cursorAt(now) }];
  if (since < now - DELETIONS_KEPT_MS) return resync;
  const scope = { workflow: options.workflow, id: options.id };
  const from = since - CATCH_UP_MARGIN_MS;
  const [changed, deleted] = await Promise.all([
    deps.store.changedSince(from, MAX_CATCH_UP, scope),
    deps.store.deletedSince(from, MAX_CATCH_UP, scope),
  ]);
  if (changed.length >= MAX_CATCH_UP || deleted.length >= MAX_CATCH_UP) return resync;
  const changes: WatchedChange[] = [];
  for (const d of deleted) {
    const at = d.deletedAt;
    changes.push({ type: "deleted", workflow: d.workflow, id: d.id, at, cursor: cursorAt(at) });
  }
  for (const c of changed) {
    const at = c.updatedAt;
    changes.push({
      type: "status",
      workflow: c.workflow,
      id: c.id,
      status: c.status,
      at,
      cursor: cursorAt(at),
    });
  }
  // In time order (a stable sort); at the same time a deletion goes first (an id deleted, then
  // created again).
  return changes.sort((a, b) => a.at - b.at);
}
