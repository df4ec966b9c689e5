// A shared worker holding the one change feed (an EventSource) that every open dashboard tab of
// this origin listens to: a browser allows six HTTP/1.1 connections per host, so ten tabs each
// with its own stream would starve their own requests. Tabs say hello with the feed's URL and
// goodbye when they close; the stream closes when the last tab has gone.

/// <reference lib="webworker" />

import type { FeedMessage, TabMessage } from "./feed-protocol.js";

declare const self: SharedWorkerGlobalScope;

const ports = new Set<MessagePort>();
let source: EventSource | null = null;
let sourceUrl = "";

function broadcast(message: FeedMessage): void {
  for (const port of ports) port.postMessage(message);
}

const CHANGE_TYPES = ["created", "status", "step", "deleted", "resync"];

function open(url: string): void {
  // A stream the server ended for good (a 401 after the session expired, a 503 while the Worker
  // has no build) is opened again when a tab says hello, so reloading a tab brings it back.
  if (source && sourceUrl === url && source.readyState !== EventSource.CLOSED) return;
  source?.close();
  sourceUrl = url;
  const stream = new EventSource(url);
  source = stream;
  stream.onopen = () => broadcast({ type: "state", state: "live" });
  stream.onerror = () => {
    // EventSource reconnects by itself (the server asks for 1 s) and resumes from Last-Event-ID.
    broadcast({ type: "state", state: stream.readyState === EventSource.CLOSED ? "closed" : "reconnecting" });
  };
  for (const type of CHANGE_TYPES) {
    stream.addEventListener(type, (event) => {
      broadcast({ type: "change", change: JSON.parse((event as MessageEvent<string>).data) });
    });
  }
}

function close(): void {
  source?.close();
  source = null;
  sourceUrl = "";
}

self.onconnect = (event) => {
  const port = event.ports[0];
  if (!port) return;
  ports.add(port);
  port.onmessage = (message: MessageEvent<TabMessage>) => {
    const data = message.data;
    if (data.type === "hello") {
      // A tab restored from the back/forward cache says hello again on the port it had.
      ports.add(port);
      open(data.url);
      port.postMessage({
        type: "state",
        state: source?.readyState === EventSource.OPEN ? "live" : "connecting",
      } satisfies FeedMessage);
    } else if (data.type === "bye") {
      ports.delete(port);
      if (ports.size === 0) close();
    }
  };
  port.start();
};
