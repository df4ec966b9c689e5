// An EventTarget whose listeners cannot take the host down: Node reports an exception thrown by a
// listener (or a rejected promise from an async one) as uncaught, which stops the process. Here it
// is logged as the Worker's uncaught error, as Cloudflare does, and the other listeners still run.

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
type ListenerOptions = { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal };

function reportListenerError(error: unknown): void {
  console.error("Uncaught exception in a WebSocket event listener:", error);
}

export class GuardedEventTarget extends EventTarget {
  /** The guarding wrapper of each listener, by event type, so that it can be removed again. */
  #wrapped = new Map<string, Map<Listener, (event: Event) => void>>();

  override addEventListener(
    type: string,
    listener: Listener | null,
    options?: ListenerOptions | boolean,
  ): void {
    if (!listener) return;
    let forType = this.#wrapped.get(type);
    if (!forType) {
      forType = new Map();
      this.#wrapped.set(type, forType);
    }
    let wrapper = forType.get(listener);
    if (!wrapper) {
      wrapper = (event: Event) => {
        try {
          const result: unknown =
            typeof listener === "function" ? listener.call(this, event) : listener.handleEvent(event);
          if (result instanceof Promise) result.catch(reportListenerError);
        } catch (error) {
          reportListenerError(error);
        }
      };
      forType.set(listener, wrapper);
    }
    super.addEventListener(type, wrapper, options);
  }

  override removeEventListener(
    type: string,
    listener: Listener | null,
    options?: { capture?: boolean } | boolean,
  ): void {
    const wrapper = listener ? this.#wrapped.get(type)?.get(listener) : undefined;
    if (wrapper) super.removeEventListener(type, wrapper, options);
  }
}
