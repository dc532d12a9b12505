//! Durable storage of Standard executions: execution rows, history events, per-frame
//! checkpoints and pending activity / callback tasks, behind the small [`Store`] trait.
//!
//! Everything an execution writes goes through [`Store::commit`]: one [`Commit`] is applied
//! atomically (its events, checkpoints, task rows and status change all land, or none does), and
//! commits of one execution are applied in the order they were submitted. Two implementations:
//! [`MemoryStore`] (tests, throwaway runs) and, with the `sqlite` feature, [`SqliteStore`] (one file,
//! WAL, `synchronous=FULL`, one writer thread with group commit).
//!
//! With the `postgres` feature, `PgStore` keeps them in a PostgreSQL database shared by several
//! processes: each process holds the executions it runs with a lease (see [`Store::running`],
//! [`Store::lease_timeout`]) and every commit is fenced by the lease's epoch.
//!
//! [`open`] picks the store from a `--db` argument: a `postgres://` URL or a file path.

mod memory;
#[cfg(feature = "postgres")]
mod pg_commit;
#[cfg(feature = "postgres")]
mod pg_notify;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use std::sync::Arc;
use std::time::Duration;

/// The default lease timeout of a shared store (`--lease-timeout`).
pub const DEFAULT_LEASE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a `--db` argument points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A PostgreSQL URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
    /// A SQLite file.
    Sqlite(std::path::PathBuf),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL, else a file path.
    pub fn parse(url_or_path: &std::path::Path) -> Self {
        match url_or_path.to_str() {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Self::Postgres(u.to_string())
            }
            _ => Self::Sqlite(url_or_path.to_path_buf()),
        }
    }
}

/// Opens the store at `url_or_path` (see [`Location::parse`]); `lease` is a shared store's lease
/// timeout. A URL needs the `postgres` feature, a path the `sqlite` feature.
pub fn open(
    url_or_path: impl AsRef<std::path::Path>,
    lease: Duration,
) -> Result<Arc<dyn Store>, StoreError> {
    match Location::parse(url_or_path.as_ref()) {
        #[cfg(feature = "postgres")]
        Location::Postgres(url) => Ok(Arc::new(PgStore::connect(&url, lease)?)),
        #[cfg(not(feature = "postgres"))]
        Location::Postgres(_) => {
            let _ = lease;
            Err(StoreError(
                "a PostgreSQL URL needs stepfn built with the `postgres` feature".into(),
            ))
        }
        #[cfg(feature = "sqlite")]
        Location::Sqlite(path) => {
            let _ = lease;
            Ok(Arc::new(SqliteStore::open(path)?))
        }
        #[cfg(not(feature = "sqlite"))]
        Location::Sqlite(path) => Err(StoreError(format!(
            "`{}`: a database file needs stepfn built with the `sqlite` feature",
            path.display()
        ))),
    }
}

use crate::events::ExecutionStatus;
use crate::events::HistoryEvent;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

/// A failure of the store itself (I/O, corruption, a closed writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// One execution as DescribeExecution shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    /// The execution ARN (primary key).
    pub arn: String,
    /// The execution's name.
    pub name: String,
    /// The state machine's name.
    pub state_machine: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: ExecutionStatus,
    /// The input as JSON text.
    pub input: String,
    /// The output as JSON text, once SUCCEEDED.
    pub output: Option<String>,
    /// The error name, once it did not succeed.
    pub error: Option<String>,
    /// The cause, once it did not succeed.
    pub cause: Option<String>,
    /// Start time, Unix milliseconds.
    pub start_ms: i64,
    /// Stop time, Unix milliseconds, once closed.
    pub stop_ms: Option<i64>,
    /// How many times it was redriven.
    pub redrive_count: u64,
    /// When it was last redriven, Unix milliseconds.
    pub redrive_ms: Option<i64>,
}

/// The closing of an execution (or its reopening by a redrive: status RUNNING).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The new status.
    pub status: ExecutionStatus,
    /// The output as JSON text (SUCCEEDED).
    pub output: Option<String>,
    /// The error name.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
    /// Stop time, Unix milliseconds (`None` when reopened).
    pub stop_ms: Option<i64>,
    /// The new redrive count, when it changes.
    pub redrive_count: Option<u64>,
    /// The redrive time, when it changes.
    pub redrive_ms: Option<i64>,
}

/// A task waiting for a worker or a callback: an activity task or a `.waitForTaskToken` task.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTask {
    /// The task token (primary key).
    pub token: String,
    /// The execution it belongs to.
    pub execution: String,
    /// The activity ARN, for activity tasks (`None` for callback tokens).
    pub activity: Option<String>,
    /// The task input as JSON text.
    pub input: String,
    /// True once a worker took it with GetActivityTask.
    pub started: bool,
    /// The worker that took it (GetActivityTask's `workerName`).
    pub worker: Option<String>,
    /// When the heartbeat clock was last reset (scheduled, taken, or a heartbeat), Unix
    /// milliseconds.
    pub heartbeat_ms: i64,
    /// The answer once SendTaskSuccess or SendTaskFailure was accepted, as JSON text:
    /// `{"output": TEXT}` or `{"error": …, "cause": …}`.
    pub answer: Option<String>,
}

/// An atomic change of a pending task in a shared store ([`Store::update_task`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TaskUpdate {
    /// GetActivityTask: the oldest waiting task of the activity ARN, for the worker.
    Take {
        /// The activity ARN.
        activity: String,
        /// The worker's name.
        worker: Option<String>,
        /// Now, Unix milliseconds (the heartbeat clock restarts).
        now_ms: i64,
    },
    /// SendTaskSuccess / SendTaskFailure: the answer, unless the task has one.
    Answer {
        /// The task token.
        token: String,
        /// The answer as JSON text (see [`PendingTask::answer`]).
        answer: String,
    },
    /// SendTaskHeartbeat: restarts the heartbeat clock of an unanswered task.
    Heartbeat {
        /// The task token.
        token: String,
        /// Now, Unix milliseconds.
        now_ms: i64,
    },
}

/// One atomic write of one execution.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// The execution ARN.
    pub execution: String,
    /// Creates the execution row (StartExecution).
    pub create: Option<ExecutionRecord>,
    /// History events to append (ids consecutive after the stored ones).
    pub events: Vec<HistoryEvent>,
    /// Checkpoints by frame key: `Some(json)` sets, `None` deletes.
    pub frames: Vec<(String, Option<String>)>,
    /// Deletes every checkpoint of the execution first (closing, redriving).
    pub clear_frames: bool,
    /// Pending tasks to add or replace.
    pub put_tasks: Vec<PendingTask>,
    /// Pending tasks to update, only if they still exist (a late heartbeat or answer must not
    /// bring back a task that is gone).
    pub update_tasks: Vec<PendingTask>,
    /// Pending tasks to remove, by token.
    pub remove_tasks: Vec<String>,
    /// Deletes every pending task of the execution first (closing, stopping, redriving).
    pub clear_tasks: bool,
    /// A status change.
    pub status: Option<StatusChange>,
}

impl Commit {
    /// An empty commit for `execution`.
    pub fn new(execution: impl Into<String>) -> Self {
        Self {
            execution: execution.into(),
            ..Self::default()
        }
    }
}

/// Which executions ListExecutions returns.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    /// Only this state machine's.
    pub state_machine: Option<String>,
    /// Only those with this status.
    pub status: Option<ExecutionStatus>,
}

/// An activity (CreateActivity).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    /// The activity ARN.
    pub arn: String,
    /// The activity name.
    pub name: String,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
}

impl ActivityRecord {
    /// The DescribeActivity JSON (`activityArn`, `name`, `creationDate`).
    pub fn to_json(&self) -> Value {
        let t = jiff::Timestamp::from_millisecond(self.created_ms)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        serde_json::json!({
            "activityArn": self.arn,
            "name": self.name,
            "creationDate": format!("{t:.3}"),
        })
    }
}

/// A change to a shared store that another process made, announced to every process
/// (PostgreSQL `LISTEN/NOTIFY`), so that none has to poll for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Pending tasks were added, taken, answered or heartbeaten.
    Tasks,
}

/// Where Standard executions are kept.
pub trait Store: Send + Sync + 'static {
    /// Applies one commit atomically; resolves once it is durable.
    fn commit(&self, commit: Commit) -> BoxFuture<'static, Result<(), StoreError>>;
    /// One execution.
    fn execution(
        &self,
        arn: &str,
    ) -> BoxFuture<'static, Result<Option<ExecutionRecord>, StoreError>>;
    /// Executions, newest first.
    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>>;
    /// History events (GetExecutionHistory JSON) with ids after `after` (before `after` when
    /// `reverse`; `after == 0` with `reverse` means from the end), at most `limit`.
    fn events(
        &self,
        arn: &str,
        after: u64,
        limit: usize,
        reverse: bool,
    ) -> BoxFuture<'static, Result<Vec<Value>, StoreError>>;
    /// The number of stored events (the last event id).
    fn event_count(&self, arn: &str) -> BoxFuture<'static, Result<u64, StoreError>>;
    /// The checkpoints of one execution, by frame key.
    fn frames(&self, arn: &str) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>>;
    /// Executions this process should run: every RUNNING one for a store of one process; for a
    /// shared store, the RUNNING executions of `state_machines` (those this process can run)
    /// whose lease expired, claimed for this process (a new epoch fences off their previous
    /// owner). Executions of other state machines are never claimed: a process that cannot run
    /// one must not fence off the one that can.
    fn running(
        &self,
        state_machines: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        let _ = state_machines;
        self.executions(ExecutionFilter {
            state_machine: None,
            status: Some(ExecutionStatus::Running),
        })
    }
    /// A shared store's lease timeout: after it, executions of a process that stopped renewing
    /// are claimed by others ([`Store::running`]). `None` for a store of one process.
    fn lease_timeout(&self) -> Option<std::time::Duration> {
        None
    }
    /// Gives up this process's lease on a RUNNING execution it no longer runs, so that another
    /// process (or this one) can claim it at once.
    fn release(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let _ = arn;
        futures::future::ready(Ok(())).boxed()
    }
    /// A shared store's announcements of other processes' changes (`None`: a store of one
    /// process, or one that cannot announce).
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        None
    }
    /// A shared store: how long until the next lease of a RUNNING execution that this process
    /// does not hold expires (`None`: no such lease), so that a takeover can sleep until then.
    fn next_expiry(&self) -> BoxFuture<'static, Result<Option<std::time::Duration>, StoreError>> {
        futures::future::ready(Ok(None)).boxed()
    }
    /// Pending activity and callback tasks.
    fn pending_tasks(&self) -> BoxFuture<'static, Result<Vec<PendingTask>, StoreError>>;
    /// A shared store's atomic task operations, whichever process owns the execution: takes
    /// the oldest waiting task of `activity` for a worker, answers a task (`answer` as in
    /// [`PendingTask::answer`]), or resets its heartbeat clock. Each returns the updated row, or
    /// `None` when there is no such task (taken, answered, gone). Stores of one process keep
    /// these in the runtime's memory and answer with an error.
    fn update_task(
        &self,
        update: TaskUpdate,
    ) -> BoxFuture<'static, Result<Option<PendingTask>, StoreError>> {
        let _ = update;
        futures::future::ready(Err(StoreError(
            "task updates go through the runtime on a store of one process".into(),
        )))
        .boxed()
    }
    /// Creates an activity (idempotent by ARN).
    fn put_activity(&self, a: ActivityRecord) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Deletes an activity.
    fn delete_activity(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>>;
    /// All activities.
    fn activities(&self) -> BoxFuture<'static, Result<Vec<ActivityRecord>, StoreError>>;
    /// Stores (or replaces) a document of `kind` under `key`: JSON text kept for a layer above
    /// the engine (the server's state machine definitions), shared like the executions.
    fn put_document(
        &self,
        kind: &str,
        key: &str,
        body: &str,
    ) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Deletes a document; true when it existed.
    fn delete_document(
        &self,
        kind: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<bool, StoreError>>;
    /// The documents of `kind`, by key.
    fn documents(
        &self,
        kind: &str,
    ) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>>;
}

/// Waits for `change` on `rx` (other changes are skipped) for at most `at_most`; true when it
/// came (or announcements were lost, so it may have).
pub(crate) async fn wait_for_change(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    change: Change,
    at_most: std::time::Duration,
) -> bool {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(c) if c == change => return true,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    // No more announcements: wait out the time.
                    std::future::pending::<()>().await;
                }
            }
        }
    };
    tokio::time::timeout(at_most, wait).await.unwrap_or(false)
}

#[cfg(test)]
mod tests;
