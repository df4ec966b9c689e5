// A JSON value as a person reads it. A value the server cut short shows its beginning, its full
// size and a button that loads the rest; a stream result shows its size and a text preview.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { ApiFailure } from "../api.js";
import { bytes, pretty } from "../format.js";
import type { Truncated } from "../shapes.js";

export function ValueView(props: {
  label: string;
  value?: unknown;
  truncated?: Truncated | undefined;
  /** Loads the whole value when it was truncated. */
  loadFull?: () => Promise<unknown>;
}) {
  const [full, setFull] = useState<{ value: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (full) return <Pre label={props.label}>{pretty(full.value)}</Pre>;
  if (props.truncated) {
    const t = props.truncated;
    return (
      <div class="value-truncated">
        <Pre label={`${props.label} (beginning)`}>{t.preview}…</Pre>
        <p class="hint">
          Showing the first {t.preview.length.toLocaleString()} characters of {bytes(t.bytes)}.{" "}
          {props.loadFull && (
            <button
              type="button"
              class="link-button"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                props.loadFull!()
                  .then((value) => setFull({ value }))
                  .catch((failure: ApiFailure) => setError(failure.message))
                  .finally(() => setBusy(false));
              }}
            >
              Show all
            </button>
          )}
        </p>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }
  return <Pre label={props.label}>{pretty(props.value)}</Pre>;
}

/** A scrollable block of text, focusable so that a keyboard can scroll it, named for screen readers. */
function Pre(props: { label: string; children: ComponentChildren }) {
  return (
    <figure class="value-figure">
      <figcaption class="visually-hidden">{props.label}</figcaption>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard */}
      <pre class="value" tabIndex={0}>
        {props.children}
      </pre>
    </figure>
  );
}

export function StreamView({ stream }: { stream: { bytes: number; preview: string } }) {
  return (
    <div>
      <p>
        A stream of {bytes(stream.bytes)}
        {stream.preview.length < stream.bytes ? "; its beginning as text:" : ", as text:"}
      </p>
      <Pre label="Stream preview">{stream.preview}</Pre>
    </div>
  );
}
