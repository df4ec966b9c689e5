// A failed request as the reader sees it: the server's message and its stable code.

import type { ApiFailure } from "../api.js";

export function ErrorNotice({ failure }: { failure: ApiFailure }) {
  return (
    <div class="notice notice-error" role="alert">
      <strong>{failure.message}</strong> <code>{failure.code}</code>
    </div>
  );
}
