// Test helper: a fresh folder for a real SQLite file per test, removed afterwards.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix = "cairn-test-"): { dir: string; dbPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dbPath: join(dir, "cairn.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
