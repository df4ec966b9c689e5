// The first page: every workflow with its instances counted by status and a chart of instances
// created and finished over the last hour, live.

import { Link } from "wouter-preact";
import { read, routes } from "../api.js";
import { ActivityChart } from "../components/activity-chart.js";
import { ErrorNotice } from "../components/error-notice.js";
import { StatusBadge } from "../components/status-badge.js";
import { useLive } from "../hooks.js";
import type { ActivityBucket, Workflow } from "../shapes.js";
import { STATUSES } from "../shapes.js";

function WorkflowActivity({ name }: { name: string }) {
  const activity = useLive(
    `activity:${name}`,
    async () => (await read.cairn<ActivityBucket[]>(routes.activity(name))).result,
    (change) => change.type !== "step" && "workflow" in change && change.workflow === name,
    5000,
  );
  if (activity.error) return <p class="hint">No chart: {activity.error.message}</p>;
  if (!activity.data) return <div class="activity-placeholder" aria-hidden="true" />;
  return <ActivityChart buckets={activity.data} label={name} />;
}

export function OverviewPage() {
  const workflows = useLive(
    "workflows",
    async () => (await read.cairn<Workflow[]>(routes.workflows())).result,
    (change) => change.type !== "step",
  );
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Workflows</h1>
      {workflows.error && <ErrorNotice failure={workflows.error} />}
      {workflows.data && workflows.data.length === 0 && (
        <p>No workflows yet. Cairn lists a workflow here once its Worker declares it.</p>
      )}
      <ul class="workflow-cards">
        {(workflows.data ?? []).map((w) => (
          <li key={w.name} class="card">
            <div class="card-head">
              <h2>
                <Link href={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
              </h2>
              <span class="hint">
                {w.class_name ?? w.binding} · {w.total.toLocaleString()} instance{w.total === 1 ? "" : "s"}
              </span>
            </div>
            <ul class="count-list" aria-label={`${w.name} instances by status`}>
              {STATUSES.filter(
                (s) => w.counts[s] > 0 || ["running", "waiting", "errored", "complete"].includes(s),
              ).map((s) => (
                <li key={s}>
                  <Link href={`/workflows/${encodeURIComponent(w.name)}?status=${s}`} class="count-link">
                    <StatusBadge status={s} />
                    <span class="count">{w.counts[s].toLocaleString()}</span>
                  </Link>
                </li>
              ))}
            </ul>
            <WorkflowActivity name={w.name} />
          </li>
        ))}
      </ul>
    </section>
  );
}
