//! A runtime on a store shared by several processes (PostgreSQL): taking over executions whose
//! lease expired, and activity tasks and task tokens of executions any process owns.
//!
//! A task is taken, answered and heartbeaten atomically in the store
//! ([`Store::update_task`](crate::store::Store::update_task)); the process that owns the
//! execution reads the rows of the tasks its frames wait on when the store announces a change
//! to tasks ([`Store::changes`](crate::store::Store::changes): PostgreSQL `NOTIFY`), and wakes
//! them. Executions whose lease expired are claimed when the earliest lease expires
//! ([`Store::next_expiry`](crate::store::Store::next_expiry)). Timers (Wait,
//! retry backoff, task and heartbeat timeouts) are deadlines in the execution's checkpoints,
//! armed as tokio timers by the process that runs it, and again by the one taking it over.
//! Without announcements (a store that cannot make them) these fall back to polling every
//! [`TASK_SYNC`] and every half lease.

use super::{ActivityTask, Inner, Runtime, RuntimeError};
use crate::store::{wait_for_change, Change, TaskUpdate};
use std::collections::HashSet;
use std::time::Duration;

/// Without announcements: how often a runtime on a shared store reads back the tasks its
/// executions wait on (taken, answered or heartbeaten through another process), and the
/// longest pause of a long poll.
pub(super) const TASK_SYNC: Duration = Duration::from_millis(200);

/// With announcements: the longest wait for one (in case one was lost with the connection).
const ANNOUNCED_AT_MOST: Duration = Duration::from_secs(5);

/// Merges the store's rows of the tasks this runtime's executions wait on whenever tasks change
/// (or every `every` without announcements); stops with the runtime.
pub(super) async fn follow_tasks(inner: std::sync::Weak<Inner>, every: Duration) {
    let mut changes = match inner.upgrade() {
        Some(i) => i.store.changes(),
        None => return,
    };
    loop {
        match &mut changes {
            Some(rx) => {
                wait_for_change(rx, Change::Tasks, ANNOUNCED_AT_MOST).await;
            }
            None => tokio::time::sleep(every).await,
        }
        let Some(inner) = inner.upgrade() else { return };
        let local: HashSet<String> = inner.broker.tokens().into_iter().collect();
        if local.is_empty() {
            continue;
        }
        if let Ok(rows) = inner.store.pending_tasks().await {
            for row in rows.iter().filter(|r| local.contains(&r.token)) {
                inner.broker.merge(row);
            }
        }
    }
}

/// Continues the executions of the shared store whose lease expired: when the earliest lease
/// of another process expires (at least every `every`); stops with the runtime.
pub(super) async fn takeover(inner: std::sync::Weak<Inner>, every: Duration) {
    loop {
        let next = match inner.upgrade() {
            None => return,
            // Just past the expiry: the database's clock decides.
            Some(i) => match i.store.next_expiry().await {
                Ok(Some(left)) => (left + Duration::from_millis(5)).min(every),
                Ok(None) | Err(_) => every,
            },
        };
        tokio::time::sleep(next).await;
        let Some(inner) = inner.upgrade() else { return };
        // Errors (the database unreachable) are retried at the next tick.
        let _ = Runtime { inner }.resume().await;
    }
}

impl Runtime {
    /// True on a store shared by several processes.
    pub(super) fn shared(&self) -> bool {
        self.inner.store.lease_timeout().is_some()
    }

    /// GetActivityTask on a shared store: any process's task, taken atomically in the store;
    /// polled with a growing pause (up to [`TASK_SYNC`]) until `deadline`.
    pub(super) async fn take_shared(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        deadline: tokio::time::Instant,
    ) -> Result<Option<ActivityTask>, RuntimeError> {
        let broker = &self.inner.broker;
        let mut pause = Duration::from_millis(20);
        let mut changes = self.inner.store.changes();
        loop {
            let take = TaskUpdate::Take {
                activity: activity_arn.to_string(),
                worker: worker_name.map(str::to_string),
                now_ms: broker.now_ms(),
            };
            if let Some(row) = self.inner.store.update_task(take).await? {
                broker.merge(&row);
                return Ok(Some(ActivityTask {
                    task_token: row.token,
                    input: row.input,
                }));
            }
            let now = tokio::time::Instant::now();
            match &mut changes {
                // Woken by the next change to tasks (a task added anywhere).
                Some(rx) if now < deadline => {
                    wait_for_change(rx, Change::Tasks, (deadline - now).min(ANNOUNCED_AT_MOST))
                        .await;
                }
                Some(_) => return Ok(None),
                None if now + pause > deadline => return Ok(None),
                None => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(TASK_SYNC);
                }
            }
        }
    }

    /// An answer or a heartbeat on a shared store (the token checked by the caller).
    pub(super) async fn update_shared(
        &self,
        token: &str,
        update: TaskUpdate,
    ) -> Result<(), RuntimeError> {
        let Some(row) = self.inner.store.update_task(update).await? else {
            return Err(self.token_error(token).await);
        };
        self.inner.broker.merge(&row);
        Ok(())
    }

    /// Before an execution is taken over: its pending tasks as the store has them now (taken
    /// or answered through another process).
    pub(super) async fn load_tasks(&self, arn: &str) -> Result<(), RuntimeError> {
        let broker = &self.inner.broker;
        broker.ensure_loaded().await?;
        for row in self.inner.store.pending_tasks().await? {
            if row.execution == arn {
                broker.insert(row.clone());
                broker.merge(&row);
            }
        }
        Ok(())
    }
}
