// Mirrors what `cloudflare:workflows` exports, so that an import of "cloudflare:workflows" can
// be aliased to "cairn/workflows" unchanged.

export { NonRetryableError } from "./api/non-retryable-error.js";
