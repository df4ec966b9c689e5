// What an action did, in a sentence, with a link to what it made (if anything) and a way to
// dismiss it. Announced to screen readers as a status.

import { Link } from "wouter-preact";

export type Notice = { ok: boolean; message: string; link?: string };

export function ActionNotice({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  return (
    <div class={`notice ${notice.ok ? "notice-ok" : "notice-error"}`} role="status">
      {notice.message} {notice.link && <Link href={notice.link}>Open it</Link>}
      <button type="button" class="link-button" onClick={onDismiss} aria-label="Dismiss message">
        ✕
      </button>
    </div>
  );
}
