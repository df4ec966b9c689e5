// One instance: its state, params, output or error, its steps on a timeline and as a list (with
// search and a type filter, each opening to its detail), its event log, and every action on it.
// All of it follows the change feed while the instance runs.

import { useEffect, useState } from "preact/hooks";
import { Link, useLocation } from "wouter-preact";
import { ACTION_LABELS, type ActionName, DESTRUCTIVE, runAction } from "../actions.js";
import { act, read, routes } from "../api.js";
import { ActionNotice, type Notice } from "../components/action-notice.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { CopyButton } from "../components/copy-button.js";
import { ErrorNotice } from "../components/error-notice.js";
import { EventLog } from "../components/event-log.js";
import { SendEventDialog } from "../components/send-event-dialog.js";
import { StatusBadge } from "../components/status-badge.js";
import { StepDetail } from "../components/step-detail.js";
import { describeStep, Timeline } from "../components/timeline.js";
import { ValueView } from "../components/value-view.js";
import { duration, span, when } from "../format.js";
import { useLive, useNow } from "../hooks.js";
import type { InstanceDetail, Step, StepType } from "../shapes.js";
import { LIVE_STATUSES } from "../shapes.js";
import { param, useQuery } from "../url-state.js";

/** Characters of a value shown before "Show all". */
const OUTPUT_LIMIT = 2000;

type Pending = { action: ActionName } | { action: "restart-from"; step: Step };

function actionsFor(status: InstanceDetail["status"]): ActionName[] {
  const out: ActionName[] = [];
  if (["queued", "running", "waiting"].includes(status)) out.push("pause");
  if (["paused", "waitingForPause"].includes(status)) out.push("resume");
  if (LIVE_STATUSES.includes(status) || status === "paused") out.push("terminate", "terminate-rollback");
  out.push("restart", "delete");
  return out;
}

export function InstancePage({ params }: { params: { name?: string; id?: string } }) {
  const name = param(params.name);
  const id = param(params.id);
  const [query, setQuery] = useQuery();
  const [, navigate] = useLocation();
  const selectedKey = query.get("step");
  const typeFilter = (query.get("type") ?? "") as StepType | "";
  const [stepSearch, setStepSearch] = useState("");
  const [notice, setNotice] = useState<Notice | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [sendOpen, setSendOpen] = useState(false);

  const matches = (change: { type: string; workflow?: string; id?: string }) =>
    change.workflow === name && change.id === id;
  const detail = useLive(
    `instance:${name}:${id}`,
    async () =>
      (await read.cairn<InstanceDetail>(`${routes.instance(name, id)}?output_limit=${OUTPUT_LIMIT}`)).result,
    matches,
    400,
  );
  const d = detail.data;
  const live = d ? LIVE_STATUSES.includes(d.status) || d.steps.some((s) => !s.ended_at) : false;
  const now = useNow(live, 1000);

  // A step's start is not a change on the feed: while the instance runs, look again every 2 s.
  useEffect(() => {
    if (d?.status !== "running") return;
    const timer = window.setInterval(detail.reload, 2000);
    return () => window.clearInterval(timer);
  }, [d?.status]);

  const run = async (action: ActionName) => {
    const outcome = await runAction(action, name, [id]);
    setNotice(outcome);
    if (action === "delete" && outcome.ok) navigate(`/workflows/${encodeURIComponent(name)}`);
    else detail.reload();
  };

  const restartFrom = async (step: Step) => {
    try {
      await act.restart(name, id, { name: step.name, count: step.count, type: step.type as "do" });
      setNotice({
        ok: true,
        message: `Restarted ${id} from ${step.name}${step.count > 1 ? ` #${step.count}` : ""}.`,
      });
    } catch (failure) {
      setNotice({ ok: false, message: (failure as Error).message });
    }
    detail.reload();
  };

  if (detail.error && !d) {
    return (
      <section>
        <nav aria-label="Breadcrumb" class="breadcrumb">
          <Link href="/">Workflows</Link> <span aria-hidden="true">/</span>{" "}
          <Link href={`/workflows/${encodeURIComponent(name)}`}>{name}</Link>
        </nav>
        <h1>{id}</h1>
        <ErrorNotice failure={detail.error} />
      </section>
    );
  }
  if (!d)
    return (
      <p class="hint" aria-busy="true">
        Loading {id}…
      </p>
    );

  const steps = d.steps.filter(
    (s) =>
      (!typeFilter || s.type === typeFilter) &&
      (!stepSearch || `${s.name} ${s.key}`.toLowerCase().includes(stepSearch.toLowerCase())),
  );
  const selected = selectedKey ? (d.steps.find((s) => s.key === selectedKey) ?? null) : null;
  const stepHref = (s: Step) => {
    const q = new URLSearchParams(window.location.search);
    q.set("step", s.key);
    return `/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(id)}?${q}`;
  };
  const waitingFor = d.status === "waiting" ? (d.waiting_for ?? []) : [];
  const canSend = LIVE_STATUSES.includes(d.status) || d.status === "paused";

  return (
    <section aria-labelledby="instance-title">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/">Workflows</Link> <span aria-hidden="true">/</span>{" "}
        <Link href={`/workflows/${encodeURIComponent(name)}`}>{name}</Link> <span aria-hidden="true">/</span>{" "}
        <span>{id}</span>
      </nav>
      <div class="page-head title-row">
        <h1 id="instance-title" class="mono">
          {id}
        </h1>
        <StatusBadge status={d.status} />
        <CopyButton text={id} label="Copy id" />
      </div>
      {waitingFor.length > 0 && (
        <div class="notice notice-waiting">
          Waiting for {waitingFor.map((t) => `"${t}"`).join(" or ")}
          {d.wake_at ? `, until ${when(d.wake_at)}` : ""}.{" "}
          <button type="button" class="primary" onClick={() => setSendOpen(true)}>
            Send event
          </button>
        </div>
      )}
      {d.status === "running" && d.no_progress && (
        <div class="notice notice-stalled" role="status">
          No progress for {duration(d.no_progress.for_ms)} (since {when(d.no_progress.since)}): no step is
          running and nothing is awaited that Cairn knows of. The run awaits something outside any step that
          has not settled.
        </div>
      )}
      <div class="button-row" role="toolbar" aria-label="Instance actions">
        {actionsFor(d.status).map((action) => (
          <button
            key={action}
            type="button"
            class={DESTRUCTIVE.includes(action) ? "danger-outline" : ""}
            onClick={() => (DESTRUCTIVE.includes(action) ? setPending({ action }) : void run(action))}
          >
            {ACTION_LABELS[action]}
          </button>
        ))}
        {canSend && waitingFor.length === 0 && (
          <button type="button" onClick={() => setSendOpen(true)}>
            Send event
          </button>
        )}
      </div>
      {notice && <ActionNotice notice={notice} onDismiss={() => setNotice(null)} />}
      {detail.error && <ErrorNotice failure={detail.error} />}
      <div class="columns">
        <dl class="facts card">
          <dt>Workflow</dt>
          <dd>{d.workflow}</dd>
          <dt>Trigger</dt>
          <dd>{d.trigger}</dd>
          <dt>Created</dt>
          <dd>{when(d.created_at)}</dd>
          <dt>Started</dt>
          <dd>{when(d.started_at)}</dd>
          <dt>Ended</dt>
          <dd>{when(d.ended_at)}</dd>
          <dt>Duration</dt>
          <dd>{duration(span(d.started_at, d.ended_at, now))}</dd>
          <dt>Steps</dt>
          <dd>
            {d.steps.filter((s) => s.status === "succeeded" || s.status === "failed").length} of{" "}
            {d.steps.length} finished
          </dd>
          {d.paused_at && (
            <>
              <dt>Paused</dt>
              <dd>{when(d.paused_at)}</dd>
            </>
          )}
          {d.status === "waiting" && d.wake_at && (
            <>
              <dt>Wakes</dt>
              <dd>{when(d.wake_at)}</dd>
            </>
          )}
          {d.rollback && (
            <>
              <dt>Rollback</dt>
              <dd>
                {d.rollback.state} (after {d.rollback.reason === "failure" ? "a failure" : "terminate"})
              </dd>
            </>
          )}
        </dl>
        <div class="card">
          <h2>Params</h2>
          <ValueView
            label="Params"
            value={d.params}
            truncated={d.params_truncated}
            loadFull={async () => (await read.cairn<InstanceDetail>(routes.instance(name, id))).result.params}
          />
          {d.error && (
            <>
              <h2>Error</h2>
              <div class="notice notice-error">
                <strong>{d.error.name}</strong>: {d.error.message}
              </div>
            </>
          )}
          {(d.output !== undefined || d.output_truncated) && d.status === "complete" && (
            <>
              <h2>Output</h2>
              <ValueView
                label="Output"
                value={d.output}
                truncated={d.output_truncated}
                loadFull={async () =>
                  (await read.cairn<InstanceDetail>(routes.instance(name, id))).result.output
                }
              />
            </>
          )}
        </div>
      </div>
      <h2>Timeline</h2>
      <Timeline instance={d} steps={steps} now={now} stepHref={stepHref} selectedKey={selectedKey} />
      {selected && (
        <StepDetail
          key={selected.key}
          workflow={name}
          id={id}
          step={selected}
          now={now}
          onRestartFrom={(step) => setPending({ action: "restart-from", step })}
          onClose={() => setQuery({ step: null })}
        />
      )}
      {selectedKey && !selected && (
        <p class="notice notice-error">This instance has no step {selectedKey} now.</p>
      )}
      <h2 id="steps-title">Steps</h2>
      <form class="filters" aria-label="Filter steps" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="step-search">Search steps</label>
          <input
            id="step-search"
            type="search"
            value={stepSearch}
            onInput={(event) => setStepSearch((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="step-type">Type</label>
          <select
            id="step-type"
            value={typeFilter}
            onChange={(event) => setQuery({ type: (event.target as HTMLSelectElement).value || null }, true)}
          >
            <option value="">All types</option>
            <option value="do">step.do</option>
            <option value="sleep">sleep</option>
            <option value="waitForEvent">waitForEvent</option>
            <option value="rollback">rollback</option>
            <option value="termination">termination</option>
          </select>
        </div>
      </form>
      <table class="steps" aria-labelledby="steps-title">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.key} class={s.key === selectedKey ? "selected" : ""}>
              <td>
                <Link href={stepHref(s)}>
                  {s.type === "rollback" ? "↩ " : ""}
                  {s.name}
                  {s.count > 1 ? ` #${s.count}` : ""}
                </Link>
              </td>
              <td>{s.type}</td>
              <td>{describeStep(s, now)}</td>
              <td>{when(s.started_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {steps.length === 0 && <p class="empty">No steps match.</p>}
      <EventLog workflow={name} id={id} />
      <ConfirmDialog
        title={
          pending === null
            ? ""
            : pending.action === "restart-from"
              ? `Restart ${id} from ${pending.step.name}?`
              : `${ACTION_LABELS[pending.action]} ${id}?`
        }
        open={pending !== null}
        confirmLabel={
          pending === null
            ? ""
            : pending.action === "restart-from"
              ? "Restart from this step"
              : ACTION_LABELS[pending.action]
        }
        onConfirm={() => {
          if (!pending) return;
          if (pending.action === "restart-from") void restartFrom(pending.step);
          else void run(pending.action);
        }}
        onClose={() => setPending(null)}
      >
        <p>
          {pending?.action === "delete"
            ? "The instance and its history are deleted for good."
            : pending?.action === "restart"
              ? "The instance runs again from its first step with the same params."
              : pending?.action === "restart-from"
                ? "Steps before this one keep their results; this step and every later one run again."
                : pending?.action === "terminate-rollback"
                  ? "The instance stops and its rollback handlers run."
                  : "The instance stops where it is and does not run again."}
        </p>
      </ConfirmDialog>
      <SendEventDialog
        workflow={name}
        id={id}
        open={sendOpen}
        suggestedType={waitingFor[0] ?? ""}
        onClose={() => setSendOpen(false)}
        onSent={(type) => {
          setNotice({ ok: true, message: `Sent "${type}" to ${id}.` });
          detail.reload();
        }}
      />
    </section>
  );
}
