// The messages between a dashboard tab and the shared worker that holds the change feed.

/** One change as the feed's events carry it (`/cairn/api/changes`). */
export type Change =
  | { type: "created" | "status"; workflow: string; id: string; status: string; at: number; cursor: string }
  | {
      type: "step";
      workflow: string;
      id: string;
      step: { key: string; kind: string; name: string; count: number; status: string };
      at: number;
      cursor: string;
    }
  | { type: "deleted"; workflow: string; id: string; at: number; cursor: string }
  | { type: "resync"; at: number; cursor: string };

export type FeedState = "connecting" | "live" | "reconnecting" | "closed";

export type TabMessage = { type: "hello"; url: string } | { type: "bye" };

export type FeedMessage = { type: "change"; change: Change } | { type: "state"; state: FeedState };
