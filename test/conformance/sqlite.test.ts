// Runs the storage conformance suite against the SQLite adapter, one real file per case in a
// fresh temporary folder (removed after the case, once the store is closed).

import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/temp-store.js";
import { describeStorage } from "./storage.js";

describeStorage("sqlite", async () => {
  const { dbPath, cleanup } = tempDir("cairn-conformance-");
  try {
    const store = await SqliteStore.open({ path: dbPath });
    return {
      store,
      cleanup: async () => {
        await store.close();
        cleanup();
      },
    };
  } catch (error) {
    cleanup();
    throw error;
  }
});
