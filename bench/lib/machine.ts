// Describes the machine a run measured: core count, memory, CPU model (from /proc/cpuinfo),
// Node and SQLite versions, the filesystem the temporary files live on, and the load average
// at the start and end (other work on the machine makes the figures noisy).

import { readFileSync } from "node:fs";
import os from "node:os";
import Database from "better-sqlite3";

export type Machine = {
  nproc: number;
  memoryGb: number;
  cpuModel: string;
  node: string;
  sqlite: string;
  kernel: string;
  tempDir: string;
  tempFilesystem: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
};

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":").slice(1).join(":").trim();
  } catch {}
  return os.cpus()[0]?.model ?? "unknown";
}

/** The type and device of the mount that holds `path` (the longest matching mount point). */
function filesystemOf(path: string): string {
  try {
    let best = { point: "", text: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [device, point, type] = line.split(" ");
      if (!device || !point || !type) continue;
      const inside = path === point || path.startsWith(point.endsWith("/") ? point : `${point}/`);
      if (inside && point.length >= best.point.length)
        best = { point, text: `${type} (${device} on ${point})` };
    }
    return best.text;
  } catch {
    return "unknown";
  }
}

function sqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    return (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  } finally {
    db.close();
  }
}

export function describeMachine(): Machine {
  return {
    nproc: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: cpuModel(),
    node: process.version,
    sqlite: sqliteVersion(),
    kernel: `${os.type()} ${os.release()}`,
    tempDir: os.tmpdir(),
    tempFilesystem: filesystemOf(os.tmpdir()),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
