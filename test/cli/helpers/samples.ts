// Sample server answers for the CLI tests, shaped as Cairn's REST v4 routes answer: an errored
// instance whose charge step failed three times, with a sleep and a received event.

import type {
  InstanceDetails,
  InstanceListItem,
  WorkflowInfo,
} from "../../../src/cli/workflows/wire-types.js";

/** The fixed "now" of the CLI tests. */
export const NOW_ISO = "2026-12-04T10:05:00.000Z";

export const ordersWorkflow: WorkflowInfo = {
  id: "wf-orders",
  name: "orders",
  script_name: "orders-worker",
  class_name: "OrderWorkflow",
  created_on: "2026-12-01T08:00:00.000Z",
  modified_on: "2026-12-01T08:00:00.000Z",
  triggered_on: "2026-12-04T10:02:00.000Z",
  instances: {
    queued: 0,
    running: 1,
    paused: 0,
    errored: 1,
    terminated: 0,
    complete: 2,
    waiting: 0,
    waitingForPause: 0,
  },
};

export const erroredInstance: InstanceDetails = {
  id: "order-42",
  status: "errored",
  params: { orderId: 42 },
  trigger: { source: "api" },
  versionId: "v-1",
  queued: "2026-12-04T10:00:00.000Z",
  start: "2026-12-04T10:00:00.500Z",
  end: "2026-12-04T10:00:07.800Z",
  success: false,
  output: null,
  error: { name: "Error", message: "card declined" },
  step_count: 4,
  steps: [
    {
      type: "step",
      name: "reserve-1",
      start: "2026-12-04T10:00:00.600Z",
      end: "2026-12-04T10:00:00.650Z",
      success: true,
      output: { items: ["lamp"] },
      config: { retries: { limit: 5, delay: 1000, backoff: "exponential" }, timeout: "10 minutes" },
      attempts: [
        { start: "2026-12-04T10:00:00.600Z", end: "2026-12-04T10:00:00.650Z", success: true, error: null },
      ],
    },
    {
      type: "sleep",
      name: "cool off-1",
      start: "2026-12-04T10:00:00.700Z",
      end: "2026-12-04T10:00:01.700Z",
      finished: true,
      error: null,
    },
    {
      type: "waitForEvent",
      name: "approval-1",
      start: "2026-12-04T10:00:01.750Z",
      end: "2026-12-04T10:00:02.000Z",
      finished: true,
      error: null,
      output: { type: "approval", payload: { approved: true }, timestamp: "2026-12-04T10:00:02.000Z" },
    },
    {
      type: "step",
      name: "charge card-1",
      start: "2026-12-04T10:00:02.100Z",
      end: "2026-12-04T10:00:07.700Z",
      success: false,
      config: { retries: { limit: 2, delay: 1000, backoff: "exponential" }, timeout: "10 minutes" },
      attempts: [
        {
          start: "2026-12-04T10:00:02.100Z",
          end: "2026-12-04T10:00:02.110Z",
          success: false,
          error: { name: "Error", message: "card declined" },
        },
        {
          start: "2026-12-04T10:00:03.110Z",
          end: "2026-12-04T10:00:03.130Z",
          success: false,
          error: { name: "Error", message: "card declined" },
        },
        {
          start: "2026-12-04T10:00:05.130Z",
          end: "2026-12-04T10:00:07.700Z",
          success: false,
          error: { name: "Error", message: "card declined" },
        },
      ],
    },
  ],
};

export function listItem(id: string, created: string, status = "complete"): InstanceListItem {
  return {
    id,
    status,
    version_id: "v-1",
    workflow_id: "wf-orders",
    created_on: created,
    modified_on: created,
    started_on: created,
    ended_on: status === "complete" ? created : null,
    trigger_source: "api",
  };
}
