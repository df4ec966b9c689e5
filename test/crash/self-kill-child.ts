// A process for self-kill.test.ts: opens Cairn on the SQLite file given as argv[2], creates the
// instance "doomed" if it does not exist yet, and runs until it finishes. Its only step kills
// this process at once, so every run but the last dies inside the step's callback. Prints the
// final status as JSON when the instance has finished.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";

class Doomed extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("kill the process", { retries: { limit: 2, delay: 0 } }, async () => {
      process.kill(process.pid, "SIGKILL");
    });
  }
}

const cairn = await Cairn.open({
  storage: `sqlite:${process.argv[2]}`,
  workflows: { DOOMED: { name: "doomed", class: Doomed } },
});
const instance = await cairn.env.DOOMED.get("doomed").catch(() => cairn.env.DOOMED.create({ id: "doomed" }));
const status = await waitForStatus(instance, ["complete", "errored"], { timeoutMs: 20_000 });
console.log(JSON.stringify(status));
await cairn.close();
