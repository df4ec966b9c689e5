// Conformance cases for the trace context an instance keeps: created with one (alone or in a
// batch), an instance reads it back from every path that returns its record (get, list, claim);
// created without one, it reads null; a restart keeps it, so the new run continues the same trace.

import { expect } from "vitest";
import type { TraceContext } from "../../../src/storage/types.js";
import { claim, create, mustGet, newInstance, type StoreCase, T0, WF } from "./support.js";

const PARENT: TraceContext = {
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  tracestate: "vendor=opaque,other=1",
};
const WITHOUT_STATE: TraceContext = {
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
  tracestate: null,
};

export function traceContextCases(test: StoreCase): void {
  test("an instance keeps the trace context it was created with; one created without reads null", async (store) => {
    await create(store, "traced", T0, { traceContext: PARENT });
    await create(store, "plain", T0 + 1);
    expect((await mustGet(store, "traced")).traceContext).toEqual(PARENT);
    expect((await mustGet(store, "plain")).traceContext).toBeNull();
    const listed = await store.listInstances({ workflow: WF, limit: 10 });
    expect(Object.fromEntries(listed.items.map((i) => [i.id, i.traceContext]))).toEqual({
      traced: PARENT,
      plain: null,
    });
  });

  test("a batch keeps each instance's own trace context", async (store) => {
    const results = await store.createInstances(
      [
        newInstance("a", { traceContext: PARENT }),
        newInstance("b", { traceContext: WITHOUT_STATE }),
        newInstance("c", { traceContext: null }),
      ],
      T0,
    );
    expect(results.map((r) => r.created)).toEqual([true, true, true]);
    expect((await mustGet(store, "a")).traceContext).toEqual(PARENT);
    expect((await mustGet(store, "b")).traceContext).toEqual(WITHOUT_STATE);
    expect((await mustGet(store, "c")).traceContext).toBeNull();
  });

  test("a claimed instance carries its trace context, and a restart keeps it", async (store) => {
    await create(store, "run", T0, { traceContext: PARENT });
    const [taken] = await claim(store, T0 + 1);
    expect(taken?.instance.traceContext).toEqual(PARENT);
    expect(await store.restart(WF, "run", T0 + 2)).toMatchObject({ outcome: "restarted" });
    const [again] = await claim(store, T0 + 3);
    expect(again?.instance).toMatchObject({ id: "run", traceContext: PARENT });
  });
}
