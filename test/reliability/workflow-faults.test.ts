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

/** Fresh values to return, by case name, and whether the result can be stored. */
const RESULTS: Record<string, () => unknown> = {
  function: () => () => 1,
  symbol: () => Symbol("s"),
  bigint: () => 42n,
  circular: () => {
    const node: Record<string, unknown> = { name: "loop" };
    node.self = node;
    return node;
  },
  "throwing getter": () =>
    Object.defineProperty({}, "secret", {
      enumerable: true,
      get: () => {
        throw new Error("getter trap");
      },
    }),
  "hostile proxy": () => hostileProxy(),
  "class instance": () =>
    new (class Money {
      readonly cents = 5;
      format() {
        return "0.05";
      }
    })(),
  "too large": () => "x".repeat(1024 * 1024 + 1),
};

let resultCalls = 0;

class Returner extends WorkflowEntrypoint {
  override async run(event: WorkflowEvent<{ fault: string; where: "step" | "run" }>, step: WorkflowStep) {
    const { fault, where } = event.payload;
    const make = RESULTS[fault];
    if (!make) throw new Error(`no case ${fault}`);
    if (where === "run") return make();
    return step.do("produce", { retries: { limit: 3, delay: 1 } }, async () => {
      resultCalls += 1;
      return make();
    });
  }
}

describe("results that cannot be stored", () => {
  const harness = useLifecycleHarness();
  const all = { ...workflows, RETURNER: { name: "returner", class: Returner } };

  for (const where of ["step", "run"] as const) {
    it(`fails at once with a clear error for a ${where === "step" ? "step result" : "run output"} that cannot be stored`, async () => {
      const cairn = await harness.open({ workflows: all });
      const cases = Object.keys(RESULTS);
      resultCalls = 0;
      for (const [i, fault] of cases.entries()) {
        await cairn.env.RETURNER.create({ id: `r${i}`, params: { fault, where } });
      }
      const healthy = await cairn.env.HEALTHY.create({ id: "h", params: { n: 20 } });
      expect(await waitForStatus(healthy, "complete")).toMatchObject({ output: 41 });
      const what = where === "step" ? 'the result of step "produce"' : "the workflow's output";
      const notStored = (why: string) => ({
        name: "WorkflowsError",
        message: `(value.not_serializable) ${what} cannot be stored: ${why}`,
      });
      const expected: Record<string, unknown> = {
        function: notStored("a function cannot be stored"),
        symbol: notStored("a symbol cannot be stored"),
        // Structured clone keeps BigInts and cycles, and a class instance's own fields (not its methods).
        bigint: { status: "complete", output: 42n },
        circular: "complete with its cycle",
        "throwing getter": notStored("reading it threw: getter trap"),
        // Returning it from an async function reads its `then`, which throws: a plain throw, retried.
        "hostile proxy": { name: "Error", message: "proxy trap" },
        "class instance": { status: "complete", output: { cents: 5 } },
        "too large": {
          name: "WorkflowsError",
          message: `(${where === "step" ? "step.result_too_large" : "output.too_large"}) ${what} is 1048583 bytes; the limit is 1048576 bytes (1 MiB)`,
        },
      };
      for (const [i, fault] of cases.entries()) {
        const status = await waitForStatus(await cairn.env.RETURNER.get(`r${i}`), ["errored", "complete"]);
        let seen: unknown = status.status === "errored" ? status.error : status;
        if (fault === "circular" && status.status === "complete") {
          const output = status.output as { self: unknown };
          seen = output.self === output ? "complete with its cycle" : status;
        }
        expect({ fault, seen }).toEqual({ fault, seen: expected[fault] });
      }
      // A result that cannot be stored is not retried: each case ran its callback once, but for
      // the Proxy, whose `then` trap threw (three retries).
      expect(resultCalls).toBe(where === "step" ? cases.length + 3 : 0);
    });
  }
});
