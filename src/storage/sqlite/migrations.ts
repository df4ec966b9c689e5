// Numbered schema migrations for the SQLite store. A migration is never edited once released;
// changes go in a new entry. Applied in one transaction each, recorded in schema_migrations.

export type Migration = { version: number; name: string; sql: string };

export const migrations: Migration[] = [
  {
    version: 1,
    name: "instances, journal, inbox and log",
    sql: `
      CREATE TABLE instances (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow TEXT NOT NULL,
        id TEXT NOT NULL,
        status TEXT NOT NULL,
        params BLOB NOT NULL,
        output BLOB,
        error TEXT,
        trigger TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        updated_at INTEGER NOT NULL,
        wake_at INTEGER,
        wait_types TEXT,
        paused_at INTEGER,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        epoch INTEGER NOT NULL DEFAULT 0,
        success_retention_ms INTEGER NOT NULL,
        error_retention_ms INTEGER NOT NULL,
        expires_at INTEGER,
        UNIQUE (workflow, id)
      );
      CREATE INDEX instances_queued ON instances (workflow, seq) WHERE status = 'queued';
      CREATE INDEX instances_waking ON instances (wake_at) WHERE status = 'waiting';
      CREATE INDEX instances_leased ON instances (lease_expires_at) WHERE status IN ('running', 'waitingForPause');
      CREATE INDEX instances_expiry ON instances (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX instances_by_status ON instances (workflow, status, seq);

      CREATE TABLE steps (
        instance_seq INTEGER NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        count INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        value BLOB,
        error TEXT,
        config TEXT,
        event TEXT,
        event_type TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        wake_at INTEGER,
        PRIMARY KEY (instance_seq, key)
      ) WITHOUT ROWID;

      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload BLOB NOT NULL,
        sent_at INTEGER NOT NULL,
        consumed_by TEXT,
        consumed_at INTEGER
      );
      CREATE INDEX events_pending ON events (instance_seq, type, seq) WHERE consumed_by IS NULL;

      CREATE TABLE log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        step_key TEXT,
        attempt INTEGER,
        data TEXT
      );
      CREATE INDEX log_by_instance ON log (instance_seq, seq);
    `,
  },
  {
    version: 2,
    name: "rollbacks, restart from a step, stream chunks, cron schedule marks",
    sql: `
      ALTER TABLE instances ADD COLUMN rollback_pending INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE steps ADD COLUMN has_rollback INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE steps ADD COLUMN start_order INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE steps ADD COLUMN stream INTEGER NOT NULL DEFAULT 0;

      CREATE TABLE stream_chunks (
        instance_seq INTEGER NOT NULL,
        step_key TEXT NOT NULL,
        idx INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (instance_seq, step_key, idx)
      ) WITHOUT ROWID;

      CREATE TABLE schedule_marks (
        workflow TEXT NOT NULL,
        cron TEXT NOT NULL,
        scheduled_time INTEGER NOT NULL,
        PRIMARY KEY (workflow, cron)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: "list index by (workflow, seq); log and inbox without AUTOINCREMENT bookkeeping",
    sql: `
      CREATE INDEX instances_by_workflow ON instances (workflow, seq);

      CREATE TABLE log_next (
        seq INTEGER PRIMARY KEY,
        instance_seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        step_key TEXT,
        attempt INTEGER,
        data TEXT
      );
      INSERT INTO log_next SELECT seq, instance_seq, at, type, step_key, attempt, data FROM log;
      DROP TABLE log;
      ALTER TABLE log_next RENAME TO log;
      CREATE INDEX log_by_instance ON log (instance_seq, seq);

      CREATE TABLE events_next (
        seq INTEGER PRIMARY KEY,
        instance_seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload BLOB NOT NULL,
        sent_at INTEGER NOT NULL,
        consumed_by TEXT,
        consumed_at INTEGER
      );
      INSERT INTO events_next SELECT seq, instance_seq, type, payload, sent_at, consumed_by, consumed_at FROM events;
      DROP TABLE events;
      ALTER TABLE events_next RENAME TO events;
      CREATE INDEX events_pending ON events (instance_seq, type, seq) WHERE consumed_by IS NULL;
    `,
  },
  {
    version: 4,
    name: "journal rows in write order under a key index; log_entries view over packed log rows",
    sql: `
      CREATE TABLE steps_next (
        id INTEGER PRIMARY KEY,
        instance_seq INTEGER NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        count INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        value BLOB,
        error TEXT,
        config TEXT,
        event TEXT,
        event_type TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        wake_at INTEGER,
        has_rollback INTEGER NOT NULL DEFAULT 0,
        start_order INTEGER NOT NULL DEFAULT 0,
        stream INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO steps_next (instance_seq, key, kind, name, count, status, attempts, value, error, config, event,
          event_type, started_at, ended_at, wake_at, has_rollback, start_order, stream)
        SELECT instance_seq, key, kind, name, count, status, attempts, value, error, config, event,
          event_type, started_at, ended_at, wake_at, has_rollback, start_order, stream FROM steps;
      DROP TABLE steps;
      ALTER TABLE steps_next RENAME TO steps;
      CREATE UNIQUE INDEX steps_by_key ON steps (instance_seq, key);

      CREATE VIEW log_entries AS
        SELECT seq, instance_seq, at, type, step_key, attempt, data FROM log WHERE type <> '*'
        UNION ALL
        SELECT l.seq + e.key, l.instance_seq, json_extract(e.value, '$[1]'), json_extract(e.value, '$[0]'),
          json_extract(e.value, '$[2]'), json_extract(e.value, '$[3]'),
          CASE WHEN json_type(e.value, '$[4]') = 'object' THEN json(json_extract(e.value, '$[4]')) END
        FROM log l, json_each(l.data) e WHERE l.type = '*';
    `,
  },
  {
    version: 5,
    name: "lists by creation time, counts by status kept by triggers, deletions remembered for change feeds",
    sql: `
      DROP INDEX instances_by_workflow;
      DROP INDEX instances_by_status;
      CREATE INDEX instances_by_created ON instances (workflow, created_at, seq);
      CREATE INDEX instances_by_status ON instances (workflow, status, created_at, seq);
      CREATE INDEX instances_by_update ON instances (updated_at);

      CREATE TABLE instance_counts (
        workflow TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (workflow, status)
      ) WITHOUT ROWID;
      INSERT INTO instance_counts (workflow, status, n)
        SELECT workflow, status, count(*) FROM instances GROUP BY workflow, status;
      CREATE TRIGGER instances_counted_on_insert AFTER INSERT ON instances BEGIN
        INSERT INTO instance_counts (workflow, status, n) VALUES (new.workflow, new.status, 1)
          ON CONFLICT (workflow, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER instances_counted_on_status AFTER UPDATE OF status ON instances
        WHEN old.status <> new.status BEGIN
        UPDATE instance_counts SET n = n - 1 WHERE workflow = old.workflow AND status = old.status;
        INSERT INTO instance_counts (workflow, status, n) VALUES (new.workflow, new.status, 1)
          ON CONFLICT (workflow, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER instances_counted_on_delete AFTER DELETE ON instances BEGIN
        UPDATE instance_counts SET n = n - 1 WHERE workflow = old.workflow AND status = old.status;
      END;

      CREATE TABLE deleted_instances (
        seq INTEGER PRIMARY KEY,
        workflow TEXT NOT NULL,
        id TEXT NOT NULL,
        deleted_at INTEGER NOT NULL
      );
      CREATE INDEX deleted_instances_by_time ON deleted_instances (deleted_at);
    `,
  },
  {
    version: 6,
    name: "finished instances by (workflow, ended_at), for activity per minute",
    // Partial: an unfinished instance has no ended_at, so creating one costs the index nothing.
    sql: `
      CREATE INDEX instances_by_end ON instances (workflow, ended_at) WHERE ended_at IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: "instance affinity: the one owner allowed to claim an instance (cairn/testing introspection)",
    // Null for every instance but those a test introspects; claims and wake-ups skip an instance
    // whose affinity names another owner.
    sql: `
      ALTER TABLE instances ADD COLUMN affinity TEXT;
    `,
  },
  {
    version: 8,
    name: "trace context kept with an instance (W3C traceparent and tracestate), continued by its runs' spans",
    // Null for an instance created outside any trace: such a row stores and reads nothing more.
    sql: `
      ALTER TABLE instances ADD COLUMN traceparent TEXT;
      ALTER TABLE instances ADD COLUMN tracestate TEXT;
    `,
  },
];

/** The schema version this code migrates to (the last entry's), which a health check expects. */
export const LATEST_VERSION = migrations[migrations.length - 1]?.version ?? 0;
