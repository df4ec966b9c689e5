// The part of autocannon (v9, which ships no types) that bench/lib/http-client.ts uses.

declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  type Request = { method?: string; path?: string; headers?: Record<string, string>; body?: string };

  type Client = { setRequests(requests: Request[]): void };

  type Options = {
    url: string;
    connections?: number;
    /** Requests per second from all connections together (divided among them). */
    overallRate?: number;
    duration?: number;
    ignoreCoordinatedOmission?: boolean;
    setupClient?: (client: Client) => void;
  };

  type Result = {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    requests: { sent: number; total: number };
  };

  type Instance = EventEmitter & PromiseLike<Result>;

  function autocannon(options: Options): Instance;
  export default autocannon;
}
