// Mirrors what `cloudflare:workers` exports for workflows, so that an import of
// "cloudflare:workers" can be aliased to "cairn/workers" unchanged.

export type {
  ExecutionContext,
  WorkflowEvent,
  WorkflowSleepDuration,
  WorkflowStep,
  WorkflowStepConfig,
  WorkflowStepContext,
  WorkflowStepEvent,
} from "./api/types.js";
export { WorkerEntrypoint } from "./api/worker-entrypoint.js";
export { WorkflowEntrypoint } from "./api/workflow-entrypoint.js";
