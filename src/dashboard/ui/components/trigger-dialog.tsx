// The form that creates an instance: an optional id and params as JSON, checked before sending.

import { useState } from "preact/hooks";
import { act } from "../api.js";
import { Dialog } from "./confirm-dialog.js";
import { useFormAction } from "./form-action.js";
import { checkJson, JsonEditor } from "./json-editor.js";

export function TriggerDialog(props: {
  workflow: string;
  open: boolean;
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const [id, setId] = useState("");
  const [params, setParams] = useState("{}");
  const action = useFormAction();
  const check = checkJson(params);
  const submit = (event: Event) => {
    event.preventDefault();
    if (!check.ok) return;
    action.run(async () => {
      const body: { id?: string; params?: unknown } = {};
      if (id.trim()) body.id = id.trim();
      if (check.value !== undefined) body.params = check.value;
      const { result } = await act.create(props.workflow, body);
      props.onCreated(result.id);
      setId("");
      props.onClose();
    });
  };
  return (
    <Dialog title={`Trigger ${props.workflow}`} open={props.open} onClose={props.onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="trigger-id">Instance id</label>
          <input
            id="trigger-id"
            value={id}
            placeholder="Leave empty for a random id"
            onInput={(event) => setId((event.target as HTMLInputElement).value)}
          />
        </div>
        <JsonEditor id="trigger-params" label="Params" value={params} onInput={setParams} />
        {action.error && (
          <p class="field-error" role="alert">
            {action.error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={!check.ok || action.busy}>
            Trigger
          </button>
        </div>
      </form>
    </Dialog>
  );
}
