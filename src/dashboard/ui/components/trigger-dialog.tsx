// The form that creates an instance: an optional id and params as JSON, checked before sending.

import { useState } from "preact/hooks";
import { type ApiFailure, act } from "../api.js";
import { Dialog } from "./confirm-dialog.js";
import { checkJson, JsonEditor } from "./json-editor.js";

export function TriggerDialog(props: {
  workflow: string;
  open: boolean;
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const [id, setId] = useState("");
  const [params, setParams] = useState("{}");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const check = checkJson(params);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!check.ok) return;
    setBusy(true);
    setError(null);
    try {
      const body: { id?: string; params?: unknown } = {};
      if (id.trim()) body.id = id.trim();
      if (check.value !== undefined) body.params = check.value;
      const { result } = await act.create(props.workflow, body);
      props.onCreated(result.id);
      setId("");
      props.onClose();
    } catch (failure) {
      setError((failure as ApiFailure).message);
    } finally {
      setBusy(false);
    }
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
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={!check.ok || busy}>
            Trigger
          </button>
        </div>
      </form>
    </Dialog>
  );
}
