-- stepfn's PostgreSQL store, version 1: executions with their lease (owner, epoch, expiry),
-- history events, per-frame checkpoints, pending activity/callback tasks, activities, and
-- generic documents (e.g. the server's state machine definitions).
CREATE TABLE stepfn_executions(
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  state_machine TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  start_ms BIGINT NOT NULL,
  stop_ms BIGINT,
  redrive_count BIGINT NOT NULL DEFAULT 0,
  redrive_ms BIGINT,
  seq BIGSERIAL NOT NULL,
  owner TEXT,
  epoch BIGINT NOT NULL DEFAULT 0,
  lease_until_ms BIGINT NOT NULL DEFAULT 0);
CREATE INDEX stepfn_executions_by_seq ON stepfn_executions(seq);
CREATE INDEX stepfn_executions_by_status ON stepfn_executions(status, seq);
CREATE INDEX stepfn_executions_leases ON stepfn_executions(lease_until_ms)
  WHERE status = 'RUNNING';
CREATE TABLE stepfn_events(
  arn TEXT NOT NULL, id BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(arn, id));
CREATE TABLE stepfn_frames(
  arn TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(arn, key));
CREATE TABLE stepfn_tasks(
  token TEXT PRIMARY KEY, execution TEXT NOT NULL, activity TEXT, input TEXT NOT NULL,
  started BOOLEAN NOT NULL, worker TEXT, heartbeat_ms BIGINT NOT NULL DEFAULT 0, answer TEXT);
CREATE INDEX stepfn_tasks_by_execution ON stepfn_tasks(execution);
CREATE TABLE stepfn_activities(
  arn TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE stepfn_documents(
  kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(kind, key));
