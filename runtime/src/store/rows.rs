//! The one mapping of database rows to records, for SQLite's and PostgreSQL's rows alike: each
//! store selects the columns below, in their order, and reads its rows through [`Row`].

use super::{ActivityRecord, ExecutionRecord, PendingTask};
use crate::events::ExecutionStatus;

/// The columns [`ExecutionRecord::from_row`] reads, in order.
pub(super) const EXECUTION_COLUMNS: &str = "arn, name, state_machine, status, input, output, \
    error, cause, start_ms, stop_ms, redrive_count, redrive_ms";

/// The columns [`PendingTask::from_row`] reads, in order.
pub(super) const TASK_COLUMNS: &str =
    "token, execution, activity, input, started, worker, heartbeat_ms, answer";

/// The columns [`ActivityRecord::from_row`] reads, in order.
pub(super) const ACTIVITY_COLUMNS: &str = "arn, name, created_ms";

/// A database row, read by column index.
pub(super) trait Row {
    /// The driver's error (a missing column, a value of another type).
    type Error;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
}

impl ExecutionRecord {
    /// The record of a row of [`EXECUTION_COLUMNS`] (further columns are ignored).
    pub(super) fn from_row<R: Row>(r: &R) -> Result<Self, R::Error> {
        Ok(Self {
            arn: r.text(0)?,
            name: r.text(1)?,
            state_machine: r.text(2)?,
            status: ExecutionStatus::parse(&r.text(3)?).unwrap_or(ExecutionStatus::Failed),
            input: r.text(4)?,
            output: r.opt_text(5)?,
            error: r.opt_text(6)?,
            cause: r.opt_text(7)?,
            start_ms: r.int(8)?,
            stop_ms: r.opt_int(9)?,
            redrive_count: r.int(10)?.max(0) as u64,
            redrive_ms: r.opt_int(11)?,
        })
    }
}

impl PendingTask {
    /// The task of a row of [`TASK_COLUMNS`].
    pub(super) fn from_row<R: Row>(r: &R) -> Result<Self, R::Error> {
        Ok(Self {
            token: r.text(0)?,
            execution: r.text(1)?,
            activity: r.opt_text(2)?,
            input: r.text(3)?,
            started: r.flag(4)?,
            worker: r.opt_text(5)?,
            heartbeat_ms: r.int(6)?,
            answer: r.opt_text(7)?,
        })
    }
}

impl ActivityRecord {
    /// The activity of a row of [`ACTIVITY_COLUMNS`].
    pub(super) fn from_row<R: Row>(r: &R) -> Result<Self, R::Error> {
        Ok(Self {
            arn: r.text(0)?,
            name: r.text(1)?,
            created_ms: r.int(2)?,
        })
    }
}
