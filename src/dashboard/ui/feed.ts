// The tab's side of the change feed. Every tab of this origin shares one EventSource through a
// shared worker (changes-worker.ts), so ten open tabs hold one connection, not ten. Where shared
// workers are missing, the tab opens its own EventSource. Pages subscribe with a listener.

import { CAIRN_API, config } from "./config.js";
import type { Change, FeedMessage, FeedState } from "./feed-protocol.js";

type Listener = (change: Change) => void;
type StateListener = (state: FeedState) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<StateListener>();
let state: FeedState = "connecting";
let started = false;

function setState(next: FeedState): void {
  state = next;
  for (const listener of stateListeners) listener(next);
}

function deliver(change: Change): void {
  for (const listener of [...listeners]) listener(change);
}

const FEED_URL = `${CAIRN_API}/changes`;

function startShared(): boolean {
  if (typeof SharedWorker === "undefined") return false;
  let worker: SharedWorker;
  try {
    worker = new SharedWorker(`${config.base}assets/changes-worker.js`, {
      name: "cairn-changes",
      type: "module",
    });
  } catch {
    return false;
  }
  const port = worker.port;
  port.onmessage = (event: MessageEvent<FeedMessage>) => {
    if (event.data.type === "change") deliver(event.data.change);
    else setState(event.data.state);
  };
  port.start();
  const hello = () => port.postMessage({ type: "hello", url: new URL(FEED_URL, window.location.href).href });
  hello();
  window.addEventListener("pagehide", () => port.postMessage({ type: "bye" }));
  // Back from the back/forward cache: the worker forgot this tab at pagehide.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) hello();
  });
  return true;
}

function openOwn(): EventSource {
  const source = new EventSource(FEED_URL);
  source.onopen = () => setState("live");
  source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  for (const type of ["created", "status", "step", "deleted", "resync"]) {
    source.addEventListener(type, (event) => deliver(JSON.parse((event as MessageEvent<string>).data)));
  }
  return source;
}

function startOwn(): void {
  let source = openOwn();
  window.addEventListener("pagehide", () => source.close());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) source = openOwn();
  });
}

function start(): void {
  if (started) return;
  started = true;
  if (!startShared()) startOwn();
}

/** Calls `listener` with every change until the returned function is called. */
export function onChange(listener: Listener): () => void {
  start();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onFeedState(listener: StateListener): () => void {
  start();
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}
