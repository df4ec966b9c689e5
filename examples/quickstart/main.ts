// `npm start`: opens Cairn on ./data/quickstart.db, runs one order through OrderWorkflow and
// narrates it from `cairn.inspect` (status changes as they happen, the retried charge, the sleep,
// the "shipped" event sent from here), then prints the steps with their attempts and the
// instance's event log as a timeline.

import { fileURLToPath } from "node:url";
import { Cairn } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { OrderWorkflow } from "./order-workflow.js";

const dbPath =
  process.env.QUICKSTART_DB ?? fileURLToPath(new URL("../../data/quickstart.db", import.meta.url));
const t0 = Date.now();
const elapsed = (at = Date.now()) => `+${((at - t0) / 1000).toFixed(2)}s`.padStart(7);

const cairn = await Cairn.open({
  storage: `sqlite:${dbPath}`,
  workflows: { ORDERS: { name: "orders", class: OrderWorkflow } },
});
console.log(`Cairn is open on ${dbPath}`);

// A fresh id per run: ids stay taken while the finished instance is retained (30 days by default).
const id = `order-${Date.now().toString(36)}`;
// Watch this instance: each status change and each finished step, as they happen.
const watch = cairn.inspect.watch(
  (change) => {
    if (change.type === "status") console.log(`${elapsed(change.at)} [main] status: ${change.status}`);
    if (change.type === "step")
      console.log(`${elapsed(change.at)} [main] step "${change.step.name}" ${change.step.status}`);
  },
  { workflow: "orders", id },
);

const instance = await cairn.env.ORDERS.create({
  id,
  params: { orderId: id, items: ["lamp", "bulb"], amount: 42 },
});
console.log(`${elapsed()} [main] created instance ${id}`);

// Wait until the workflow waits for the event, then send it (an earlier event would be buffered).
await waitUntil(
  () => cairn.inspect.instance("orders", id),
  (order) => order.steps.some((step) => step.type === "waitForEvent" && step.status === "waiting"),
  { timeoutMs: 30_000, intervalMs: 50, what: "the workflow to wait for its shipment" },
);
console.log(`${elapsed()} [main] sending event "shipped"`);
await instance.sendEvent({ type: "shipped", payload: { carrier: "ACME", tracking: "TRK-123" } });

const final = await waitForStatus(instance, ["complete", "errored", "terminated"], { timeoutMs: 30_000 });
watch.close();
console.log(`\nFinal status: ${JSON.stringify(final)}\n\nSteps:`);

for (const step of (await cairn.inspect.instance("orders", id)).steps) {
  const took = step.endedAt === null ? "" : `${step.endedAt - step.startedAt} ms`;
  const attempts = step.attempts.length === 0 ? "" : `${step.attempts.length} attempt(s)`;
  console.log(
    `  ${step.name.padEnd(24)} ${step.type.padEnd(13)} ${step.status.padEnd(10)} ${attempts.padEnd(11)} ${took}`.trimEnd(),
  );
}

console.log("\nEvent log:");
for (const entry of await cairn.inspect.log("orders", id)) {
  const step = entry.stepKey?.split(":").slice(2).join(":") ?? "";
  const attempt = entry.attempt === null ? "" : ` #${entry.attempt}`;
  const error = entry.data?.error as { message: string } | undefined;
  const detail = [
    error ? `error: ${error.message}` : "",
    entry.data?.retryDelayMs === undefined ? "" : `retry in ${entry.data.retryDelayMs} ms`,
    typeof entry.data?.type === "string" ? `type: ${entry.data.type}` : "",
  ].filter(Boolean);
  const what = `${step}${attempt}`.padEnd(28);
  console.log(`${elapsed(entry.at)}  ${entry.type.padEnd(17)} ${what} ${detail.join(", ")}`.trimEnd());
}

await cairn.close();
