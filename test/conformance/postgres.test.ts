// Runs the storage conformance suite against the PostgreSQL adapter on a real server (the one in
// CAIRN_TEST_DATABASE_URL, or a throwaway one this file starts), one fresh schema per case,
// dropped after the case once the store is closed.

import { afterAll, beforeAll } from "vitest";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { describeStorage } from "./storage.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describeStorage("postgres", async () => {
  const schema = db.newSchema("conformance");
  const drop = () => db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  try {
    const store = await PostgresStore.open({ connection: db.url, schema, poolSize: 4 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await drop();
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
});
