// The `process` a hosted Worker sees in place of Cairn's own: every member is the real process's
// except `env`, which holds only the Worker's vars and secrets (when its compatibility settings
// populate process.env) and never the host's environment (CAIRN_API_TOKEN, database URLs, …).
// The bundle reaches it through a shim (see worker-process-shim.ts); Cairn's own modules, outside
// the bundle, keep the real process.env.

type Env = Record<string, string>;

/** An env object whose assigned values become strings, as process.env's do on Workers. */
function stringEnv(values: Env): Env {
  return new Proxy(
    { ...values },
    {
      set(target, name, value) {
        if (typeof name === "symbol") return false;
        target[name] = String(value);
        return true;
      },
    },
  );
}

let env: Env = stringEnv({});

/** The Worker's process: the real one, with its own `env`. */
export const workerProcess: NodeJS.Process = new Proxy(process, {
  get(target, name) {
    if (name === "env") return env;
    // Functions are handed out as they are (not bound), so members such as hrtime.bigint remain.
    return Reflect.get(target, name, target);
  },
  set(target, name, value) {
    if (name === "env") {
      env = stringEnv(value as Env);
      return true;
    }
    return Reflect.set(target, name, value, target);
  },
});

/** @internal The host sets the Worker's process.env before loading each build. */
export function __cairnSetProcessEnv(values: Env): void {
  env = stringEnv(values);
}
