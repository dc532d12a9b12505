//! The embedded database: one SQLite file in WAL mode with `synchronous=FULL` (every commit is
//! fsync'd before it is acknowledged).
//!
//! rusqlite is blocking, so one dedicated writer thread owns the write connection and is fed by a
//! channel. It applies every commit waiting in the channel in one transaction (group commit):
//! while one fsync runs, the transitions of other executions queue up and share the next one.
//! Reads use a second connection (WAL lets them run beside the writer) on tokio's blocking pool.

use super::rows::{Row, ACTIVITY_COLUMNS, EXECUTION_COLUMNS, TASK_COLUMNS};
use super::{
    ActivityRecord, Commit, ExecutionFilter, ExecutionRecord, PendingTask, Store, StoreError,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

type Ack = oneshot::Sender<Result<(), StoreError>>;

/// The most commits one transaction takes.
const GROUP_LIMIT: usize = 4096;

/// A [`Store`] in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    /// The exclusive lock on `PATH.lock`, held while the store is open.
    _guard: std::fs::File,
    writer: Mutex<mpsc::Sender<(Commit, Ack)>>,
    reader: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS executions(
  arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, status TEXT NOT NULL,
  input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, start_ms INTEGER NOT NULL,
  stop_ms INTEGER, redrive_count INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL,
  redrive_ms INTEGER);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions(status, seq);
CREATE INDEX IF NOT EXISTS executions_by_seq ON executions(seq);
CREATE TABLE IF NOT EXISTS events(
  arn TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY(arn, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS frames(
  arn TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(arn, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks(
  token TEXT PRIMARY KEY, execution TEXT NOT NULL, activity TEXT, input TEXT NOT NULL,
  started INTEGER NOT NULL, worker TEXT, heartbeat_ms INTEGER NOT NULL DEFAULT 0, answer TEXT);
CREATE INDEX IF NOT EXISTS tasks_by_execution ON tasks(execution);
CREATE TABLE IF NOT EXISTS activities(
  arn TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
  kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(kind, key))
  WITHOUT ROWID;
";

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(StoreError::new)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(StoreError::new)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(StoreError::new)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(StoreError::new)?;
    Ok(conn)
}

impl SqliteStore {
    /// The default database file: `$STEPFN_DB`, else `stepfn.db` in the platform's data folder
    /// (`$XDG_DATA_HOME/stepfn` or `~/.local/share/stepfn`), else `./stepfn.db`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("STEPFN_DB") {
            return PathBuf::from(p);
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
        match base {
            Some(b) => b.join("stepfn").join("stepfn.db"),
            None => PathBuf::from("stepfn.db"),
        }
    }

    /// Opens (creating when needed) the database at `path`. Refused while another store has it
    /// open (in this process or another): executions of one file are run by one process; share
    /// them across processes with PostgreSQL.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::new)?;
        }
        let guard = hold(&path)?;
        let conn = open_conn(&path)?;
        conn.execute_batch(SCHEMA).map_err(StoreError::new)?;
        migrate(&conn)?;
        // A thread beside the writer copies the WAL back into the database as commits come
        // (see `checkpoints`). The writer still checkpoints after a commit that leaves more than
        // WAL_FRAMES_MAX frames: by then little is left to copy, no commit runs beside it, so it
        // completes and the next transaction starts the WAL over, which bounds its size.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_FRAMES_MAX)
            .map_err(StoreError::new)?;
        let reader = open_conn(&path)?;
        let checkpointer = open_conn(&path)?;
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("stepfn-sqlite-checkpointer".into())
            .spawn(move || checkpoints(checkpointer, nudged))
            .map_err(StoreError::new)?;
        let (tx, rx) = mpsc::channel::<(Commit, Ack)>();
        std::thread::Builder::new()
            .name("stepfn-sqlite-writer".into())
            .spawn(move || writer(conn, rx, nudge))
            .map_err(StoreError::new)?;
        Ok(Self {
            path,
            _guard: guard,
            writer: Mutex::new(tx),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let reader = self.reader.clone();
        let run = move || {
            let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn).map_err(StoreError::new)
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                let task = h.spawn_blocking(run);
                async move { task.await.map_err(StoreError::new)? }.boxed()
            }
            Err(_) => futures::future::ready(run()).boxed(),
        }
    }
}

/// Takes the exclusive lock on the sidecar file `PATH.lock` (the operating system releases it
/// when the process dies, even by `kill -9`) and writes the holder into it; refused, naming the
/// holder, while another store holds it.
fn hold(path: &Path) -> Result<std::fs::File, StoreError> {
    use std::io::{Read, Seek, Write};
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| StoreError(format!("cannot open `{}`: {e}", lock_path.display())))?;
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(StoreError(format!(
                "the database `{}` is in use by another stepfn process ({}); one process runs \
                 the executions of a SQLite file: stop it first, or share executions between \
                 processes with PostgreSQL (`--db postgres://…`)",
                path.display(),
                if holder.is_empty() {
                    "holder unknown"
                } else {
                    holder
                }
            )));
        }
        Err(fs4::TryLockError::Error(e)) => {
            return Err(StoreError(format!(
                "cannot lock `{}`: {e}",
                lock_path.display()
            )))
        }
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this host".into());
    let now = jiff::Timestamp::now();
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "pid {} on {host}, since {now:.0}", std::process::id()));
    let _ = file.flush();
    Ok(file)
}

/// Adds the columns a database made by an earlier version lacks.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    for (table, col, decl) in [
        ("tasks", "worker", "TEXT"),
        ("tasks", "heartbeat_ms", "INTEGER NOT NULL DEFAULT 0"),
        ("tasks", "answer", "TEXT"),
        ("executions", "redrive_ms", "INTEGER"),
    ] {
        let mut st = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .map_err(StoreError::new)?;
        let cols: Vec<String> = st
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(StoreError::new)?;
        if !cols.iter().any(|c| c == col) {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {col} {decl}"))
                .map_err(StoreError::new)?;
        }
    }
    Ok(())
}

/// How long the checkpointer lets commits accumulate before it copies them into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// WAL frames (pages) past which the writer checkpoints itself (~16 MiB).
const WAL_FRAMES_MAX: i64 = 4000;

/// The checkpointer thread: after commits (`nudged`), copies the WAL back into the database,
/// at most once per [`CHECKPOINT_EVERY`]; a last time when the store closes. Its checkpoints
/// are `PASSIVE`: they never block the writer, which goes on appending meanwhile.
fn checkpoints(conn: Connection, nudged: mpsc::Receiver<()>) {
    let checkpoint = || {
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    };
    while nudged.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        while nudged.try_recv().is_ok() {}
        checkpoint();
    }
    checkpoint();
}

/// The writer thread: drains the channel, applies what is there in one transaction, acks, and
/// nudges the checkpointer.
fn writer(mut conn: Connection, rx: mpsc::Receiver<(Commit, Ack)>, nudge: mpsc::SyncSender<()>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < GROUP_LIMIT {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let result = apply_batch(&mut conn, &batch);
        let _ = nudge.try_send(());
        match result {
            Ok(()) => {
                for (_, ack) in batch {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(_) => {
                // One bad commit must not take the others down: apply them one by one.
                for (c, ack) in batch {
                    let mut one = vec![(c, ack)];
                    let r = apply_batch(&mut conn, &one);
                    if let Some((_, ack)) = one.pop() {
                        let _ = ack.send(r);
                    }
                }
            }
        }
    }
}

fn apply_batch(conn: &mut Connection, batch: &[(Commit, Ack)]) -> Result<(), StoreError> {
    // IMMEDIATE: the write lock is taken at BEGIN (waiting on the busy timeout), never by
    // upgrading a read, which fails at once when another connection checkpoints.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::new)?;
    for (c, _) in batch.iter() {
        apply(&tx, c).map_err(StoreError::new)?;
    }
    tx.commit().map_err(StoreError::new)
}

fn apply(tx: &rusqlite::Transaction<'_>, c: &Commit) -> rusqlite::Result<()> {
    if let Some(r) = &c.create {
        let seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM executions",
            [],
            |r| r.get(0),
        )?;
        tx.prepare_cached(
            "INSERT INTO executions(arn, name, state_machine, status, input, output, error, cause,
             start_ms, stop_ms, redrive_count, seq) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
        )?
        .execute(params![
            r.arn,
            r.name,
            r.state_machine,
            r.status.as_str(),
            r.input,
            r.output,
            r.error,
            r.cause,
            r.start_ms,
            r.stop_ms,
            r.redrive_count as i64,
            seq
        ])?;
    }
    if !c.events.is_empty() {
        let mut st = tx.prepare_cached("INSERT INTO events(arn, id, body) VALUES (?1, ?2, ?3)")?;
        for e in &c.events {
            st.execute(params![c.execution, e.id as i64, e.to_text()])?;
        }
    }
    if c.clear_frames {
        tx.prepare_cached("DELETE FROM frames WHERE arn = ?1")?
            .execute(params![c.execution])?;
    }
    if !c.frames.is_empty() {
        let mut put = tx.prepare_cached(
            "INSERT INTO frames(arn, key, body) VALUES (?1, ?2, ?3)
             ON CONFLICT(arn, key) DO UPDATE SET body = excluded.body",
        )?;
        let mut del = tx.prepare_cached("DELETE FROM frames WHERE arn = ?1 AND key = ?2")?;
        for (k, v) in &c.frames {
            match v {
                Some(v) => put.execute(params![c.execution, k, v])?,
                None => del.execute(params![c.execution, k])?,
            };
        }
    }
    if c.clear_tasks {
        tx.prepare_cached("DELETE FROM tasks WHERE execution = ?1")?
            .execute(params![c.execution])?;
    }
    for t in &c.remove_tasks {
        tx.prepare_cached("DELETE FROM tasks WHERE token = ?1")?
            .execute(params![t])?;
    }
    for t in &c.put_tasks {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO tasks(token, execution, activity, input, started, worker,
             heartbeat_ms, answer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            t.token,
            t.execution,
            t.activity,
            t.input,
            t.started,
            t.worker,
            t.heartbeat_ms,
            t.answer
        ])?;
    }
    for t in &c.update_tasks {
        tx.prepare_cached(
            "UPDATE tasks SET started = ?2, worker = ?3, heartbeat_ms = ?4, answer = ?5
             WHERE token = ?1",
        )?
        .execute(params![
            t.token,
            t.started,
            t.worker,
            t.heartbeat_ms,
            t.answer
        ])?;
    }
    if let Some(s) = &c.status {
        tx.prepare_cached(
            "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_ms = ?6,
             redrive_count = COALESCE(?7, redrive_count), redrive_ms = COALESCE(?8, redrive_ms)
             WHERE arn = ?1",
        )?
        .execute(params![
            c.execution,
            s.status.as_str(),
            s.output,
            s.error,
            s.cause,
            s.stop_ms,
            s.redrive_count.map(|n| n as i64),
            s.redrive_ms
        ])?;
    }
    Ok(())
}

impl Row for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        self.get(i)
    }
}

impl Store for SqliteStore {
    fn commit(&self, commit: Commit) -> BoxFuture<'static, Result<(), StoreError>> {
        let (ack, done) = oneshot::channel();
        let sent = self
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((commit, ack));
        async move {
            sent.map_err(|_| StoreError("the writer thread has stopped".into()))?;
            done.await
                .map_err(|_| StoreError("the writer thread has stopped".into()))?
        }
        .boxed()
    }

    fn execution(
        &self,
        arn: &str,
    ) -> BoxFuture<'static, Result<Option<ExecutionRecord>, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"
            ))?
            .query_row(params![arn], |r| ExecutionRecord::from_row(r))
            .optional()
        })
    }

    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE (?1 IS NULL OR status = ?1)
                 AND (?2 IS NULL OR state_machine = ?2) ORDER BY seq DESC"
            ))?;
            let rows = st.query_map(
                params![filter.status.map(|s| s.as_str()), filter.state_machine],
                |r| ExecutionRecord::from_row(r),
            )?;
            rows.collect()
        })
    }

    fn events(
        &self,
        arn: &str,
        after: u64,
        limit: usize,
        reverse: bool,
    ) -> BoxFuture<'static, Result<Vec<Value>, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            let sql = if reverse {
                "SELECT body FROM events WHERE arn = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"
            } else {
                "SELECT body FROM events WHERE arn = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            };
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map(params![arn, after as i64, limit as i64], |r| {
                r.get::<_, String>(0)
            })?;
            let mut out = Vec::new();
            for body in rows {
                out.push(crate::quotas::read_json(&body?).unwrap_or(Value::Null));
            }
            Ok(out)
        })
    }

    fn event_count(&self, arn: &str) -> BoxFuture<'static, Result<u64, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            c.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM events WHERE arn = ?1")?
                .query_row(params![arn], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }

    fn frames(&self, arn: &str) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT key, body FROM frames WHERE arn = ?1")?;
            let rows = st.query_map(params![arn], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    fn pending_tasks(&self) -> BoxFuture<'static, Result<Vec<PendingTask>, StoreError>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks"))?;
            let rows = st.query_map([], |r| PendingTask::from_row(r))?;
            rows.collect()
        })
    }

    fn put_activity(&self, a: ActivityRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        self.read(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO activities(arn, name, created_ms) VALUES (?1, ?2, ?3)",
                params![a.arn, a.name, a.created_ms],
            )
            .map(|_| ())
        })
    }

    fn delete_activity(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            c.execute("DELETE FROM activities WHERE arn = ?1", params![arn])
                .map(|_| ())
        })
    }

    fn activities(&self) -> BoxFuture<'static, Result<Vec<ActivityRecord>, StoreError>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {ACTIVITY_COLUMNS} FROM activities ORDER BY name"
            ))?;
            let rows = st.query_map([], |r| ActivityRecord::from_row(r))?;
            rows.collect()
        })
    }

    fn put_document(
        &self,
        kind: &str,
        key: &str,
        body: &str,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let (kind, key, body) = (kind.to_string(), key.to_string(), body.to_string());
        self.read(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO documents(kind, key, body) VALUES (?1, ?2, ?3)",
                params![kind, key, body],
            )
            .map(|_| ())
        })
    }

    fn delete_document(
        &self,
        kind: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<bool, StoreError>> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.read(move |c| {
            c.execute(
                "DELETE FROM documents WHERE kind = ?1 AND key = ?2",
                params![kind, key],
            )
            .map(|n| n > 0)
        })
    }

    fn documents(
        &self,
        kind: &str,
    ) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        let kind = kind.to_string();
        self.read(move |c| {
            let mut st =
                c.prepare_cached("SELECT key, body FROM documents WHERE kind = ?1 ORDER BY key")?;
            let rows = st.query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}
