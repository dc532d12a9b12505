//! Durable storage of Standard executions: execution rows, history events, per-frame
//! checkpoints and pending activity / callback tasks, behind the small [`Store`] trait.
//!
//! Everything an execution writes goes through [`Store::commit`]: one [`Commit`] is applied
//! atomically (its events, checkpoints, task rows and status change all land, or none does), and
//! commits of one execution are applied in the order they were submitted. Two implementations:
//! [`MemoryStore`] (tests, throwaway runs) and, with the `sqlite` feature, [`SqliteStore`] (one file,
//! WAL, `synchronous=FULL`, one writer thread with group commit).
//!
//! The trait is asynchronous and speaks in plain rows so that a shared network database can
//! implement it later for several processes (claiming executions would then need a lease column;
//! see the note on [`Store::running`]).

mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use crate::events::ExecutionStatus;
use crate::events::HistoryEvent;
use futures::future::BoxFuture;
use serde_json::Value;

/// A failure of the store itself (I/O, corruption, a closed writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl StoreError {
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
    /// Executions still RUNNING: what a process opening the store resumes. (A shared database
    /// would return only executions whose lease has expired, and take the lease.)
    fn running(&self) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        self.executions(ExecutionFilter {
            state_machine: None,
            status: Some(ExecutionStatus::Running),
        })
    }
    /// Pending activity and callback tasks.
    fn pending_tasks(&self) -> BoxFuture<'static, Result<Vec<PendingTask>, StoreError>>;
    /// Creates an activity (idempotent by ARN).
    fn put_activity(&self, a: ActivityRecord) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Deletes an activity.
    fn delete_activity(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>>;
    /// All activities.
    fn activities(&self) -> BoxFuture<'static, Result<Vec<ActivityRecord>, StoreError>>;
}

#[cfg(test)]
mod tests;
