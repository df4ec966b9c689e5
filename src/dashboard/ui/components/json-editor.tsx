// A textarea for JSON that says at once whether its text parses, and where it does not, so a
// form never sends what the server would refuse.

import { useState } from "preact/hooks";

export type JsonCheck = { ok: true; value: unknown } | { ok: false; message: string };

export function checkJson(text: string, emptyMeans: unknown = undefined): JsonCheck {
  if (text.trim() === "") return { ok: true, value: emptyMeans };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export function JsonEditor(props: {
  id: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  hint?: string;
}) {
  const [touched, setTouched] = useState(false);
  const check = checkJson(props.value);
  const errorId = `${props.id}-error`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        class="json-input"
        rows={8}
        spellcheck={false}
        value={props.value}
        aria-invalid={!check.ok}
        aria-describedby={errorId}
        onInput={(event) => {
          setTouched(true);
          props.onInput((event.target as HTMLTextAreaElement).value);
        }}
      />
      <p
        id={errorId}
        class={check.ok ? "hint" : "field-error"}
        role={check.ok || !touched ? undefined : "alert"}
      >
        {check.ok ? (props.hint ?? "JSON; leave empty for none.") : `Not valid JSON: ${check.message}`}
      </p>
    </div>
  );
}
