//! The shared database: PostgreSQL, for several processes running one set of executions.
//!
//! tokio-postgres (the maintained async client of rust-postgres) with a deadpool pool: plain SQL,
//! pipelined statements, no compile-time database needed (sqlx's checked queries would need one
//! at build time, or an offline cache kept in the repository).
//!
//! **Schema.** Created and migrated on first use: `stepfn_schema_version` records the applied
//! versions of the forward-only migrations in `runtime/migrations/postgres/`, applied in one
//! transaction under an advisory lock (processes starting together apply them once).
//!
//! **Commits.** One writer task drains the queue and applies what is waiting in one transaction
//! (group commit) with few round trips (see `pg_commit`); a batch that fails is applied again
//! commit by commit, so one bad commit fails alone.
//!
//! **Leases and fencing.** Each store instance is an owner (a fresh id naming the host and pid).
//! Creating an execution, redriving it, or claiming it with [`Store::running`] gives it to this
//! owner with a new epoch and an expiry (`lease_until_ms`, database time + the lease timeout); a
//! background task renews the expiry of the executions this instance holds every third of the
//! timeout. `running` claims only RUNNING executions whose lease expired (`FOR UPDATE SKIP
//! LOCKED`: two processes never claim the same one). Every commit of an execution this instance
//! holds first locks its row and checks owner, epoch and RUNNING status (`FOR SHARE`, which a
//! concurrent claim waits for): a process that lost its lease — paused past the timeout, cut off
//! from the database — cannot append a single event. Commits of executions it does not hold (an
//! activity taken, a task answered, a stop from another process) are not fenced; event ids are a
//! primary key, so no event is ever stored twice.

use super::pg_commit::apply_batch;
use super::pg_notify::{self, TASKS};
use super::rows::{Row, ACTIVITY_COLUMNS, EXECUTION_COLUMNS, TASK_COLUMNS};
use super::{
    ActivityRecord, Change, Commit, ExecutionFilter, ExecutionRecord, PendingTask, Store,
    StoreError, TaskUpdate,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, OnceCell};

type Ack = oneshot::Sender<Result<(), StoreError>>;

/// The most commits one transaction takes.
const GROUP_LIMIT: usize = 1024;

/// The forward-only migrations, in order; version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_init.sql")];

/// The database's clock in Unix milliseconds (leases are compared against one clock).
pub(super) const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// A [`Store`] in a PostgreSQL database, shared by several processes.
pub struct PgStore {
    inner: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) pool: Pool,
    /// This instance's lease owner id.
    pub(super) owner: String,
    pub(super) lease: Duration,
    /// Executions this instance holds or held, with the epoch it took them at: its commits of
    /// them are fenced. Leases are renewed for those it still runs (`true`), not for those it
    /// released.
    pub(super) held: Mutex<HashMap<String, (i64, bool)>>,
    ready: OnceCell<mpsc::UnboundedSender<(Commit, Ack)>>,
    /// What the listener hears other processes announce (see [`pg_notify`]).
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Dropped with the store: the listener stops.
    closed: tokio::sync::watch::Sender<()>,
    /// The database, for the listener's own connection.
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("owner", &self.inner.owner)
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.inner.pool.close();
    }
}

pub(super) fn pg_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("postgres: {e}"))
}

/// A unique owner id: host, pid and a random suffix.
fn owner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &id[..8])
}

impl PgStore {
    /// The store at `url` (`postgres://user:password@host:port/database`) with `lease` as the
    /// lease timeout. Connects on first use (when the schema is created or migrated).
    pub fn connect(url: &str, lease: Duration) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError(format!("invalid PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(8).build().map_err(pg_err)?;
        Ok(Self {
            inner: Arc::new(Shared {
                pool,
                owner: owner_id(),
                lease: lease.max(Duration::from_millis(100)),
                held: Mutex::new(HashMap::new()),
                ready: OnceCell::new(),
                changes: tokio::sync::broadcast::channel(64).0,
                closed: tokio::sync::watch::channel(()).0,
                config,
            }),
        })
    }

    /// This instance's lease owner id (`host:pid:random`).
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl for<'c> FnOnce(
                &'c deadpool_postgres::Client,
            ) -> BoxFuture<'c, Result<T, tokio_postgres::Error>>
            + Send
            + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let shared = self.inner.clone();
        async move {
            PgStore::writer_of(&shared).await?;
            let client = shared.pool.get().await.map_err(pg_err)?;
            f(&client).await.map_err(pg_err)
        }
        .boxed()
    }
}

impl PgStore {
    /// Connects, migrates, and starts the writer and the lease renewal (once).
    async fn writer_of(
        shared: &Arc<Shared>,
    ) -> Result<mpsc::UnboundedSender<(Commit, Ack)>, StoreError> {
        let s = shared.clone();
        shared
            .ready
            .get_or_try_init(|| async move {
                migrate(&s.pool).await?;
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(writer(Arc::downgrade(&s), rx));
                tokio::spawn(renew(Arc::downgrade(&s)));
                tokio::spawn(pg_notify::listen(
                    s.config.clone(),
                    s.changes.clone(),
                    s.closed.subscribe(),
                ));
                Ok(tx)
            })
            .await
            .cloned()
    }
}

/// Applies the migrations the database lacks, in one transaction under an advisory lock.
async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(|e| {
        StoreError(format!(
            "cannot connect to PostgreSQL: {e} (is the server running and the URL right?)"
        ))
    })?;
    let tx = client.transaction().await.map_err(pg_err)?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7242010716);
         CREATE TABLE IF NOT EXISTS stepfn_schema_version(
           version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(pg_err)?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM stepfn_schema_version",
            &[],
        )
        .await
        .map_err(pg_err)?;
    let have: i32 = row.get(0);
    if have as usize > MIGRATIONS.len() {
        return Err(StoreError(format!(
            "the database's schema is version {have}, newer than this stepfn ({}): upgrade stepfn",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        let version = i as i32 + 1;
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError(format!("postgres: migration {version}: {e}")))?;
        tx.execute(
            "INSERT INTO stepfn_schema_version(version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(pg_err)?;
    }
    tx.commit().await.map_err(pg_err)
}

/// Renews the leases this instance holds, every third of the lease timeout, until the store is
/// dropped.
async fn renew(shared: std::sync::Weak<Shared>) {
    let every = match shared.upgrade() {
        Some(s) => s.lease / 3,
        None => return,
    };
    loop {
        tokio::time::sleep(every).await;
        let Some(s) = shared.upgrade() else { return };
        let arns: Vec<String> = lock(&s.held)
            .iter()
            .filter(|(_, (_, renew))| *renew)
            .map(|(arn, _)| arn.clone())
            .collect();
        if arns.is_empty() {
            continue;
        }
        let lease = s.lease.as_millis() as i64;
        if let Ok(client) = s.pool.get().await {
            // Leases lost meanwhile stay lost: the owner no longer matches.
            let _ = client
                .execute(
                    &format!(
                        "UPDATE stepfn_executions SET lease_until_ms = {NOW_MS} + $1
                         WHERE owner = $2 AND status = 'RUNNING' AND arn = ANY($3)"
                    ),
                    &[&lease, &s.owner, &arns],
                )
                .await;
        }
    }
}

/// The writer task: drains the queue, applies what is there in one transaction, acks.
async fn writer(shared: std::sync::Weak<Shared>, mut rx: mpsc::UnboundedReceiver<(Commit, Ack)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP_LIMIT {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let Some(s) = shared.upgrade() else {
            for (_, ack) in batch {
                let _ = ack.send(Err(StoreError("the store is closed".into())));
            }
            return;
        };
        let commits: Vec<&Commit> = batch.iter().map(|(c, _)| c).collect();
        match apply_batch(&s, &commits).await {
            Ok(()) => {
                for (_, ack) in batch {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some((_, ack)) = batch.pop() {
                    let _ = ack.send(Err(e));
                }
            }
            Err(_) => {
                // One bad commit must not take the others down: apply them one by one.
                for (c, ack) in batch {
                    let _ = ack.send(apply_batch(&s, &[&c]).await);
                }
            }
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Row for tokio_postgres::Row {
    type Error = tokio_postgres::Error;
    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.try_get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        self.try_get(i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.try_get(i)
    }
    fn flag(&self, i: usize) -> Result<bool, Self::Error> {
        self.try_get(i)
    }
}

impl Store for PgStore {
    fn commit(&self, commit: Commit) -> BoxFuture<'static, Result<(), StoreError>> {
        let shared = self.inner.clone();
        async move {
            let tx = PgStore::writer_of(&shared).await?;
            let (ack, done) = oneshot::channel();
            tx.send((commit, ack))
                .map_err(|_| StoreError("the writer task has stopped".into()))?;
            done.await
                .map_err(|_| StoreError("the writer task has stopped".into()))?
        }
        .boxed()
    }

    fn execution(
        &self,
        arn: &str,
    ) -> BoxFuture<'static, Result<Option<ExecutionRecord>, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            async move {
                let st = c
                    .prepare_cached(&format!(
                        "SELECT {EXECUTION_COLUMNS} FROM stepfn_executions WHERE arn = $1"
                    ))
                    .await?;
                c.query_opt(&st, &[&arn])
                    .await?
                    .as_ref()
                    .map(ExecutionRecord::from_row)
                    .transpose()
            }
            .boxed()
        })
    }

    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        self.read(move |c| {
            async move {
                let st = c
                    .prepare_cached(&format!(
                        "SELECT {EXECUTION_COLUMNS} FROM stepfn_executions
                         WHERE ($1::text IS NULL OR status = $1)
                         AND ($2::text IS NULL OR state_machine = $2) ORDER BY seq DESC"
                    ))
                    .await?;
                let status = filter.status.map(|s| s.as_str());
                let rows = c.query(&st, &[&status, &filter.state_machine]).await?;
                rows.iter().map(ExecutionRecord::from_row).collect()
            }
            .boxed()
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
            async move {
                let sql = if reverse {
                    "SELECT body FROM stepfn_events WHERE arn = $1 AND ($2::bigint = 0 OR id < $2)
                     ORDER BY id DESC LIMIT $3"
                } else {
                    "SELECT body FROM stepfn_events WHERE arn = $1 AND id > $2 ORDER BY id LIMIT $3"
                };
                let st = c.prepare_cached(sql).await?;
                let rows = c
                    .query(&st, &[&arn, &(after as i64), &(limit as i64)])
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| serde_json::from_str(r.get::<_, &str>(0)).unwrap_or(Value::Null))
                    .collect())
            }
            .boxed()
        })
    }

    fn event_count(&self, arn: &str) -> BoxFuture<'static, Result<u64, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            async move {
                let st = c
                    .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM stepfn_events WHERE arn = $1")
                    .await?;
                Ok(c.query_one(&st, &[&arn]).await?.get::<_, i64>(0) as u64)
            }
            .boxed()
        })
    }

    fn frames(&self, arn: &str) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            async move {
                let st = c
                    .prepare_cached(
                        "SELECT key, body FROM stepfn_frames WHERE arn = $1 ORDER BY key",
                    )
                    .await?;
                let rows = c.query(&st, &[&arn]).await?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            }
            .boxed()
        })
    }

    /// Claims the RUNNING executions whose lease expired (at most 500 at a time) for this
    /// instance, with a new epoch, and returns them; never one this instance still runs.
    fn running(
        &self,
        state_machines: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        let shared = self.inner.clone();
        self.read(move |c| {
            async move {
                let lease = shared.lease.as_millis() as i64;
                let st = c
                    .prepare_cached(&format!(
                        "UPDATE stepfn_executions e SET owner = $1, epoch = e.epoch + 1,
                         lease_until_ms = {NOW_MS} + $2
                         FROM (SELECT arn FROM stepfn_executions
                               WHERE status = 'RUNNING' AND lease_until_ms < {NOW_MS}
                               AND NOT (arn = ANY($3)) AND state_machine = ANY($4)
                               ORDER BY lease_until_ms LIMIT 500 FOR UPDATE SKIP LOCKED) due
                         WHERE e.arn = due.arn
                         RETURNING e.arn, e.name, e.state_machine, e.status, e.input, e.output,
                         e.error, e.cause, e.start_ms, e.stop_ms, e.redrive_count, e.redrive_ms,
                         e.epoch, e.seq"
                    ))
                    .await?;
                // Not those this instance still runs: its runner there may be behind the
                // commits of a process that held the lease meanwhile; fenced, it ends and
                // releases the execution, which may then be claimed afresh.
                let running: Vec<String> = lock(&shared.held)
                    .iter()
                    .filter(|(_, (_, renew))| *renew)
                    .map(|(arn, _)| arn.clone())
                    .collect();
                let mut rows = c
                    .query(&st, &[&shared.owner, &lease, &running, &state_machines])
                    .await?;
                rows.sort_by_key(|r| std::cmp::Reverse(r.get::<_, i64>(13)));
                let mut held = lock(&shared.held);
                rows.iter()
                    .map(|r| {
                        held.insert(r.try_get(0)?, (r.try_get(12)?, true));
                        ExecutionRecord::from_row(r)
                    })
                    .collect()
            }
            .boxed()
        })
    }

    fn lease_timeout(&self) -> Option<Duration> {
        Some(self.inner.lease)
    }

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        Some(self.inner.changes.subscribe())
    }

    fn next_expiry(&self) -> BoxFuture<'static, Result<Option<Duration>, StoreError>> {
        let owner = self.inner.owner.clone();
        self.read(move |c| {
            async move {
                let st = c
                    .prepare_cached(&format!(
                        "SELECT MIN(lease_until_ms) - {NOW_MS} FROM stepfn_executions
                         WHERE status = 'RUNNING' AND owner IS DISTINCT FROM $1"
                    ))
                    .await?;
                let left: Option<i64> = c.query_one(&st, &[&owner]).await?.get(0);
                Ok(left.map(|ms| Duration::from_millis(ms.max(0) as u64)))
            }
            .boxed()
        })
    }

    fn release(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let arn = arn.to_string();
        let shared = self.inner.clone();
        self.read(move |c| {
            async move {
                let Some(epoch) = lock(&shared.held).get_mut(&arn).map(|(epoch, renew)| {
                    *renew = false;
                    *epoch
                }) else {
                    return Ok(());
                };
                c.execute(
                    "UPDATE stepfn_executions SET lease_until_ms = 0
                     WHERE arn = $1 AND owner = $2 AND epoch = $3",
                    &[&arn, &shared.owner, &epoch],
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
    }

    fn pending_tasks(&self) -> BoxFuture<'static, Result<Vec<PendingTask>, StoreError>> {
        self.read(|c| {
            async move {
                let sql = format!("SELECT {TASK_COLUMNS} FROM stepfn_tasks ORDER BY token");
                let rows = c.query(&sql, &[]).await?;
                rows.iter().map(PendingTask::from_row).collect()
            }
            .boxed()
        })
    }

    fn update_task(
        &self,
        update: TaskUpdate,
    ) -> BoxFuture<'static, Result<Option<PendingTask>, StoreError>> {
        self.read(move |c| {
            async move {
                let row = match &update {
                    TaskUpdate::Take {
                        activity,
                        worker,
                        now_ms,
                    } => {
                        let sql = format!(
                            "UPDATE stepfn_tasks SET started = TRUE, worker = $2, heartbeat_ms = $3
                             WHERE token = (SELECT token FROM stepfn_tasks
                               WHERE activity = $1 AND NOT started AND answer IS NULL
                               ORDER BY heartbeat_ms, token LIMIT 1 FOR UPDATE SKIP LOCKED)
                             RETURNING {TASK_COLUMNS}"
                        );
                        c.query_opt(&sql, &[activity, worker, now_ms]).await?
                    }
                    TaskUpdate::Answer { token, answer } => {
                        let sql = format!(
                            "UPDATE stepfn_tasks SET answer = $2
                             WHERE token = $1 AND answer IS NULL RETURNING {TASK_COLUMNS}"
                        );
                        c.query_opt(&sql, &[token, answer]).await?
                    }
                    TaskUpdate::Heartbeat { token, now_ms } => {
                        let sql = format!(
                            "UPDATE stepfn_tasks SET heartbeat_ms = GREATEST(heartbeat_ms, $2)
                             WHERE token = $1 AND answer IS NULL RETURNING {TASK_COLUMNS}"
                        );
                        c.query_opt(&sql, &[token, now_ms]).await?
                    }
                };
                if row.is_some() {
                    c.execute(&format!("NOTIFY {TASKS}"), &[]).await?;
                }
                row.as_ref().map(PendingTask::from_row).transpose()
            }
            .boxed()
        })
    }

    fn put_activity(&self, a: ActivityRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        self.read(move |c| {
            async move {
                c.execute(
                    "INSERT INTO stepfn_activities(arn, name, created_ms) VALUES ($1, $2, $3)
                     ON CONFLICT(arn) DO NOTHING",
                    &[&a.arn, &a.name, &a.created_ms],
                )
                .await
                .map(|_| ())
            }
            .boxed()
        })
    }

    fn delete_activity(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let arn = arn.to_string();
        self.read(move |c| {
            async move {
                c.execute("DELETE FROM stepfn_activities WHERE arn = $1", &[&arn])
                    .await
                    .map(|_| ())
            }
            .boxed()
        })
    }

    fn activities(&self) -> BoxFuture<'static, Result<Vec<ActivityRecord>, StoreError>> {
        self.read(|c| {
            async move {
                let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM stepfn_activities ORDER BY name");
                let rows = c.query(&sql, &[]).await?;
                rows.iter().map(ActivityRecord::from_row).collect()
            }
            .boxed()
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
            async move {
                c.execute(
                    "INSERT INTO stepfn_documents(kind, key, body) VALUES ($1, $2, $3)
                     ON CONFLICT(kind, key) DO UPDATE SET body = excluded.body",
                    &[&kind, &key, &body],
                )
                .await
                .map(|_| ())
            }
            .boxed()
        })
    }

    fn delete_document(
        &self,
        kind: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<bool, StoreError>> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.read(move |c| {
            async move {
                c.execute(
                    "DELETE FROM stepfn_documents WHERE kind = $1 AND key = $2",
                    &[&kind, &key],
                )
                .await
                .map(|n| n > 0)
            }
            .boxed()
        })
    }

    fn documents(
        &self,
        kind: &str,
    ) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        let kind = kind.to_string();
        self.read(move |c| {
            async move {
                let rows = c
                    .query(
                        "SELECT key, body FROM stepfn_documents WHERE kind = $1 ORDER BY key",
                        &[&kind],
                    )
                    .await?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            }
            .boxed()
        })
    }
}
