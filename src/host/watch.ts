// Watches a project folder for `cairn dev`: any change under it (except node_modules, .git and
// Cairn's own state) is reported once the burst of file events settles, so that an editor's
// save-as-several-writes makes one rebuild.

import { relative, sep } from "node:path";
import { watch } from "chokidar";

const SKIPPED = new Set(["node_modules", ".git", ".cairn", ".wrangler", "dist"]);
const SETTLE_MS = 80;

/**
 * Starts watching `dir`; `onChange` gets the changed paths. Resolves, once the first scan is done
 * (so that later edits are seen), with a function that stops watching.
 */
export async function watchProject(
  dir: string,
  skip: string[],
  onChange: (paths: string[]) => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const ignored = (path: string) => {
    if (skip.some((s) => path === s || path.startsWith(s + sep))) return true;
    const rel = relative(dir, path);
    return rel.split(sep).some((part) => SKIPPED.has(part));
  };
  const watcher = watch(dir, { ignored, ignoreInitial: true, followSymlinks: false });
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  watcher.on("all", (_event, path) => {
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const paths = [...changed];
      changed = new Set();
      onChange(paths);
    }, SETTLE_MS);
  });
  watcher.on("error", onError);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}
