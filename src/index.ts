// The package's main entry: the embedding API (`Cairn`), the Cloudflare-compatible classes and
// types, and the error classes with their codes.

export { isNonRetryable, NonRetryableError } from "./api/non-retryable-error.js";
export type * from "./api/types.js";
export { WorkflowEntrypoint } from "./api/workflow-entrypoint.js";
export { InstanceOperations, type RestartFrom } from "./bindings/instance-operations.js";
export { WorkflowBinding, WorkflowInstanceHandle } from "./bindings/workflow-binding.js";
export { Cairn, type CairnEnv, type CairnOptions } from "./cairn.js";
export { ChangeHub, type ChangeListener, type InstanceChange } from "./engine/changes.js";
export { type Clock, FakeClock, SystemClock } from "./engine/clock.js";
export type { HealthCheck, HealthCheckName, HealthOptions, HealthReport } from "./engine/health.js";
export type {
  AttemptEnd,
  AttemptObserver,
  AttemptStart,
  EngineObserver,
  RunObserver,
  RunStart,
} from "./engine/observer.js";
export type { EngineOptionsInput, WorkflowDefinitionInput } from "./engine/settings.js";
export { WorkflowInternalError, WorkflowTimeoutError } from "./engine/step-errors.js";
export {
  BARE_MESSAGE_CODES,
  EngineClosedError,
  type ErrorCode,
  readableMessage,
  readableStack,
  StaleLeaseError,
  WorkflowsError,
} from "./errors.js";
export type { CairnLogger, LogFields, LogLevel } from "./observability/log-types.js";
export { METRICS_CONTENT_TYPE } from "./observability/metrics/cairn-metrics.js";
export type { TracingOption } from "./observability/tracing/tracing-option.js";
export type { ApiTarget } from "./server/api-context.js";
export {
  type ApiHandler,
  type ApiHandlerOptions,
  createApiHandler,
} from "./server/api-handler.js";
export type { PoolUse, StoreObserver } from "./storage/store-observer.js";
export type {
  InstanceRecord,
  LogEntry,
  LogType,
  StepRecord,
  Store,
  StoredStatus,
  StorePing,
} from "./storage/types.js";
