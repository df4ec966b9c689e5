// The shape of a workflow class as the engine runs it, in its own file so that settings, the
// engine and the host can all name it without importing one another.

import type { ExecutionContext, WorkflowEvent, WorkflowStep } from "../api/types.js";

/** A workflow class as the engine sees it: constructed with (ctx, env), then `run(event, step)`. */
export type WorkflowClass = new (
  ctx: ExecutionContext,
  env: any,
) => { run(event: Readonly<WorkflowEvent<any>>, step: WorkflowStep): Promise<unknown> };
