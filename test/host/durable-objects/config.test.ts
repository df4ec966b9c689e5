// The Durable Objects config: bindings and migrations read and checked (script_name naming another
// Worker, malformed entries, migrations that make no sense), each class's storage kind after the
// migrations, migrations applied to the state on disk once (a rename keeps the objects and their
// ids, a delete removes them), and loading refusing a Worker that does not export a bound class.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readDurableObjectsConfig } from "../../../src/host/durable-objects/config.js";
import { applyMigrations } from "../../../src/host/durable-objects/migrations.js";
import { durableObjectsProvider } from "../../../src/host/durable-objects/provider.js";
import { StateIndex } from "../../../src/host/durable-objects/state-index.js";
import { WaitUntilTracker } from "../../../src/host/execution-context.js";
import type { ProviderContext } from "../../../src/host/project-bindings.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { checkWorkerModule } from "../../../src/host/worker-module.js";
import { cleanUp, openHost, silentLog, tempDir } from "./helpers.js";

afterEach(cleanUp);

const PATH = "/p/wrangler.jsonc";

function read(raw: Record<string, unknown>) {
  return readDurableObjectsConfig({ name: "app", ...raw }, PATH);
}

describe("reading the config", () => {
  it("returns null for a config without Durable Objects", () => {
    expect(read({})).toBeNull();
  });

  it("gives each class its storage kind after the migrations", () => {
    const config = read({
      durable_objects: {
        bindings: [
          { name: "ROOMS", class_name: "Room" },
          { name: "COUNTERS", class_name: "Counter", script_name: "app" },
          { name: "LEGACY", class_name: "Legacy" },
        ],
      },
      migrations: [
        { tag: "v1", new_classes: ["OldRoom"], new_sqlite_classes: ["Counter"] },
        { tag: "v2", renamed_classes: [{ from: "OldRoom", to: "Room" }], new_sqlite_classes: ["Gone"] },
        { tag: "v3", deleted_classes: ["Gone"] },
      ],
    })!;
    expect(config.bindings).toEqual([
      { name: "ROOMS", className: "Room" },
      { name: "COUNTERS", className: "Counter" },
      { name: "LEGACY", className: "Legacy" },
    ]);
    expect(Object.fromEntries(config.classes)).toEqual({ Room: "kv", Counter: "sqlite", Legacy: "kv" });
    expect(config.unmigrated).toEqual(["Legacy"]);
  });

  it("refuses a script_name naming another Worker with config.unknown_script", () => {
    expect(() =>
      read({ durable_objects: { bindings: [{ name: "X", class_name: "C", script_name: "other" }] } }),
    ).toThrow(
      expect.objectContaining({
        code: "config.unknown_script",
        message: expect.stringContaining(
          'Durable Object binding X names script_name "other", which is not this Worker ("app")',
        ),
      }),
    );
  });

  it("refuses malformed sections and migrations that make no sense, naming the entry", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ durable_objects: { bindings: {} } }, "durable_objects.bindings must be a list"],
      [
        { durable_objects: { bindings: [{ name: "X" }] } },
        "durable_objects.bindings[0].class_name must be a non-empty string",
      ],
      [
        {
          durable_objects: {
            bindings: [
              { name: "X", class_name: "A" },
              { name: "X", class_name: "B" },
            ],
          },
        },
        'two Durable Object bindings are named "X"',
      ],
      [{ migrations: [{ new_classes: ["A"] }] }, "migrations[0].tag must be a non-empty string"],
      [{ migrations: [{ tag: "v1" }, { tag: "v1" }] }, 'two migrations have the tag "v1"'],
      [
        { migrations: [{ tag: "v1", new_classes: "A" }] },
        "migrations[0].new_classes must be a list of class names",
      ],
      [
        { migrations: [{ tag: "v1", new_classes: ["A"], new_sqlite_classes: ["A"] }] },
        "creates class A, which already exists",
      ],
      [
        { migrations: [{ tag: "v1", renamed_classes: [{ from: "A", to: "B" }] }] },
        "renames class A, which no earlier migration creates",
      ],
      [
        { migrations: [{ tag: "v1", deleted_classes: ["A"] }] },
        "deletes class A, which no earlier migration creates",
      ],
      [
        { migrations: [{ tag: "v1", transferred_classes: [] }] },
        "transferred_classes moves classes between Workers",
      ],
      [
        {
          durable_objects: { bindings: [{ name: "X", class_name: "A" }] },
          migrations: [
            { tag: "v1", new_classes: ["A"] },
            { tag: "v2", deleted_classes: ["A"] },
          ],
        },
        "Durable Object binding X names class A, which a migration deletes",
      ],
    ];
    for (const [raw, message] of cases) {
      expect(() => read(raw), message).toThrow(message);
      expect(() => read(raw)).toThrow(expect.objectContaining({ code: "config.invalid" }));
    }
  });
});

class Room extends DurableObject {
  async set(value: string) {
    await this.ctx.storage.put("value", value);
  }
  async get() {
    return this.ctx.storage.get("value");
  }
  async alarm() {}
  async wake(at: number) {
    await this.ctx.storage.setAlarm(at);
  }
}

describe("applying migrations", () => {
  it("moves a renamed class's objects, ids and alarms; deletes a deleted class's objects; each tag once", async () => {
    const dir = tempDir();
    const before = openHost(
      { OldRoom: Room, Doomed: Room },
      { OldRoom: "sqlite", Doomed: "sqlite" },
      { dir },
    );
    const oldId = before.registry.namespace("OldRoom").idFromName("lobby").toString();
    await (before.registry.namespace("OldRoom").getByName("lobby") as any).set("kept");
    await (before.registry.namespace("OldRoom").getByName("lobby") as any).wake(Date.now() + 3_600_000);
    await (before.registry.namespace("Doomed").getByName("x") as any).set("gone");
    await before.close();
    expect(existsSync(join(dir, "Doomed"))).toBe(true);

    const migrations = read({
      migrations: [
        { tag: "v1", new_sqlite_classes: ["OldRoom", "Doomed"] },
        { tag: "v2", renamed_classes: [{ from: "OldRoom", to: "Room" }], deleted_classes: ["Doomed"] },
      ],
    })!.migrations;
    const index = new StateIndex(dir);
    index.applyOnce("v1", 1, () => {});
    applyMigrations(migrations, index, dir, silentLog);
    expect(index.isApplied("v2")).toBe(true);
    expect(index.alarms().map((a) => [a.className, a.objectId])).toEqual([["Room", oldId]]);
    // Applied once: running again changes nothing (the renamed folder is not looked for again).
    applyMigrations(migrations, index, dir, silentLog);
    // A rename seen again (another process that read the config at the same time) keeps the key.
    const key = index.idKey("Room");
    index.renameClass("OldRoom", "Room");
    expect(index.idKey("Room")).toEqual(key);
    index.close();
    expect(existsSync(join(dir, "Doomed"))).toBe(false);

    const after = openHost({ Room }, { Room: "sqlite" }, { dir });
    const id = after.registry.namespace("Room").idFromName("lobby");
    expect(id.toString()).toBe(oldId);
    expect(await (after.registry.namespace("Room").get(id) as any).get()).toBe("kept");
  });
});

function context(
  raw: Record<string, unknown>,
  exports: Record<string, unknown>,
  warnings: string[],
): ProviderContext {
  const log = Object.assign(Object.create(silentLog), {
    warn: (fields: unknown, msg: string) => warnings.push(`${JSON.stringify(fields)} ${msg}`),
  });
  return {
    config: {
      path: PATH,
      main: "/p/src/index.ts",
      raw: { name: "app", ...raw },
    } as unknown as ProviderContext["config"],
    mode: "dev",
    stateDir: tempDir(),
    storageUrl: "sqlite::memory:",
    owner: "test",
    log,
    tracker: new WaitUntilTracker(() => {}),
    module: () => ({ fetch: null, scheduled: null, queue: null, classes: {}, exports }),
    env: () => ({}),
  };
}

describe("the provider", () => {
  it("binds a namespace per binding and warns about a class without a migration", async () => {
    const warnings: string[] = [];
    const provider = await durableObjectsProvider(
      context({ durable_objects: { bindings: [{ name: "ROOMS", class_name: "Room" }] } }, { Room }, warnings),
    );
    expect(Object.keys(provider!.bindings)).toEqual(["ROOMS"]);
    expect(warnings.join("\n")).toContain("Durable Object class has no migration");
    await provider!.close();
  });

  it("refuses a bound class the Worker does not export when the Worker loads, naming the exports", () => {
    const raw = { durable_objects: { bindings: [{ name: "ROOMS", class_name: "Lobby" }] } };
    expect(() =>
      checkWorkerModule({ Room, helper: 1, default: {} }, { main: "/p/src/index.ts", workflows: [], raw }),
    ).toThrow(
      expect.objectContaining({
        code: "module.invalid",
        message:
          'Durable Object binding ROOMS: class_name "Lobby" is not a class exported by index.ts (its exports: Room, helper)',
      }),
    );
    expect(
      checkWorkerModule({ Lobby: Room, default: {} }, { main: "/p/src/index.ts", workflows: [], raw }).exports
        .Lobby,
    ).toBe(Room);
  });

  it("is not made for a config without Durable Objects", async () => {
    expect(await durableObjectsProvider(context({}, {}, []))).toBeNull();
  });
});
