// Copies a text (an instance id) to the clipboard and says so for a moment.

import { useState } from "preact/hooks";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
    window.setTimeout(() => setState("idle"), 2000);
  };
  return (
    <button type="button" class="link-button" onClick={copy} aria-live="polite">
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}
    </button>
  );
}
