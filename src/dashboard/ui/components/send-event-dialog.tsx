// The form that sends an event to an instance: its type (filled in with what the instance waits
// for) and a JSON payload, checked before sending.

import { useEffect, useState } from "preact/hooks";
import { act } from "../api.js";
import { Dialog } from "./confirm-dialog.js";
import { useFormAction } from "./form-action.js";
import { checkJson, JsonEditor } from "./json-editor.js";

export function SendEventDialog(props: {
  workflow: string;
  id: string;
  open: boolean;
  suggestedType: string;
  onClose: () => void;
  onSent: (type: string) => void;
}) {
  const [type, setType] = useState(props.suggestedType);
  const [payload, setPayload] = useState("");
  const action = useFormAction();
  useEffect(() => {
    if (props.open) setType(props.suggestedType);
  }, [props.open, props.suggestedType]);
  const check = checkJson(payload, null);
  const submit = (event: Event) => {
    event.preventDefault();
    if (!check.ok || !type.trim()) return;
    action.run(async () => {
      await act.sendEvent(props.workflow, props.id, type.trim(), check.value);
      props.onSent(type.trim());
      setPayload("");
      props.onClose();
    });
  };
  return (
    <Dialog title="Send event" open={props.open} onClose={props.onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="event-type">Event type</label>
          <input
            id="event-type"
            required
            value={type}
            onInput={(event) => setType((event.target as HTMLInputElement).value)}
          />
        </div>
        <JsonEditor
          id="event-payload"
          label="Payload"
          value={payload}
          onInput={setPayload}
          hint="JSON; leave empty to send null."
        />
        {action.error && (
          <p class="field-error" role="alert">
            {action.error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={!check.ok || !type.trim() || action.busy}>
            Send
          </button>
        </div>
      </form>
    </Dialog>
  );
}
