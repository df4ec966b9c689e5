// Test helper: the real `cairn` binary serving test/fixtures/dashboard-project (a fresh copy,
// its state inside it): `cairn dev` with the dashboard at /cdn-cgi/local/explorer/, or `cairn
// start` with an API token and the dashboard at / on its admin listener. Beside the browser, tests
// act and look through the HTTP API: the explorer API to create instances, Cairn's own routes to
// read an instance's real state.

import { waitUntil } from "cairn/testing";
import { CairnProcess } from "../../host/helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../../host/helpers/projects.js";

export type Instance = { id: string; status: string; params?: unknown; steps: any[]; [key: string]: any };

export type DashboardServer = {
  /** http://127.0.0.1:<port>, where the API and the dashboard are served. */
  origin: string;
  /** The dashboard's address, ending with "/". */
  dashboard: string;
  /** Creates an instance through the explorer API, as wrangler or a script would. */
  create(workflow: string, id: string, params?: unknown): Promise<void>;
  /** The instance as Cairn's own read route answers it, or null when there is none. */
  instance(workflow: string, id: string): Promise<Instance | null>;
  /** Waits until the instance's status is one of `wanted` (as the API says) and answers it. */
  waitForStatus(workflow: string, id: string, wanted: string | string[]): Promise<Instance>;
  stop(): Promise<void>;
};

const EXPLORER_API = "/cdn-cgi/local/explorer/api";

function server(origin: string, dashboard: string, token?: string): DashboardServer {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const instance = async (workflow: string, id: string) => {
    const path = `/cairn/api/workflows/${encodeURIComponent(workflow)}/instances/${encodeURIComponent(id)}`;
    const response = await fetch(`${origin}${path}`, { headers });
    if (response.status === 404) return null;
    const body = (await response.json()) as { success: boolean; result: Instance };
    if (!body.success) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return body.result;
  };
  return {
    origin,
    dashboard,
    async create(workflow, id, params = {}) {
      const response = await fetch(`${origin}${EXPLORER_API}/workflows/${workflow}/instances`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ id, params }),
      });
      if (!response.ok)
        throw new Error(`creating ${id} answered ${response.status}: ${await response.text()}`);
    },
    instance,
    waitForStatus(workflow, id, wanted) {
      const set = Array.isArray(wanted) ? wanted : [wanted];
      return waitUntil(
        () => instance(workflow, id),
        (found) => found !== null && set.includes(found.status),
        { timeoutMs: 20_000, intervalMs: 50, what: `${workflow}/${id} to be ${set.join(" or ")}` },
      ) as Promise<Instance>;
    },
    async stop() {
      await CairnProcess.killAll();
      removeProjects();
    },
  };
}

/** `cairn dev` on a copy of the dashboard fixture project. */
export async function startDev(): Promise<DashboardServer> {
  const dir = copyFixture("dashboard-project");
  const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
  const origin = await cairn.ready();
  return server(origin, `${origin}/cdn-cgi/local/explorer/`);
}

/** `cairn start --api-token <token>`: the dashboard at / on the admin listener, behind sign-in. */
export async function startWithToken(token: string): Promise<DashboardServer> {
  const dir = copyFixture("dashboard-project");
  const cairn = CairnProcess.start(["start", "--port", "0", "--admin-port", "0", "--api-token", token], dir);
  const ready = await cairn.waitForLog((line) => line.msg === "ready", "the ready line");
  const admin = ready.admin as string;
  return server(admin, `${admin}/`, token);
}
