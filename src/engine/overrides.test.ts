import { describe, expect, it } from "vitest";
import { type CreationWatch, OverrideRegistry, type StepOverrides } from "./overrides.js";

const overrides = (): StepOverrides => ({
  version: 0,
  sleepDisabled: () => false,
  retryDelayDisabled: () => false,
  attempt: () => undefined,
  eventTimeoutForced: () => false,
  events: [],
});

function recordingSession() {
  const calls: string[] = [];
  const session: CreationWatch = {
    prepare: (id) => {
      calls.push(`prepare ${id}`);
      return overrides();
    },
    captured: (id) => calls.push(`captured ${id}`),
    existing: (id) => calls.push(`existing ${id}`),
  };
  return { session, calls };
}

describe("OverrideRegistry", () => {
  it("is inactive, and asks nothing, until something is introspected", () => {
    const registry = new OverrideRegistry();
    expect(registry.active).toBe(false);
    expect(registry.creating("wf", ["a"])).toBeNull();
    const o = overrides();
    registry.install("wf", "a", o);
    expect(registry.active).toBe(true);
    registry.uninstall("wf", "a", overrides()); // not the installed one: kept
    expect(registry.get("wf", "a")).toBe(o);
    registry.uninstall("wf", "a", o);
    expect(registry.active).toBe(false);
  });

  it("prepares a session's overrides before a create, keeps those created, drops the others", () => {
    const registry = new OverrideRegistry();
    const { session, calls } = recordingSession();
    registry.watch("wf", session);
    const own = overrides();
    registry.install("wf", "mine", own);
    const ticket = registry.creating("wf", ["new", "taken", "mine", "new"]);
    expect([...(ticket?.introspected ?? [])]).toEqual(["new", "taken", "mine"]);
    expect(registry.get("wf", "new")).toBeDefined();
    ticket?.settle(new Set(["new", "mine"]));
    expect(calls).toEqual(["prepare new", "prepare taken", "captured new", "existing mine"]);
    expect(registry.get("wf", "taken")).toBeUndefined();
    expect(registry.get("wf", "mine")).toBe(own);
    // Other workflows are not watched.
    expect(registry.creating("other", ["x"])).toBeNull();
    registry.unwatch("wf", session);
    expect(registry.session("wf")).toBeUndefined();
  });
});
