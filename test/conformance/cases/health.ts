// Conformance cases for the health checks' ping: a round trip that reads the schema version (at
// the version the adapter migrates to, on a store it just opened), and that fails as closed
// once the store is closed, so a probe never reports a closed store as answering.

import { expect } from "vitest";
import type { StoreCase } from "./support.js";

export function healthCases(test: StoreCase): void {
  test("ping answers the schema version, which is the one the adapter expects", async (store) => {
    const ping = await store.ping(2000);
    expect(ping.schemaVersion).toBeGreaterThan(0);
    expect(ping.schemaVersion).toBe(ping.expectedSchemaVersion);
  });

  test("ping fails with engine.closed once the store is closed", async (store) => {
    await store.close();
    await expect(store.ping(2000)).rejects.toMatchObject({ code: "engine.closed" });
  });
}
