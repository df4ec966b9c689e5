// `cairn/testing`: helpers for tests of workflows and of Cairn itself. Runner-agnostic.

export { FakeClock } from "../engine/clock.js";
export { IntrospectionError } from "./errors.js";
export { HistoryError, type HistoryErrorCode } from "./history-error.js";
export {
  introspectWorkflow,
  introspectWorkflowInstance,
  type ModifierCallback,
  type WorkflowInstanceIntrospector,
  type WorkflowIntrospector,
} from "./introspection.js";
export type { WorkflowInstanceModifier } from "./modifier.js";
export type { WorkflowStepSelector } from "./overrides.js";
export {
  type ReplayDivergence,
  type ReplayedResult,
  type ReplayedStep,
  type ReplayOptions,
  type ReplayResult,
  type ReplayStepRef,
  type ReplayStepType,
  type ReplayStop,
  replayHistory,
} from "./replay-history.js";
export { type WaitOptions, waitForStatus, waitUntil } from "./wait.js";
