// `npm start`: opens Cairn on ./data/quickstart.db, runs one order through OrderWorkflow and
// narrates it (status changes, the retried charge, the sleep, the "shipped" event sent from
// here), then prints the final status and the instance's event log as a timeline.

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
let lastStatus = "";
const onChange = async (change: { id: string }) => {
  if (change.id !== id) return;
  const { status } = await cairn.engine.status("orders", id).catch(() => ({ status: lastStatus }));
  if (status !== lastStatus) console.log(`${elapsed()} [main] status: ${status}`);
  lastStatus = status;
};
const unsubscribe = cairn.engine.changes.subscribe(onChange);

const instance = await cairn.env.ORDERS.create({
  id,
  params: { orderId: id, items: ["lamp", "bulb"], amount: 42 },
});
console.log(`${elapsed()} [main] created instance ${id}`);

// Wait until the workflow waits for the event, then send it (an earlier event would be buffered).
await waitUntil(
  () => cairn.engine.readLog("orders", id),
  (log) => log.some((entry) => entry.type === "WAIT_START"),
  { timeoutMs: 30_000, intervalMs: 50, what: "the workflow to wait for its shipment" },
);
console.log(`${elapsed()} [main] sending event "shipped"`);
await instance.sendEvent({ type: "shipped", payload: { carrier: "ACME", tracking: "TRK-123" } });

const final = await waitForStatus(instance, ["complete", "errored", "terminated"], { timeoutMs: 30_000 });
unsubscribe();
console.log(`\nFinal status: ${JSON.stringify(final)}\n\nEvent log:`);

for (const entry of await cairn.engine.readLog("orders", id)) {
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
