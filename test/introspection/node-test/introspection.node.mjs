// cairn/testing's introspection under Node's own test runner, in plain JavaScript as Node 20 runs
// it: no vitest, no TypeScript, no `await using` (try/finally and t.after instead). Run by
// test/introspection/node-test.test.ts as `node --import tsx --conditions=source --test` (tsx
// only compiles Cairn's TypeScript sources; this file is plain JavaScript).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Cairn, WorkflowEntrypoint } from "cairn";
import { introspectWorkflow, introspectWorkflowInstance } from "cairn/testing";

class Signup extends WorkflowEntrypoint {
  async run(event, step) {
    await step.sleep("cool down", "1 hour");
    const score = await step.do("check", async () => Math.random());
    const reply = await step.waitForEvent("confirm", { type: "confirmed", timeout: "1 day" });
    return { user: event.payload.user, score, confirmed: reply.payload };
  }
}

const dir = mkdtempSync(join(tmpdir(), "cairn-node-test-"));
let cairn;

before(async () => {
  cairn = await Cairn.open({
    storage: join(dir, "cairn.db"),
    workflows: { SIGNUP: { name: "signup", class: Signup } },
  });
});

after(async () => {
  await cairn.close();
  rmSync(dir, { recursive: true, force: true });
});

test("introspectWorkflowInstance with try/finally", async () => {
  const instance = await introspectWorkflowInstance(cairn.env.SIGNUP, "user-1");
  try {
    await instance.modify(async (m) => {
      await m.disableSleeps();
      await m.mockStepResult({ name: "check" }, 0);
      await m.mockEvent({ type: "confirmed", payload: true });
    });
    await cairn.env.SIGNUP.create({ id: "user-1", params: { user: "ana" } });
    assert.equal(await instance.waitForStepResult({ name: "check" }), 0);
    await instance.waitForStatus("complete");
    assert.deepEqual(await instance.getOutput(), { user: "ana", score: 0, confirmed: true });
    await assert.rejects(instance.waitForStatus("errored"), {
      message:
        "[WorkflowIntrospector] The Workflow instance user-1 has reached status 'complete'. This is a finite status that prevents it from ever reaching the expected status of 'errored'.",
    });
  } finally {
    await instance.dispose();
  }
  await assert.rejects(cairn.env.SIGNUP.get("user-1"), { code: "instance.not_found" });
});

test("introspectWorkflow disposed by t.after", async (t) => {
  const workflow = await introspectWorkflow(cairn.env.SIGNUP);
  t.after(workflow.dispose);
  await workflow.modifyAll(async (m) => {
    await m.disableSleeps();
    await m.mockStepResult({ name: "check" }, 1);
    await m.forceEventTimeout({ name: "confirm" });
  });
  await cairn.env.SIGNUP.createBatch([{ params: { user: "bo" } }, { params: { user: "cy" } }]);
  const instances = await workflow.get();
  assert.equal(instances.length, 2);
  for (const instance of instances) {
    await instance.waitForStatus("errored");
    const error = await instance.getError();
    assert.equal(error.name, "WorkflowTimeoutError");
    assert.match(error.message, /^Execution timed out/);
  }
});
