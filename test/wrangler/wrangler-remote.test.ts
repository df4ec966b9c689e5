// Cloudflare's own client against `cairn dev` on its REST path: the real wrangler 4.86.0 without
// `--local`, pointed at Cairn's REST API v4 by CLOUDFLARE_API_BASE_URL, with a token and an account
// id from the environment (so it makes no login or account calls). Each test checks what wrangler
// prints and, through the same REST API, what happened to the instances.
// The project is test/fixtures/wrangler-project (see wrangler-local.test.ts).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DevServer,
  getEnvelope,
  sendJson,
  startDevServer,
  waitForResult,
} from "./helpers/dev-server.js";
import { labelled, parseInstanceDescribe, shownTime, tableRows, Wrangler } from "./helpers/wrangler.js";

const ACCOUNT = "acct123";
const REST = `/client/v4/accounts/${ACCOUNT}/workflows`;

// Each wrangler start costs about a second of CPU; tests that run several at once on a busy
// machine get more time than the default 30 s.
const TEST_TIMEOUT = 60_000;

describe("wrangler workflows … against cairn dev's REST API", { timeout: TEST_TIMEOUT }, () => {
  let server: DevServer;
  let wrangler: Wrangler;
  let randomId: string;

  const cli = (...args: string[]) => wrangler.ok(["workflows", ...args]);
  const rest = (path: string) => getEnvelope(server.url, `${REST}${path}`);
  const waitFor = (workflow: string, id: string, accept: (result: any) => boolean, what: string) =>
    waitForResult(server.url, `${REST}/${workflow}/instances/${id}`, accept, `${id} ${what}`);
  const waitingForApproval = (result: any) =>
    result.status === "waiting" && result.steps.some((s: any) => s.type === "waitForEvent");

  beforeAll(async () => {
    server = await startDevServer();
    wrangler = new Wrangler({
      CLOUDFLARE_API_BASE_URL: `${server.url}/client/v4`,
      CLOUDFLARE_API_TOKEN: "any",
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
    });
  });
  afterAll(async () => {
    await server?.stop();
    wrangler?.remove();
  });

  it("workflows list and describe show the workflows with their ids, dates and latest version", async () => {
    const [list, describeRun, workflows, workflow, versions] = await Promise.all([
      cli("list"),
      cli("describe", "approvals"),
      rest(""),
      rest("/approvals"),
      rest("/approvals/versions"),
    ]);
    expect(list.lines[0]).toBe("Showing 2 workflows from page 1:");
    const expected = [...(workflows.result as any[])]
      .sort((a, b) => b.created_on.localeCompare(a.created_on))
      .map((w) => [w.name, w.script_name, w.class_name, shownTime(w.created_on), shownTime(w.modified_on)]);
    expect(expected.map((row) => row.slice(0, 3))).toEqual(
      expect.arrayContaining([
        ["approvals", "workflows-starter", "ApprovalWorkflow"],
        ["payments", "workflows-starter", "PaymentWorkflow"],
      ]),
    );
    expect(tableRows(list.stdout)).toEqual([
      ["Name", "Script name", "Class name", "Created", "Modified"],
      ...expected,
    ]);

    const [head, latest] = describeRun.stdout.split("Latest Version:\n");
    expect(labelled(head!)).toEqual({
      Name: "approvals",
      Id: workflow.result.id,
      "Script Name": "workflows-starter",
      "Class Name": "ApprovalWorkflow",
      "Created On": workflow.result.created_on,
      "Modified On": workflow.result.modified_on,
    });
    expect(versions.result.length).toBeGreaterThan(0);
    expect(labelled(latest!)).toEqual({
      Id: versions.result[0].id,
      "Created On": workflow.result.created_on,
      "Modified On": workflow.result.modified_on,
    });
  });

  it("workflows trigger queues instances with the given id and params, or a random id", async () => {
    const runs = await Promise.all([
      cli("trigger", "approvals", '{"email":"ada@example.com"}', "--id", "r-1"),
      cli("trigger", "approvals", '{"email":"bob@example.com"}', "--id", "r-2"),
      cli("trigger", "approvals", '{"email":"eve@example.com"}', "--id", "r-event"),
      cli("trigger", "payments", '{"orderId":9,"amount":5,"failRuns":9}', "--id", "r-pay"),
      cli("trigger", "approvals", '{"email":"carol@example.com"}'),
    ]);
    expect(runs.slice(0, 4).map((r) => r.lines)).toEqual([
      ['🚀 Workflow instance "r-1" has been queued successfully'],
      ['🚀 Workflow instance "r-2" has been queued successfully'],
      ['🚀 Workflow instance "r-event" has been queued successfully'],
      ['🚀 Workflow instance "r-pay" has been queued successfully'],
    ]);
    const match = /^🚀 Workflow instance "([0-9a-f-]{36})" has been queued successfully$/.exec(
      runs[4]!.lines[0]!,
    );
    expect(match, runs[4]!.stdout).not.toBeNull();
    randomId = match![1]!;

    const [r1, r2, event, pay, carol] = await Promise.all([
      waitFor("approvals", "r-1", waitingForApproval, "to wait for approval"),
      waitFor("approvals", "r-2", waitingForApproval, "to wait for approval"),
      waitFor("approvals", "r-event", waitingForApproval, "to wait for approval"),
      waitFor("payments", "r-pay", (r) => r.status === "errored", "to be errored"),
      waitFor("approvals", randomId, waitingForApproval, "to wait for approval"),
    ]);
    expect(r1.params).toEqual({ email: "ada@example.com" });
    expect(r2.params).toEqual({ email: "bob@example.com" });
    expect(event.params).toEqual({ email: "eve@example.com" });
    expect(pay.params).toEqual({ orderId: 9, amount: 5, failRuns: 9 });
    expect(carol.params).toEqual({ email: "carol@example.com" });
  });

  // Read-only views of the instances triggered above, run at the same time.
  describe("reading", { concurrent: true, timeout: TEST_TIMEOUT }, () => {
    it("workflows instances list shows version, created, modified and status, filtered by status", async () => {
      const [all, errored, complete] = await Promise.all([
        cli("instances", "list", "approvals"),
        cli("instances", "list", "payments", "--status", "errored"),
        cli("instances", "list", "approvals", "--status", "complete"),
      ]);
      const [json, payments] = await Promise.all([rest("/approvals/instances"), rest("/payments/instances")]);
      const row = (i: any, status: string) => [
        i.id,
        i.version_id,
        shownTime(i.created_on),
        shownTime(i.modified_on),
        status,
      ];
      const listed = json.result as any[];
      expect(listed.map((i) => i.id).sort()).toEqual(["r-1", "r-2", "r-event", randomId].sort());
      const expected = [...listed]
        .sort((a, b) => b.created_on.localeCompare(a.created_on))
        .map((i) => row(i, "⏰ Waiting"));
      const header = ["Instance ID", "Version", "Created", "Modified", "Status"];

      expect(all.lines[0]).toBe("Showing 4 instances from page 1:");
      expect(tableRows(all.stdout)).toEqual([header, ...expected]);
      expect(errored.lines[0]).toBe("Showing 1 instance from page 1:");
      expect(tableRows(errored.stdout)).toEqual([header, row(payments.result[0], "❌ Errored")]);
      expect(tableRows(complete.stdout)).toEqual([]);
      expect(complete.stderr).toContain(
        'There are no instances in workflow "approvals". You can trigger it with "wrangler workflows trigger approvals"',
      );
    });

    it("workflows instances describe shows an instance by id and the latest one, with steps and attempts", async () => {
      const [byId, latest, r1, pay] = await Promise.all([
        cli("instances", "describe", "approvals", "r-1"),
        cli("instances", "describe", "payments", "latest"),
        rest("/approvals/instances/r-1"),
        rest("/payments/instances/r-pay"),
      ]);
      const waiting = parseInstanceDescribe(byId.stdout);
      expect(waiting.instance).toMatchObject({
        "Workflow Name": "approvals",
        "Instance Id": "r-1",
        "Version Id": r1.result.versionId,
        Status: "⏰ Waiting",
        Trigger: "🌎 API",
        Start: shownTime(r1.result.start),
        "Last Successful Step": "wait on something-1",
      });
      expect(waiting.steps.map((s) => [s.fields.Name, s.fields.Type])).toEqual([
        ["my first step-1", "🎯 Step"],
        ["wait on something-1", "💤 Sleeping"],
        ["wait for approval-1", "👀 Waiting for event"],
      ]);

      const errored = parseInstanceDescribe(latest.stdout);
      expect(errored.instance).toMatchObject({
        "Workflow Name": "payments",
        "Instance Id": "r-pay",
        "Version Id": pay.result.versionId,
        Status: "❌ Errored",
        Success: "❌ No",
        Error: "Error: card declined (run 1, attempt 3)",
      });
      expect(
        errored.steps.map((s) => [s.fields.Name, s.fields.Success, s.attempts.map((a) => a.slice(3))]),
      ).toEqual([
        ["load order-1", "✅ Yes", [["✅ Success"]]],
        [
          "charge card-1",
          "❌ No",
          [
            ["❌ Error", "Error: card declined (run 1, attempt 1)"],
            ["❌ Error", "Error: card declined (run 1, attempt 2)"],
            ["❌ Error", "Error: card declined (run 1, attempt 3)"],
          ],
        ],
      ]);
    });

    it("fails with the API's message and code for an unknown instance", async () => {
      const [run, json] = await Promise.all([
        wrangler.run(["workflows", "instances", "describe", "approvals", "nope"]),
        rest("/approvals/instances/nope"),
      ]);
      expect(json.status).toBe(404);
      const error = json.errors[0]!;
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(
        `A request to the Cloudflare API (/accounts/${ACCOUNT}/workflows/approvals/instances/nope) failed.`,
      );
      expect(run.stderr).toContain(`${error.message} [code: ${error.code}]`);
    });
  });

  it("workflows instances terminate stops one instance; send-event completes another", async () => {
    const [terminated, sent] = await Promise.all([
      cli("instances", "terminate", "approvals", "r-1"),
      cli(
        "instances",
        "send-event",
        "approvals",
        "r-event",
        "--type",
        "approval",
        "--payload",
        '{"approved":true,"by":"eve"}',
      ),
    ]);
    expect(terminated.lines).toEqual(['🥷 The instance "r-1" from approvals was terminated successfully']);
    expect(sent.lines).toEqual([
      '📤 The event with type "approval" and payload "{"approved":true,"by":"eve"}" was sent to the instance "r-event" from approvals',
    ]);
    const [r1, event] = await Promise.all([
      waitFor("approvals", "r-1", (r) => r.status === "terminated", "to be terminated"),
      waitFor("approvals", "r-event", (r) => r.status === "complete", "to complete"),
    ]);
    expect(r1.output).toBeNull();
    expect(event.output.decision).toEqual({ approved: true, by: "eve" });
  });

  it("workflows instances terminate-all stops the instances of a status, then all the others", async () => {
    const waiting = await cli("instances", "terminate-all", "approvals", "--status", "waiting");
    expect(waiting.lines).toEqual([
      '🥷 A job to terminate instances from Workflow "approvals" with status "waiting" has been started. It might take a few minutes to complete.',
    ]);
    await Promise.all(
      ["r-2", randomId].map((id) =>
        waitFor("approvals", id, (r) => r.status === "terminated", "to be terminated"),
      ),
    );
    const [event, pay] = await Promise.all([
      rest("/approvals/instances/r-event"),
      rest("/payments/instances/r-pay"),
    ]);
    expect(event.result.status).toBe("complete");
    expect(pay.result.status).toBe("errored");

    const queued = await sendJson(server.url, "POST", `${REST}/approvals/instances`, {
      instance_id: "r-3",
      params: { email: "dan@example.com" },
    });
    expect(queued.result.id).toBe("r-3");
    const all = await cli("instances", "terminate-all", "approvals");
    // wrangler 4.86.0 prints two spaces where the status filter would go.
    expect(all.lines).toEqual([
      '🥷 A job to terminate instances from Workflow "approvals"  has been started. It might take a few minutes to complete.',
    ]);
    await waitFor("approvals", "r-3", (r) => r.status === "terminated", "to be terminated");
    const counts = await rest("/approvals");
    expect(counts.result.instances).toMatchObject({
      terminated: 4,
      complete: 1,
      waiting: 0,
      running: 0,
      queued: 0,
    });
  });
});
