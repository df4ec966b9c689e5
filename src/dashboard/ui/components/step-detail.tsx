// One step opened: its state, config, every attempt with its error and the wait before the next,
// its output (truncated ones expand; streams as size and preview) or the event it received, and
// "Restart from this step".

import { read, routes } from "../api.js";
import { duration, ms, pretty, when } from "../format.js";
import type { Step } from "../shapes.js";
import { describeStep } from "./timeline.js";
import { StreamView, ValueView } from "./value-view.js";

export function StepDetail(props: {
  workflow: string;
  id: string;
  step: Step;
  now: number;
  onRestartFrom: (step: Step) => void;
  onClose: () => void;
}) {
  const { step, now } = props;
  const restartable = step.type === "do" || step.type === "sleep" || step.type === "waitForEvent";
  const loadFull = async () => {
    const { result } = await read.cairn<{ output: unknown }>(
      routes.stepOutput(props.workflow, props.id, step.key),
    );
    return result.output;
  };
  return (
    <section class="step-detail card" aria-labelledby="step-detail-title">
      <div class="card-head">
        <h2 id="step-detail-title">
          {step.type === "rollback" ? "Rollback: " : ""}
          {step.name}
          {step.count > 1 ? ` #${step.count}` : ""}
        </h2>
        <div class="button-row">
          {restartable && (
            <button type="button" class="danger-outline" onClick={() => props.onRestartFrom(step)}>
              Restart from this step
            </button>
          )}
          <button type="button" onClick={props.onClose}>
            Close step
          </button>
        </div>
      </div>
      <dl class="facts">
        <dt>Type</dt>
        <dd>{step.type}</dd>
        <dt>Key</dt>
        <dd class="mono">{step.key}</dd>
        <dt>State</dt>
        <dd>{describeStep(step, now)}</dd>
        <dt>Started</dt>
        <dd>{when(step.started_at)}</dd>
        <dt>Ended</dt>
        <dd>{when(step.ended_at)}</dd>
        {step.wake_at && (
          <>
            <dt>
              {step.type === "waitForEvent" ? "Times out" : step.type === "sleep" ? "Wakes" : "Next attempt"}
            </dt>
            <dd>{when(step.wake_at)}</dd>
          </>
        )}
        {step.event_type && (
          <>
            <dt>Waits for</dt>
            <dd class="mono">{step.event_type}</dd>
          </>
        )}
        {step.rollback_of && (
          <>
            <dt>Rolls back</dt>
            <dd class="mono">{step.rollback_of}</dd>
          </>
        )}
      </dl>
      {step.error && (
        <div class="notice notice-error">
          <strong>{step.error.name}</strong>: {step.error.message}
        </div>
      )}
      {step.config !== null && step.config !== undefined && (
        <>
          <h3>Config</h3>
          <pre class="value">{pretty(step.config)}</pre>
        </>
      )}
      {step.attempts.length > 0 && (
        <>
          <h3>Attempts</h3>
          <table class="attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Outcome</th>
                <th scope="col">Then waited</th>
              </tr>
            </thead>
            <tbody>
              {step.attempts.map((a) => (
                <tr key={a.attempt}>
                  <td class="num">{a.attempt}</td>
                  <td>{when(a.started_at)}</td>
                  <td class="num">{duration((ms(a.ended_at) ?? now) - (ms(a.started_at) ?? now))}</td>
                  <td>
                    {a.success === true ? (
                      <span class="ok-text">✓ succeeded</span>
                    ) : a.success === false ? (
                      <span class="error-text">
                        ✕ {a.error?.name}: {a.error?.message}
                      </span>
                    ) : (
                      "running"
                    )}
                  </td>
                  <td class="num">{a.retry_delay_ms === null ? "—" : duration(a.retry_delay_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {step.type === "waitForEvent" && step.event && (
        <>
          <h3>Event received</h3>
          <p>
            <span class="mono">{step.event.type}</span>, sent {when(step.event.sent_at)}
          </p>
          <ValueView
            label="Event payload"
            value={step.event.payload}
            truncated={step.event.payload_truncated}
            loadFull={async () => ((await loadFull()) as { payload: unknown } | null)?.payload}
          />
        </>
      )}
      {typeof step.stream === "object" && (
        <>
          <h3>Output</h3>
          <StreamView stream={step.stream} />
        </>
      )}
      {(step.output !== undefined || step.output_truncated) && (
        <>
          <h3>Output</h3>
          <ValueView
            label="Step output"
            value={step.output}
            truncated={step.output_truncated}
            loadFull={loadFull}
          />
        </>
      )}
    </section>
  );
}
