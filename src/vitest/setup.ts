// The setup file cairnWorkflows() adds to the vitest config: before each test file, opens that
// file's Cairn with the Worker of the wrangler config; after its last test, closes it.

import { loadWorker, options } from "virtual:cairn-vitest/options";
import { afterAll } from "vitest";
import { startFile } from "./file-runtime.js";

const close = await startFile(options, loadWorker);
afterAll(close);
