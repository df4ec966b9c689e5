// Which instance (and which step attempt) the code running now belongs to, kept in an
// AsyncLocalStorage that an engine observer sets: around the workflow's `run` for the whole run,
// and around each step callback. Console capture reads it to tag what workflow code prints.
// Only a process that adds this observer pays for the storage.

import { AsyncLocalStorage } from "node:async_hooks";
import type { EngineObserver } from "../engine/observer.js";

/** The instance running the current code, and the step attempt when inside a step callback. */
export type InstanceTag = {
  readonly workflow: string;
  readonly instance: string;
  readonly step?: string;
  readonly attempt?: number;
};

const storage = new AsyncLocalStorage<InstanceTag>();

/** The tag of the instance whose code is running now, if any. */
export function currentInstanceTag(): InstanceTag | undefined {
  return storage.getStore();
}

/** An observer that runs each instance's code, and each step attempt, inside its tag. */
export function instanceContextObserver(): EngineObserver {
  return {
    run({ instance }) {
      const runTag: InstanceTag = { workflow: instance.workflow, instance: instance.id };
      return {
        enter: (fn) => storage.run(runTag, fn),
        attempt: ({ name, attempt }) => ({
          run: (fn) => storage.run({ ...runTag, step: name, attempt }, fn),
          ended() {},
        }),
      };
    },
  };
}
