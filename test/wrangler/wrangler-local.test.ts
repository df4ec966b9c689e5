// Cloudflare's own client against `cairn dev`: the real wrangler 4.86.0 (the newest that runs on
// Node 20) with `--local --port <port>`, which talks to the explorer API under the prefix it knows,
// `/cdn-cgi/explorer/api`, on host `localhost`, with `{"action": …}` status bodies. Every `--local`
// command 4.86.0 has is run; each test checks what wrangler prints and, through the newer prefix
// `/cdn-cgi/local/explorer/api`, what happened to the instances.
// The project is test/fixtures/wrangler-project: "approvals" (a step, a 1 s sleep, a wait for an
// "approval" event, a step) and "payments" (a charge that fails three attempts on the first run).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DevServer,
  getEnvelope,
  sendJson,
  startDevServer,
  waitForResult,
} from "./helpers/dev-server.js";
import { labelled, parseInstanceDescribe, shownTime, tableRows, Wrangler } from "./helpers/wrangler.js";

const API = "/cdn-cgi/local/explorer/api";
const FILES = ["doc_7392_rev3.pdf", "report_x29_final.pdf"];
const STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waiting",
  "waitingForPause",
];

// Each wrangler start costs about a second of CPU; tests that run several at once on a busy
// machine get more time than the default 30 s.
const TEST_TIMEOUT = 60_000;

describe("wrangler workflows … --local against cairn dev", { timeout: TEST_TIMEOUT }, () => {
  let server: DevServer;
  let wrangler: Wrangler;
  /** The instance created without --id (the newest approvals instance). */
  let randomId: string;

  /** `wrangler workflows <args> --local --port <port>`, which must exit 0. */
  const local = (...args: string[]) =>
    wrangler.ok(["workflows", ...args, "--local", "--port", String(server.port)]);
  const instance = (workflow: string, id: string) =>
    getEnvelope(server.url, `${API}/workflows/${workflow}/instances/${id}`);
  const waitFor = (workflow: string, id: string, accept: (result: any) => boolean, what: string) =>
    waitForResult(server.url, `${API}/workflows/${workflow}/instances/${id}`, accept, `${id} ${what}`);
  const waitingForApproval = (result: any) =>
    result.status === "waiting" && result.steps.some((s: any) => s.type === "waitForEvent");

  beforeAll(async () => {
    server = await startDevServer();
    wrangler = new Wrangler();
  });
  afterAll(async () => {
    await server?.stop();
    wrangler?.remove();
  });

  it("workflows list and describe show the project's workflows and zeroed counts", async () => {
    const [list, describeRun, json] = await Promise.all([
      local("list"),
      local("describe", "approvals"),
      getEnvelope(server.url, `${API}/workflows/approvals`),
    ]);
    expect(list.lines[0]).toBe("Showing 2 workflows from local dev session:");
    expect(tableRows(list.stdout)).toEqual([
      ["Name", "Script name", "Class name"],
      ["approvals", "workflows-starter", "ApprovalWorkflow"],
      ["payments", "workflows-starter", "PaymentWorkflow"],
    ]);

    expect(json.result.instances).toEqual(Object.fromEntries(STATUSES.map((s) => [s, 0])));
    expect(describeRun.lines).toContain("Instance Status Counts:");
    expect(labelled(describeRun.stdout)).toEqual({
      Name: "approvals",
      "Script Name": "workflows-starter",
      "Class Name": "ApprovalWorkflow",
      ...Object.fromEntries(STATUSES.map((s) => [s, "0"])),
    });
  });

  it("workflows trigger creates instances with the given id and params, or a random id", async () => {
    const runs = await Promise.all([
      local("trigger", "approvals", '{"email":"ada@example.com"}', "--id", "appr-1"),
      local("trigger", "approvals", '{"email":"bob@example.com"}', "--id", "appr-2"),
      local("trigger", "payments", '{"orderId":7,"amount":42,"failRuns":1}', "--id", "pay-1"),
    ]);
    expect(runs.map((r) => r.lines)).toEqual([
      ['🚀 Workflow instance "appr-1" has been triggered successfully'],
      ['🚀 Workflow instance "appr-2" has been triggered successfully'],
      ['🚀 Workflow instance "pay-1" has been triggered successfully'],
    ]);
    // Triggered after the others, so that it is the newest ("latest") approvals instance.
    const random = await local("trigger", "approvals", '{"email":"carol@example.com"}');
    expect(random.lines).toHaveLength(1);
    const match = /^🚀 Workflow instance "([0-9a-f-]{36})" has been triggered successfully$/.exec(
      random.lines[0]!,
    );
    expect(match, random.stdout).not.toBeNull();
    randomId = match![1]!;

    const [appr1, appr2, pay1, carol] = await Promise.all([
      waitFor("approvals", "appr-1", waitingForApproval, "to wait for approval"),
      waitFor("approvals", "appr-2", waitingForApproval, "to wait for approval"),
      waitFor("payments", "pay-1", (r) => r.status === "errored", "to be errored"),
      waitFor("approvals", randomId, waitingForApproval, "to wait for approval"),
    ]);
    expect(appr1.params).toEqual({ email: "ada@example.com" });
    expect(appr2.params).toEqual({ email: "bob@example.com" });
    expect(carol.params).toEqual({ email: "carol@example.com" });
    expect(pay1.params).toEqual({ orderId: 7, amount: 42, failRuns: 1 });
  });

  // Read-only views of the instances triggered above, run at the same time.
  describe("reading", { concurrent: true, timeout: TEST_TIMEOUT }, () => {
    it("workflows instances list shows every instance, or those of one status", async () => {
      const [all, waiting, errored, complete, json] = await Promise.all([
        local("instances", "list", "approvals"),
        local("instances", "list", "approvals", "--status", "waiting"),
        local("instances", "list", "payments", "--status", "errored"),
        local("instances", "list", "approvals", "--status", "complete"),
        getEnvelope(server.url, `${API}/workflows/approvals/instances`),
      ]);
      const listed: { id: string; status: string; created_on: string }[] = json.result;
      expect(listed.map((i) => i.id).sort()).toEqual(["appr-1", "appr-2", randomId].sort());
      const expected = [...listed]
        .sort((a, b) => b.created_on.localeCompare(a.created_on))
        .map((i) => [i.id, shownTime(i.created_on), "⏰ Waiting"]);
      expect(expected[0]![0]).toBe(randomId);

      expect(all.lines[0]).toBe("Showing 3 instances from page 1:");
      expect(tableRows(all.stdout)).toEqual([["Instance ID", "Created", "Status"], ...expected]);
      expect(waiting.lines[0]).toBe("Showing 3 instances from page 1:");
      expect(tableRows(waiting.stdout)).toEqual([["Instance ID", "Created", "Status"], ...expected]);

      expect(errored.lines[0]).toBe("Showing 1 instance from page 1:");
      expect(tableRows(errored.stdout).map((row) => [row[0], row[2]])).toEqual([
        ["Instance ID", "Status"],
        ["pay-1", "❌ Errored"],
      ]);

      expect(tableRows(complete.stdout)).toEqual([]);
      expect(complete.stderr).toContain(
        'There are no instances in workflow "approvals". You can trigger it with "wrangler workflows trigger approvals --local"',
      );
    });

    it("workflows instances describe shows an errored instance's steps, attempts, outputs and error", async () => {
      const [run, json] = await Promise.all([
        local("instances", "describe", "payments", "pay-1"),
        instance("payments", "pay-1"),
      ]);
      expect(run.lines[0]).toBe("Describing latest instance:");
      const { instance: fields, steps } = parseInstanceDescribe(run.stdout);
      expect(fields).toMatchObject({
        "Workflow Name": "payments",
        "Instance Id": "pay-1",
        Status: "❌ Errored",
        Trigger: "🌎 API",
        Queued: shownTime(json.result.queued),
        Success: "❌ No",
        Start: shownTime(json.result.start),
        End: shownTime(json.result.end),
        "Last Successful Step": "load order-1",
        Error: "Error: card declined (run 1, attempt 3)",
      });
      if (json.result.versionId != null) expect(fields["Version Id"]).toBe(json.result.versionId);

      expect(steps.map((s) => s.fields)).toEqual([
        expect.objectContaining({
          Name: "load order-1",
          Type: "🎯 Step",
          Success: "✅ Yes",
          Output: '{"orderId":7,"run":1}',
        }),
        expect.objectContaining({ Name: "charge card-1", Type: "🎯 Step", Success: "❌ No" }),
      ]);
      expect(steps[1]!.fields.Output).toBeUndefined();
      expect(steps[0]!.attempts.map((row) => row[3])).toEqual(["✅ Success"]);
      expect(steps[1]!.attempts.map((row) => row.slice(3))).toEqual([
        ["❌ Error", "Error: card declined (run 1, attempt 1)"],
        ["❌ Error", "Error: card declined (run 1, attempt 2)"],
        ["❌ Error", "Error: card declined (run 1, attempt 3)"],
      ]);
      const attempts = json.result.steps[1].attempts;
      expect(steps[1]!.attempts.map((row) => row[0])).toEqual(attempts.map((a: any) => shownTime(a.start)));
    });

    it("workflows instances describe latest picks the newest instance and shows sleep and wait steps", async () => {
      const run = await local("instances", "describe", "approvals", "latest");
      expect(run.lines[0]).toBe(`Latest instance is "${randomId}"`);
      expect(run.lines[1]).toBe("Describing latest instance:");
      const { instance: fields, steps } = parseInstanceDescribe(run.stdout);
      expect(fields).toMatchObject({
        "Workflow Name": "approvals",
        "Instance Id": randomId,
        Status: "⏰ Waiting",
        "Last Successful Step": "wait on something-1",
      });
      expect(fields.End).toBeUndefined();
      expect(steps.map((s) => [s.fields.Name, s.fields.Type])).toEqual([
        ["my first step-1", "🎯 Step"],
        ["wait on something-1", "💤 Sleeping"],
        ["wait for approval-1", "👀 Waiting for event"],
      ]);
      expect(JSON.parse(steps[0]!.fields.Output!)).toEqual({
        requestedBy: "carol@example.com",
        files: FILES,
      });
      expect(steps[0]!.attempts).toHaveLength(1);
      expect(steps[1]!.fields.End).toBeDefined();
      expect(steps[1]!.fields.Duration).toMatch(/^1 second|^2 seconds/);
      expect(steps[2]!.fields.End).toBeUndefined();
      expect(steps[2]!.attempts).toEqual([]);
    });

    it("fails with the server's message for an unknown instance", async () => {
      const [run, json] = await Promise.all([
        wrangler.run([
          "workflows",
          "instances",
          "describe",
          "approvals",
          "nope",
          "--local",
          "--port",
          String(server.port),
        ]),
        getEnvelope(server.url, `${API}/workflows/approvals/instances/nope`),
      ]);
      expect(json.status).toBe(404);
      expect(json.success).toBe(false);
      const message = json.errors[0]!.message;
      expect(message).toContain("nope");
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`Local API error: ${message}`);
      expect(run.stdout).not.toContain("Describing latest instance:");
    });
  });

  // Changes to three different instances (appr-1, appr-2, pay-1), one after the other: vitest
  // runs neighbouring concurrent suites together, and these must not start before the reads end.
  describe("changing instances", { sequential: true, timeout: TEST_TIMEOUT }, () => {
    it("workflows instances send-event delivers the approval and the instance completes", async () => {
      const run = await local(
        "instances",
        "send-event",
        "approvals",
        "appr-1",
        "--type",
        "approval",
        "--payload",
        '{"approved":true,"by":"ops"}',
      );
      expect(run.lines).toEqual([
        '📤 The event with type "approval" and payload "{"approved":true,"by":"ops"}" was sent to the instance "appr-1" from approvals',
      ]);
      const done = await waitFor("approvals", "appr-1", (r) => r.status === "complete", "to complete");
      expect(done.output).toEqual({
        requestedBy: "ada@example.com",
        files: FILES,
        decision: { approved: true, by: "ops" },
      });

      const described = await local("instances", "describe", "approvals", "appr-1");
      const { instance: fields, steps } = parseInstanceDescribe(described.stdout);
      expect(fields).toMatchObject({
        "Instance Id": "appr-1",
        Status: "✅ Completed",
        Success: "✅ Yes",
        "Last Successful Step": "record decision-1",
        End: shownTime(done.end),
      });
      expect(fields.Error).toBeUndefined();
      expect(steps.map((s) => [s.fields.Name, s.fields.Type])).toEqual([
        ["my first step-1", "🎯 Step"],
        ["wait on something-1", "💤 Sleeping"],
        ["wait for approval-1", "👀 Waiting for event"],
        ["record decision-1", "🎯 Step"],
      ]);
      expect(JSON.parse(steps[2]!.fields.Output!)).toMatchObject({
        type: "approval",
        payload: { approved: true, by: "ops" },
      });
      expect(steps[3]!.fields.Output).toBe('{"approved":true,"by":"ops"}');
    });

    it("workflows instances pause and resume: the paused instance waits again after resume and then completes", async () => {
      const paused = await local("instances", "pause", "approvals", "appr-2");
      expect(paused.lines).toEqual(['⏸️ The instance "appr-2" from approvals was paused successfully']);
      await waitFor("approvals", "appr-2", (r) => r.status === "paused", "to be paused");
      const listed = await local("instances", "list", "approvals", "--status", "paused");
      expect(tableRows(listed.stdout).map((row) => [row[0], row[2]])).toEqual([
        ["Instance ID", "Status"],
        ["appr-2", "⏸️ Paused"],
      ]);

      const resumed = await local("instances", "resume", "approvals", "appr-2");
      expect(resumed.lines).toEqual(['🔄 The instance "appr-2" from approvals was resumed successfully']);
      await waitFor("approvals", "appr-2", waitingForApproval, "to wait for approval again");
      const sent = await sendJson(
        server.url,
        "POST",
        `${API}/workflows/approvals/instances/appr-2/events/approval`,
        {
          approved: false,
          by: "bob",
        },
      );
      expect(sent.success).toBe(true);
      const done = await waitFor("approvals", "appr-2", (r) => r.status === "complete", "to complete");
      expect(done.output.decision).toEqual({ approved: false, by: "bob" });
    });

    it("workflows instances restart runs an errored instance again from the start", async () => {
      const before = (await instance("payments", "pay-1")).result;
      expect(before.status).toBe("errored");
      const run = await local("instances", "restart", "payments", "pay-1");
      expect(run.lines).toEqual(['🥷 The instance "pay-1" from payments was restarted successfully']);
      // The second run of "load order" counts 2, and the charge succeeds on its first attempt.
      const done = await waitFor(
        "payments",
        "pay-1",
        (r) => r.status === "complete",
        "to complete after the restart",
      );
      expect(done.output).toEqual({ orderId: 7, run: 2, charge: { charged: 42, attempt: 1 } });
      expect(done.error).toBeNull();
      expect(done.steps.map((s: any) => [s.name, s.attempts.length])).toEqual([
        ["load order-1", 1],
        ["charge card-1", 1],
      ]);
    });
  });

  it("workflows instances terminate latest stops the newest instance; workflows describe counts it", async () => {
    const run = await local("instances", "terminate", "approvals", "latest");
    expect(run.lines).toEqual([
      `Latest instance is "${randomId}"`,
      `🥷 The instance "${randomId}" from approvals was terminated successfully`,
    ]);
    await waitFor("approvals", randomId, (r) => r.status === "terminated", "to be terminated");

    const [described, json] = await Promise.all([
      local("describe", "approvals"),
      getEnvelope(server.url, `${API}/workflows/approvals`),
    ]);
    const counts = { ...Object.fromEntries(STATUSES.map((s) => [s, 0])), complete: 2, terminated: 1 };
    expect(json.result.instances).toEqual(counts);
    expect(labelled(described.stdout)).toEqual({
      Name: "approvals",
      "Script Name": "workflows-starter",
      "Class Name": "ApprovalWorkflow",
      ...Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, String(n)])),
    });
  });

  it("workflows delete removes the workflow's instances from the dev session", async () => {
    const run = await local("delete", "approvals");
    expect(run.lines).toEqual([
      '✅ Workflow "approvals" instances removed successfully from local dev session.',
    ]);

    const [instances, gone, workflows, payments, listed] = await Promise.all([
      getEnvelope(server.url, `${API}/workflows/approvals/instances`),
      instance("approvals", "appr-1"),
      getEnvelope(server.url, `${API}/workflows`),
      instance("payments", "pay-1"),
      local("instances", "list", "approvals"),
    ]);
    expect(instances.result).toEqual([]);
    expect(gone.status).toBe(404);
    expect(workflows.result.map((w: any) => w.name)).toEqual(["approvals", "payments"]);
    expect(payments.result.status).toBe("complete");
    expect(listed.stderr).toContain('There are no instances in workflow "approvals".');
  });
});
