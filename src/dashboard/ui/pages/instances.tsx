// A workflow's instances: counts by status, filters (status, creation dates, id prefix), a table
// newest first paged by cursor, selection with bulk actions, and a form to trigger a new
// instance. Rows and counts follow the change feed without a reload.

import { useEffect, useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { ACTION_LABELS, type ActionName, DESTRUCTIVE, runAction } from "../actions.js";
import { act, read, routes } from "../api.js";
import { ActionNotice, type Notice } from "../components/action-notice.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorNotice } from "../components/error-notice.js";
import { StatusBadge, statusLabel } from "../components/status-badge.js";
import { TriggerDialog } from "../components/trigger-dialog.js";
import { duration, span, when } from "../format.js";
import { useLive, useNow } from "../hooks.js";
import type { InstanceRow, ListInfo, Status, Workflow } from "../shapes.js";
import { STATUSES } from "../shapes.js";
import { param, useQuery } from "../url-state.js";

const PAGE_SIZES = [10, 25, 50, 100];
const DEFAULT_PAGE_SIZE = 25;

function toIso(local: string | null): string | null {
  if (!local) return null;
  const t = new Date(local).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

export function InstancesPage({ params }: { params: { name?: string } }) {
  const name = param(params.name);
  const [query, setQuery] = useQuery();
  const status = query.get("status") as Status | null;
  const from = query.get("from");
  const to = query.get("to");
  const prefix = query.get("q") ?? "";
  const cursor = query.get("cursor");
  const askedSize = Number(query.get("per_page"));
  const perPage = PAGE_SIZES.includes(askedSize) ? askedSize : DEFAULT_PAGE_SIZE;
  const [history, setHistory] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState(prefix);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [confirm, setConfirm] = useState<ActionName | null>(null);
  const [triggerOpen, setTriggerOpen] = useState(false);
  const [deleteAllOpen, setDeleteAllOpen] = useState(false);
  const [busy, setBusy] = useState(false);

  const filterKey = JSON.stringify([name, status, from, to, prefix, cursor, perPage]);
  const list = useLive(
    filterKey,
    async () => {
      const q = new URLSearchParams({ per_page: String(perPage) });
      if (status) q.set("status", status);
      const start = toIso(from);
      const end = toIso(to);
      if (start) q.set("date_start", start);
      if (end) q.set("date_end", end);
      if (prefix) q.set("id_prefix", prefix);
      if (cursor) q.set("cursor", cursor);
      const { result, info } = await read.cairn<InstanceRow[]>(`${routes.instances(name)}?${q}`);
      return { rows: result, info: info as ListInfo };
    },
    (change) => change.type !== "step" && "workflow" in change && change.workflow === name,
  );
  const workflow = useLive(
    `workflow:${name}`,
    async () => (await read.cairn<Workflow>(routes.workflow(name))).result,
    () => false,
  );
  const rows = list.data?.rows ?? [];
  const info = list.data?.info;
  const counts = info?.counts;
  const anyRunning = rows.some((r) => !r.ended_at);
  const now = useNow(anyRunning);

  // The search box applies what was typed after a short pause.
  useEffect(() => {
    if (search === prefix) return;
    const timer = window.setTimeout(() => setQuery({ q: search || null, cursor: null }, true), 300);
    return () => window.clearTimeout(timer);
  }, [search]);

  // Rows that left the page leave the selection too.
  useEffect(() => {
    const visible = new Set(rows.map((r) => r.id));
    const kept = [...selected].filter((id) => visible.has(id));
    if (kept.length !== selected.size) setSelected(new Set(kept));
  }, [list.data]);

  const filter = (changes: Record<string, string | null>) => {
    setHistory([]);
    setQuery({ ...changes, cursor: null });
  };

  const runBulk = async (action: ActionName) => {
    const ids = [...selected];
    setBusy(true);
    const outcome = await runAction(action, name, ids);
    setBusy(false);
    setNotice(outcome);
    if (action === "delete") setSelected(new Set());
    list.reload();
  };

  const ask = (action: ActionName) =>
    DESTRUCTIVE.includes(action) ? setConfirm(action) : void runBulk(action);
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));

  return (
    <section aria-labelledby="instances-title">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/">Workflows</Link> <span aria-hidden="true">/</span> <span>{name}</span>
      </nav>
      <div class="page-head">
        <h1 id="instances-title">{name}</h1>
        <button type="button" class="danger-outline" onClick={() => setDeleteAllOpen(true)}>
          Delete all instances
        </button>
        <button type="button" class="primary" onClick={() => setTriggerOpen(true)}>
          Trigger instance
        </button>
      </div>
      {workflow.error && <ErrorNotice failure={workflow.error} />}
      <ul class="status-filter" aria-label="Filter by status">
        <li>
          <button type="button" aria-pressed={!status} onClick={() => filter({ status: null })}>
            All{" "}
            <span class="count">
              {(info ? Object.values(info.counts).reduce((a, b) => a + b, 0) : 0).toLocaleString()}
            </span>
          </button>
        </li>
        {STATUSES.map((s) => (
          <li key={s}>
            <button
              type="button"
              aria-pressed={status === s}
              onClick={() => filter({ status: status === s ? null : s })}
            >
              <StatusBadge status={s} /> <span class="count">{(counts?.[s] ?? 0).toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <div class="field">
          <label for="search">Search by id</label>
          <input
            id="search"
            type="search"
            placeholder="Id starts with…"
            value={search}
            onInput={(event) => setSearch((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="created-from">Created from</label>
          <input
            id="created-from"
            type="datetime-local"
            step="1"
            value={from ?? ""}
            onChange={(event) => filter({ from: (event.target as HTMLInputElement).value || null })}
          />
        </div>
        <div class="field">
          <label for="created-to">Created to</label>
          <input
            id="created-to"
            type="datetime-local"
            step="1"
            value={to ?? ""}
            onChange={(event) => filter({ to: (event.target as HTMLInputElement).value || null })}
          />
        </div>
        {(status || from || to || prefix) && (
          <button
            type="button"
            onClick={() => {
              setSearch("");
              filter({ status: null, from: null, to: null, q: null });
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {notice && <ActionNotice notice={notice} onDismiss={() => setNotice(null)} />}
      {workflow.data?.stalled !== undefined && (
        <div class="notice notice-stalled" role="status">
          {workflow.data.stalled === 1
            ? "1 running instance has"
            : `${workflow.data.stalled} running instances have`}{" "}
          made no progress for 5 minutes or more: no step is running and nothing is awaited that Cairn knows
          of.
        </div>
      )}
      {list.error && <ErrorNotice failure={list.error} />}
      <div class="bulk-bar" role="toolbar" aria-label="Actions on selected instances">
        <span class="hint">
          {selected.size > 0 ? `${selected.size} selected` : "Select rows to act on them"}
        </span>
        {(["pause", "resume", "terminate", "restart", "delete"] as ActionName[]).map((action) => (
          <button
            key={action}
            type="button"
            class={DESTRUCTIVE.includes(action) ? "danger-outline" : ""}
            disabled={selected.size === 0 || busy}
            onClick={() => ask(action)}
          >
            {ACTION_LABELS[action]}
          </button>
        ))}
      </div>
      <div class="table-wrap">
        <table class="instances">
          <caption class="visually-hidden">
            Instances of {name}
            {status ? `, ${statusLabel(status)} only` : ""}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col" class="col-select">
                <input
                  type="checkbox"
                  aria-label="Select all rows on this page"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              </th>
              <th scope="col">Instance</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Ended</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} class={selected.has(row.id) ? "selected" : ""}>
                <td class="col-select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${row.id}`}
                    checked={selected.has(row.id)}
                    onChange={() => {
                      const next = new Set(selected);
                      if (next.has(row.id)) next.delete(row.id);
                      else next.add(row.id);
                      setSelected(next);
                    }}
                  />
                </td>
                <td class="mono">
                  <Link
                    href={`/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(row.id)}`}
                  >
                    {row.id}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td>{when(row.created_at)}</td>
                <td>{when(row.ended_at)}</td>
                <td class="num">{duration(span(row.started_at ?? row.created_at, row.ended_at, now))}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && rows.length === 0 && <p class="empty">No instances match.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <span class="hint">{info ? `${info.total.toLocaleString()} matching` : "Loading…"}</span>
        <label class="page-size">
          Rows per page
          <select
            value={String(perPage)}
            onChange={(event) => filter({ per_page: (event.target as HTMLSelectElement).value })}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!cursor}
          onClick={() => {
            setHistory([]);
            setQuery({ cursor: null });
          }}
        >
          Newest
        </button>
        <button
          type="button"
          disabled={!cursor}
          onClick={() => {
            const back = history.slice(0, -1);
            setHistory(back);
            setQuery({ cursor: history[history.length - 1] ?? null });
          }}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!info?.next_cursor}
          onClick={() => {
            setHistory([...history, cursor ?? ""]);
            setQuery({ cursor: info?.next_cursor ?? null });
          }}
        >
          Older
        </button>
      </nav>
      <ConfirmDialog
        title={
          confirm
            ? `${ACTION_LABELS[confirm]} ${selected.size} instance${selected.size === 1 ? "" : "s"}?`
            : ""
        }
        open={confirm !== null}
        confirmLabel={confirm ? ACTION_LABELS[confirm] : ""}
        onConfirm={() => confirm && void runBulk(confirm)}
        onClose={() => setConfirm(null)}
      >
        <p>
          {confirm === "delete"
            ? "Deleted instances and their history are gone for good."
            : confirm === "restart"
              ? "Each instance runs again from its first step with the same params."
              : "Terminated instances stop where they are and do not run again."}
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        title={`Delete every instance of ${name}?`}
        open={deleteAllOpen}
        confirmLabel="Delete all instances"
        onConfirm={() => {
          act
            .removeAll(name)
            .then(({ result }) =>
              setNotice({
                ok: true,
                message: `Deleted ${result.deleted} instance${result.deleted === 1 ? "" : "s"}.`,
              }),
            )
            .catch((failure: Error) => setNotice({ ok: false, message: failure.message }))
            .finally(() => list.reload());
        }}
        onClose={() => setDeleteAllOpen(false)}
      >
        <p>
          All {(counts ? Object.values(counts).reduce((a, b) => a + b, 0) : 0).toLocaleString()} instances and
          their history are deleted for good, whatever their status.
        </p>
      </ConfirmDialog>
      <TriggerDialog
        workflow={name}
        open={triggerOpen}
        onClose={() => setTriggerOpen(false)}
        onCreated={(id) => {
          setNotice({
            ok: true,
            message: `Created ${id}.`,
            link: `/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(id)}`,
          });
          list.reload();
        }}
      />
    </section>
  );
}
