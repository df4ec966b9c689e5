// `cairn/testing`: helpers for tests of workflows and of Cairn itself. Runner-agnostic.

export { FakeClock } from "../engine/clock.js";
export { IntrospectionError } from "./errors.js";
export {
  introspectWorkflow,
  introspectWorkflowInstance,
  type ModifierCallback,
  type WorkflowInstanceIntrospector,
  type WorkflowIntrospector,
} from "./introspection.js";
export type { WorkflowInstanceModifier } from "./modifier.js";
export type { WorkflowStepSelector } from "./overrides.js";
export { type WaitOptions, waitForStatus, waitUntil } from "./wait.js";
