// What a dialog's form does while it sends: it is busy (the submit button waits), and a refusal
// shows the server's message; the dialog's own work runs in between.

import { useState } from "preact/hooks";
import type { ApiFailure } from "../api.js";

export function useFormAction(): {
  busy: boolean;
  error: string | null;
  run: (work: () => Promise<void>) => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    work()
      .catch((failure: ApiFailure) => setError(failure.message))
      .finally(() => setBusy(false));
  };
  return { busy, error, run };
}
