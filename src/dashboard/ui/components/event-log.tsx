// An instance's event log: what the engine recorded, in order (started, attempts, sleeps, events,
// pauses), newest last, live.

import { read, routes } from "../api.js";
import { when } from "../format.js";
import { useLive } from "../hooks.js";
import type { LogEntry } from "../shapes.js";
import { ErrorNotice } from "./error-notice.js";

const SHOWN = 500;

/** An entry's data on one line, cut at 240 characters, so the log stays a list of lines. */
function oneLine(data: unknown): string {
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

export function EventLog({ workflow, id }: { workflow: string; id: string }) {
  const log = useLive(
    `log:${workflow}:${id}`,
    async () => (await read.cairn<LogEntry[]>(routes.log(workflow, id))).result,
    (change) => "id" in change && change.workflow === workflow && change.id === id,
    1500,
  );
  const entries = log.data ?? [];
  const shown = entries.slice(-SHOWN);
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Event log</h2>
      {log.error && <ErrorNotice failure={log.error} />}
      {entries.length > SHOWN && (
        <p class="hint">
          The last {SHOWN} of {entries.length} entries.
        </p>
      )}
      <table class="log">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Step</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.seq}>
              <td class="num">{e.seq}</td>
              <td>{when(e.at)}</td>
              <td>{e.type}</td>
              <td class="mono">
                {e.step_key ?? ""}
                {e.attempt ? ` (attempt ${e.attempt})` : ""}
              </td>
              <td>
                {e.data === null || e.data === undefined ? (
                  ""
                ) : (
                  <code class="log-data">{oneLine(e.data)}</code>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {log.data && entries.length === 0 && <p class="empty">Nothing logged yet.</p>}
    </section>
  );
}
