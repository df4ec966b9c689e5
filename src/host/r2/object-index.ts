// The bucket's index: a SQLite file (WAL, synchronous=FULL) beside the content files, holding each
// object's key, size, etag, version, upload time, metadata, checksums and content file name, and
// the state of multipart uploads and their parts. Every change is one transaction, so an object's
// row always names a complete, synced content file. Files a transaction stops using go into a
// `garbage` table in that same transaction and are deleted afterwards (again at the next open if
// the process died first), so no crash leaks a replaced file.

import type Database from "better-sqlite3";
import { openStateDatabase } from "../state-database.js";
import type { ChecksumHex } from "./checksums.js";
import type { StoredHttpMetadata } from "./http-metadata.js";

/** One stored object. */
export type ObjectRecord = {
  key: string;
  version: string;
  size: number;
  etag: string;
  uploaded: number;
  httpMetadata: StoredHttpMetadata;
  customMetadata: Record<string, string>;
  checksums: ChecksumHex;
  storageClass: string;
  /** The content file's name in the blobs folder. */
  blob: string;
};

export type UploadRecord = {
  uploadId: string;
  key: string;
  state: "pending" | "completed" | "aborted";
  httpMetadata: StoredHttpMetadata;
  customMetadata: Record<string, string>;
  storageClass: string;
};

export type PartRecord = { partNumber: number; etag: string; size: number; md5: string; blob: string };

type ObjectRow = {
  key: string;
  version: string;
  size: number;
  etag: string;
  uploaded: number;
  http_metadata: string;
  custom_metadata: string;
  checksums: string;
  storage_class: string;
  blob: string;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  key TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  uploaded INTEGER NOT NULL,
  http_metadata TEXT NOT NULL,
  custom_metadata TEXT NOT NULL,
  checksums TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  blob TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  state TEXT NOT NULL,
  http_metadata TEXT NOT NULL,
  custom_metadata TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  blob TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
CREATE TABLE IF NOT EXISTS garbage (blob TEXT PRIMARY KEY);
`;

function toObject(row: ObjectRow): ObjectRecord {
  return {
    key: row.key,
    version: row.version,
    size: row.size,
    etag: row.etag,
    uploaded: row.uploaded,
    httpMetadata: JSON.parse(row.http_metadata) as StoredHttpMetadata,
    customMetadata: JSON.parse(row.custom_metadata) as Record<string, string>,
    checksums: JSON.parse(row.checksums) as ChecksumHex,
    storageClass: row.storage_class,
    blob: row.blob,
  };
}

/** The outcome of a conditional write: committed, or refused because the check failed. */
export type WriteOutcome = { committed: true; garbage: string[] } | { committed: false };

export class ObjectIndex {
  private readonly db: Database.Database;

  constructor(path: string) {
    // Several `cairn start` workers may share a bucket folder; a writer waits for another's commit.
    this.db = openStateDatabase(path);
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  getObject(key: string): ObjectRecord | undefined {
    const row = this.db.prepare("SELECT * FROM objects WHERE key = ?").get(key) as ObjectRow | undefined;
    return row ? toObject(row) : undefined;
  }

  /**
   * Stores `record` under its key if `allowed(current)` holds, in one transaction; the replaced
   * content file is recorded as garbage in that transaction.
   */
  putObject(record: ObjectRecord, allowed: (current: ObjectRecord | undefined) => boolean): WriteOutcome {
    return this.db
      .transaction((): WriteOutcome => {
        const current = this.getObject(record.key);
        if (!allowed(current)) return { committed: false };
        this.writeObjectRow(record);
        const garbage = current ? [current.blob] : [];
        this.addGarbage(garbage);
        return { committed: true, garbage };
      })
      .immediate();
  }

  /** Removes the objects under `keys`; returns their content files, now garbage. */
  deleteObjects(keys: string[]): string[] {
    return this.db
      .transaction(() => {
        const garbage: string[] = [];
        for (const key of keys) {
          const current = this.getObject(key);
          if (!current) continue;
          this.db.prepare("DELETE FROM objects WHERE key = ?").run(key);
          garbage.push(current.blob);
        }
        this.addGarbage(garbage);
        return garbage;
      })
      .immediate();
  }

  /** Up to `limit` objects with keys after `after` (all keys when null), in key order. */
  objectsAfter(after: string | null, prefix: string, limit: number): ObjectRecord[] {
    const lower = after !== null && after >= prefix ? after : null;
    const rows = (
      lower === null
        ? this.db.prepare("SELECT * FROM objects WHERE key >= ? ORDER BY key LIMIT ?").all(prefix, limit)
        : this.db.prepare("SELECT * FROM objects WHERE key > ? ORDER BY key LIMIT ?").all(lower, limit)
    ) as ObjectRow[];
    return rows.map(toObject);
  }

  createUpload(upload: UploadRecord, now: number): void {
    this.db
      .prepare(
        "INSERT INTO uploads (upload_id, key, state, http_metadata, custom_metadata, storage_class, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        upload.uploadId,
        upload.key,
        upload.state,
        JSON.stringify(upload.httpMetadata),
        JSON.stringify(upload.customMetadata),
        upload.storageClass,
        now,
      );
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.db.prepare("SELECT * FROM uploads WHERE upload_id = ?").get(uploadId) as
      | Record<string, string>
      | undefined;
    if (!row) return undefined;
    return {
      uploadId: row.upload_id as string,
      key: row.key as string,
      state: row.state as UploadRecord["state"],
      httpMetadata: JSON.parse(row.http_metadata as string) as StoredHttpMetadata,
      customMetadata: JSON.parse(row.custom_metadata as string) as Record<string, string>,
      storageClass: row.storage_class as string,
    };
  }

  parts(uploadId: string): PartRecord[] {
    const rows = this.db
      .prepare(
        "SELECT part_number, etag, size, md5, blob FROM parts WHERE upload_id = ? ORDER BY part_number",
      )
      .all(uploadId) as { part_number: number; etag: string; size: number; md5: string; blob: string }[];
    return rows.map((r) => ({
      partNumber: r.part_number,
      etag: r.etag,
      size: r.size,
      md5: r.md5,
      blob: r.blob,
    }));
  }

  /** Records a part of a pending upload (replacing one with its number); refused otherwise. */
  putPart(uploadId: string, key: string, part: PartRecord): WriteOutcome {
    return this.db
      .transaction((): WriteOutcome => {
        const upload = this.getUpload(uploadId);
        if (!upload || upload.key !== key || upload.state !== "pending") return { committed: false };
        const old = this.db
          .prepare("SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?")
          .get(uploadId, part.partNumber) as { blob: string } | undefined;
        this.db
          .prepare(
            "INSERT OR REPLACE INTO parts (upload_id, part_number, etag, size, md5, blob) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run(uploadId, part.partNumber, part.etag, part.size, part.md5, part.blob);
        const garbage = old ? [old.blob] : [];
        this.addGarbage(garbage);
        return { committed: true, garbage };
      })
      .immediate();
  }

  /**
   * Ends an upload: "completed" with `record` stored as its object, or "aborted". Every part file
   * (and the object's replaced file) becomes garbage. Refused unless the upload is still pending.
   */
  finishUpload(uploadId: string, key: string, record: ObjectRecord | null): WriteOutcome {
    return this.db
      .transaction((): WriteOutcome => {
        const upload = this.getUpload(uploadId);
        if (!upload || upload.key !== key || upload.state !== "pending") return { committed: false };
        const garbage = this.parts(uploadId).map((p) => p.blob);
        if (record) {
          const current = this.getObject(record.key);
          if (current) garbage.push(current.blob);
          this.writeObjectRow(record);
        }
        this.db.prepare("DELETE FROM parts WHERE upload_id = ?").run(uploadId);
        this.db
          .prepare("UPDATE uploads SET state = ? WHERE upload_id = ?")
          .run(record ? "completed" : "aborted", uploadId);
        this.addGarbage(garbage);
        return { committed: true, garbage };
      })
      .immediate();
  }

  /** Every content file a row names: these are never deleted. */
  referencedBlobs(): Set<string> {
    const rows = this.db.prepare("SELECT blob FROM objects UNION ALL SELECT blob FROM parts").all() as {
      blob: string;
    }[];
    return new Set(rows.map((r) => r.blob));
  }

  garbage(): string[] {
    return (this.db.prepare("SELECT blob FROM garbage").all() as { blob: string }[]).map((r) => r.blob);
  }

  /** Forgets garbage files once they are deleted. */
  forgetGarbage(blobs: string[]): void {
    const remove = this.db.prepare("DELETE FROM garbage WHERE blob = ?");
    this.db.transaction(() => {
      for (const blob of blobs) remove.run(blob);
    })();
  }

  private writeObjectRow(record: ObjectRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO objects
          (key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, storage_class, blob)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.key,
        record.version,
        record.size,
        record.etag,
        record.uploaded,
        JSON.stringify(record.httpMetadata),
        JSON.stringify(record.customMetadata),
        JSON.stringify(record.checksums),
        record.storageClass,
        record.blob,
      );
  }

  private addGarbage(blobs: string[]): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO garbage (blob) VALUES (?)");
    for (const blob of blobs) insert.run(blob);
  }
}
