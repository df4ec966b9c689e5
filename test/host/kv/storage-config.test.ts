// The `kv_namespaces` and `d1_databases` config sections: what is accepted, every malformed entry
// refused naming the entry and field, wrangler environments not inheriting them, start-up no
// longer refusing them, and the providers making bindings (or none) from them.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadProjectConfig } from "../../../src/host/config.js";
import { findConfigFile } from "../../../src/host/config-file.js";
import { readD1Databases } from "../../../src/host/d1/d1-config.js";
import { D1Database } from "../../../src/host/d1/d1-database.js";
import { d1Provider } from "../../../src/host/d1/d1-provider.js";
import { HostError } from "../../../src/host/host-error.js";
import { readKvNamespaces } from "../../../src/host/kv/kv-config.js";
import { KvNamespace } from "../../../src/host/kv/kv-namespace.js";
import { kvProvider } from "../../../src/host/kv/kv-provider.js";
import type { ProviderContext } from "../../../src/host/project-bindings.js";
import { findUnsupportedBindings } from "../../../src/host/unsupported-bindings.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cairn-storage-config-"));
  dirs.push(dir);
  return dir;
}

function failure(run: () => unknown): HostError {
  try {
    run();
  } catch (error) {
    if (error instanceof HostError) return error;
    throw error;
  }
  throw new Error("expected a HostError");
}

describe("kv_namespaces", () => {
  it("names a namespace by its id, or by its binding when it has none", () => {
    expect(
      readKvNamespaces(
        {
          kv_namespaces: [
            { binding: "A", id: "one", preview_id: "p" },
            { binding: "B", id: "one" },
            { binding: "C" },
          ],
        },
        "wrangler.jsonc",
      ),
    ).toEqual([
      { binding: "A", id: "one" },
      { binding: "B", id: "one" },
      { binding: "C", id: "C" },
    ]);
    expect(readKvNamespaces({}, "wrangler.jsonc")).toEqual([]);
  });

  it("refuses malformed entries, naming the entry and field", () => {
    const check = (value: unknown, message: string) =>
      expect(failure(() => readKvNamespaces({ kv_namespaces: value }, "w.jsonc")).message).toBe(
        `w.jsonc: ${message}`,
      );
    check({ binding: "A" }, "kv_namespaces must be an array of { binding, id }");
    check(["A"], "kv_namespaces[0] must be an object { binding, id }");
    check([{ id: "x" }], "kv_namespaces[0].binding is required");
    check([{ binding: "" }], 'kv_namespaces[0].binding must be a non-empty string; got ""');
    check([{ binding: "A", id: 5 }], "kv_namespaces[0].id must be a non-empty string; got 5");
    check(
      [{ binding: "A", preview_id: [] }],
      "kv_namespaces[0].preview_id must be a non-empty string; got []",
    );
  });
});

describe("d1_databases", () => {
  it("names a database's file by its id, else its name", () => {
    expect(
      readD1Databases(
        {
          d1_databases: [
            { binding: "DB", database_name: "shop", database_id: "0c3a-11", migrations_dir: "m" },
            { binding: "OTHER", database_name: "shop_v2" },
          ],
        },
        "w.jsonc",
      ),
    ).toEqual([
      { binding: "DB", databaseName: "shop", fileId: "0c3a-11" },
      { binding: "OTHER", databaseName: "shop_v2", fileId: "shop_v2" },
    ]);
  });

  it("refuses malformed entries and ids unsafe as file names", () => {
    const check = (value: unknown, message: string) =>
      expect(failure(() => readD1Databases({ d1_databases: value }, "w.jsonc")).message).toBe(
        `w.jsonc: ${message}`,
      );
    check("DB", "d1_databases must be an array of { binding, database_name, database_id }");
    check([null], "d1_databases[0] must be an object { binding, database_name, database_id }");
    check([{ database_id: "x" }], "d1_databases[0].binding is required");
    check([{ binding: "DB" }], "d1_databases[0] needs a database_id or a database_name");
    check(
      [{ binding: "DB", database_id: "../escape" }],
      'd1_databases[0].database_id "../escape" names the database\'s file, so it may hold only letters, digits, ".", "-" and "_"',
    );
    check(
      [{ binding: "DB", database_name: ".." }],
      'd1_databases[0].database_name ".." names the database\'s file, so it may hold only letters, digits, ".", "-" and "_"',
    );
  });
});

describe("KV and D1 in a project's config", () => {
  it("are no longer refused at start-up", () => {
    expect(
      findUnsupportedBindings({
        kv_namespaces: [{ binding: "CACHE", id: "x" }],
        d1_databases: [{ binding: "DB", database_id: "y" }],
      }),
    ).toEqual([]);
  });

  it("are not inherited by a wrangler environment, as wrangler does for bindings", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "index.js"), "export default {}\n");
    writeFileSync(
      join(dir, "wrangler.json"),
      JSON.stringify({
        main: "index.js",
        kv_namespaces: [{ binding: "TOP", id: "top" }],
        d1_databases: [{ binding: "TOPDB", database_id: "top" }],
        env: { staging: { kv_namespaces: [{ binding: "STAGING", id: "s" }] } },
      }),
    );
    const staging = loadProjectConfig(findConfigFile(dir), "staging");
    expect(readKvNamespaces(staging.raw, staging.path)).toEqual([{ binding: "STAGING", id: "s" }]);
    expect(readD1Databases(staging.raw, staging.path)).toEqual([]);
  });

  it("become bindings through the providers, which make none for a project without them", async () => {
    const stateDir = tempDir();
    const context = (raw: Record<string, unknown>) =>
      ({
        config: { raw, path: "w.jsonc" },
        stateDir,
        storageUrl: `sqlite:${join(stateDir, "cairn.db")}`,
        log: { info: () => {} },
      }) as unknown as ProviderContext;
    expect(await kvProvider(context({}))).toBeNull();
    expect(await d1Provider(context({}))).toBeNull();

    const kv = await kvProvider(
      context({
        kv_namespaces: [
          { binding: "A", id: "same" },
          { binding: "B", id: "same" },
        ],
      }),
    );
    const d1 = await d1Provider(
      context({
        d1_databases: [
          { binding: "DB", database_id: "one" },
          { binding: "DB2", database_id: "one" },
        ],
      }),
    );
    try {
      const { A, B } = kv!.bindings as { A: KvNamespace; B: KvNamespace };
      expect(A).toBeInstanceOf(KvNamespace);
      await A.put("k", "shared");
      expect(await B.get("k")).toBe("shared");
      const { DB, DB2 } = d1!.bindings as { DB: D1Database; DB2: D1Database };
      expect(DB).toBeInstanceOf(D1Database);
      await DB.exec("CREATE TABLE t (a);");
      await DB.prepare("INSERT INTO t VALUES (1)").run();
      expect(await DB2.prepare("SELECT a FROM t").first("a")).toBe(1);
    } finally {
      await kv?.close();
      await d1?.close();
    }
  });
});
