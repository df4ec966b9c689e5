// The KV binding's shared suite on a real SQLite file, as `cairn dev` uses it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteKvStore } from "../../../src/host/kv/sqlite-kv-store.js";
import { describeKvNamespace } from "./kv-namespace-suite.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-kv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeKvNamespace("SQLite", async () => new SqliteKvStore(join(dir, "state", "kv.sqlite")));
