// Loaded with `--import` into each workload process: registers compiled-hooks.mjs (see there).

import { register } from "node:module";

register("./compiled-hooks.mjs", import.meta.url);
