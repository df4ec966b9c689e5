// The ambient Workers types this project uses. On Cloudflare `wrangler types` generates this file
// from @cloudflare/workers-types; here the names point at Cairn's types so that `tsc` checks the
// example. Cairn's types are reached through aliases: an interface cannot extend import() directly.

type ExampleWorkflow<PARAMS> = import("cairn").Workflow<PARAMS>;
type ExampleExecutionContext = import("cairn").ExecutionContext;

interface Workflow<PARAMS = unknown> extends ExampleWorkflow<PARAMS> {}

interface ExecutionContext extends ExampleExecutionContext {}

interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

interface ExportedHandler<Env = unknown> {
  fetch?(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
  scheduled?(controller: ScheduledController, env: Env, ctx: ExecutionContext): void | Promise<void>;
}
