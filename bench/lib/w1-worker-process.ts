// One worker process of W1-workers: opens Cairn on the shared PostgreSQL schema with W1's fan-out
// workflow and runs instances until told to close. Started by w1-workers.ts with the schema's
// location as JSON; says "ready" once it takes work, and "closed" once closed.

import { Cairn } from "../../src/index.js";
import { FanOut } from "../w1-fan-out.js";

type Config = { url: string; schema: string; worker: number };

const config = JSON.parse(process.argv[2] ?? "") as Config;
const errors: string[] = [];
const cairn = await Cairn.open({
  storage: config.url,
  postgresSchema: config.schema,
  workflows: { FAN_OUT: { name: "fan-out", class: FanOut } },
  owner: `bench-worker-${config.worker}`,
  onError: (error, context) => {
    errors.push(`${context}: ${String(error)}`);
  },
});
process.on("message", (message) => {
  if (message !== "close") return;
  void cairn.close().then(() => {
    process.send?.({ closed: true, errors }, () => process.exit(0));
  });
});
process.send?.({ ready: true });
