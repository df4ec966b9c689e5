// Faults in workflow code, each beside a healthy instance of another workflow that must complete
// unaffected: values thrown that are not Errors (or are Errors that cannot be read), from a step
// and from `run` outside any step, and results or outputs that cannot be stored. Every fault ends
// in a stored, readable error that survives a re-open of the SQLite file.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { countOf, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

/** Fresh values to throw, by case name (made at throw time: some of them are hostile to reads). */
const THROWN: Record<string, () => unknown> = {
  string: () => "text",
  number: () => 42,
  null: () => null,
  undefined: () => undefined,
  object: () => ({ code: 1 }),
  symbol: () => Symbol("boom"),
  bigint: () => 42n,
  "throwing getters": () =>
    Object.defineProperties(
      {},
      {
        message: {
          enumerable: true,
          get: () => {
            throw new Error("getter trap");
          },
        },
        name: {
          enumerable: true,
          get: () => {
            throw new Error("getter trap");
          },
        },
      },
    ),
  "error with throwing getters": () =>
    Object.defineProperties(new Error("hidden"), {
      message: {
        get: () => {
          throw new Error("getter trap");
        },
      },
      name: {
        get: () => {
          throw new Error("getter trap");
        },
      },
    }),
  "hostile proxy": () => hostileProxy(),
  "circular cause": () => {
    class LoopError extends Error {
      constructor() {
        super("loops back");
        this.name = "LoopError";
        this.cause = this;
      }
    }
    return new LoopError();
  },
};

/** A Proxy whose every trap throws. */
function hostileProxy(): object {
  const trap = () => {
    throw new Error("proxy trap");
  };
  return new Proxy(
    {},
    {
      get: trap,
      set: trap,
      has: trap,
      deleteProperty: trap,
      ownKeys: trap,
      getPrototypeOf: trap,
      setPrototypeOf: trap,
      isExtensible: trap,
      preventExtensions: trap,
      defineProperty: trap,
      getOwnPropertyDescriptor: trap,
      apply: trap,
      construct: trap,
    },
  );
}

/** What the stored error must say for each case. */
const EXPECTED: Record<string, { name: string; message: string }> = {
  string: { name: "Error", message: 'A non-Error value was thrown: the string "text"' },
  number: { name: "Error", message: "A non-Error value was thrown: the number 42" },
  null: { name: "Error", message: "A non-Error value was thrown: null" },
  undefined: { name: "Error", message: "A non-Error value was thrown: undefined" },
  object: { name: "Error", message: 'A non-Error value was thrown: an object {"code":1}' },
  symbol: { name: "Error", message: "A non-Error value was thrown: the symbol Symbol(boom)" },
  bigint: { name: "Error", message: "A non-Error value was thrown: the bigint 42n" },
  "throwing getters": {
    name: "Error",
    message:
      "A non-Error value was thrown: an object [object Object] that cannot be shown as JSON (getter trap)",
  },
  "error with throwing getters": {
    name: "Error",
    message: "An Error was thrown whose name or message cannot be read (reading it threw: getter trap)",
  },
  "hostile proxy": {
    name: "Error",
    message: "A non-Error value was thrown: an object that cannot be read (reading it threw: proxy trap)",
  },
  "circular cause": { name: "LoopError", message: "loops back" },
};

let stepCalls = 0;

class Thrower extends WorkflowEntrypoint {
  override async run(event: WorkflowEvent<{ fault: string; where: "step" | "run" }>, step: WorkflowStep) {
    const { fault, where } = event.payload;
    const make = THROWN[fault];
    if (!make) throw new Error(`no case ${fault}`);
    if (where === "run") throw make();
    return step.do("throws", { retries: { limit: 2, delay: 1, backoff: "constant" } }, async () => {
      stepCalls += 1;
      throw make();
    });
  }
}

class Healthy extends WorkflowEntrypoint {
  override async run(event: WorkflowEvent<{ n: number }>, step: WorkflowStep) {
    const doubled = await step.do("double", async () => event.payload.n * 2);
    return step.do("add", async () => doubled + 1);
  }
}

const workflows = {
  THROWER: { name: "thrower", class: Thrower },
  HEALTHY: { name: "healthy", class: Healthy },
};

describe("values thrown by workflow code", () => {
  const harness = useLifecycleHarness();

  for (const where of ["step", "run"] as const) {
    it(`stores a readable error for every kind of throw from ${where === "step" ? "a step" : "run outside steps"}`, async () => {
      const cairn = await harness.open({ workflows });
      const cases = Object.keys(THROWN);
      stepCalls = 0;
      for (const [i, fault] of cases.entries()) {
        await cairn.env.THROWER.create({ id: `t${i}`, params: { fault, where } });
      }
      const healthy = await cairn.env.HEALTHY.create({ id: "h", params: { n: 20 } });
      expect(await waitForStatus(healthy, "complete")).toMatchObject({ output: 41 });
      for (const [i, fault] of cases.entries()) {
        const status = await waitForStatus(await cairn.env.THROWER.get(`t${i}`), "errored");
        expect({ fault, error: status.error }).toEqual({ fault, error: EXPECTED[fault] });
        if (where === "step") {
          // Retried per policy: limit 2 means three attempts.
          expect(countOf(await logTypes(cairn, "thrower", `t${i}`), "ATTEMPT_FAILURE")).toBe(3);
        }
      }
      if (where === "step") expect(stepCalls).toBe(cases.length * 3);
      await cairn.close();

      const reopened = await harness.open({ workflows, dbPath: cairn.dbPath });
      for (const [i, fault] of cases.entries()) {
        const status = await (await reopened.env.THROWER.get(`t${i}`)).status();
        expect({ fault, status }).toEqual({ fault, status: { status: "errored", error: EXPECTED[fault] } });
      }
      const again = await reopened.env.HEALTHY.create({ id: "h2", params: { n: 1 } });
      expect(await waitForStatus(again, "complete")).toMatchObject({ output: 3 });
    });
  }
});
