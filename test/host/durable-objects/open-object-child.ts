// Run by locking.test.ts in a second Node process: tries to open a Durable Object's file the way
// the host does and prints what happened as one JSON line.

import { openObjectFile } from "../../../src/host/durable-objects/object-file.js";

const path = process.argv[2]!;
try {
  const db = openObjectFile(path, "Counter test");
  const row = db.prepare("SELECT count(*) AS n FROM _cf_kv").get() as { n: number };
  db.close();
  console.log(JSON.stringify({ opened: true, keys: row.n }));
} catch (error) {
  console.log(
    JSON.stringify({
      opened: false,
      code: (error as { code?: string }).code,
      message: (error as Error).message,
    }),
  );
}
