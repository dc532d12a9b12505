//! Activities (CreateActivity, GetActivityTask, …) and task tokens (SendTaskSuccess,
//! SendTaskFailure, SendTaskHeartbeat); see [`crate::engine::callbacks`].

use super::{activity_arn, check_name, ActivityTask, Runtime, RuntimeError, ACCOUNT, REGION};
use crate::engine::callbacks::{self, Answer};
use crate::error::StatesError;
use crate::store::{ActivityRecord, Commit, TaskUpdate};
use serde_json::Value;

/// GetActivityTask's long poll.
const POLL: std::time::Duration = std::time::Duration::from_secs(60);

impl Runtime {
    /// CreateActivity: creates the activity `name` (idempotent: an existing one is returned as
    /// it is).
    pub async fn create_activity(&self, name: &str) -> Result<ActivityRecord, RuntimeError> {
        check_name(name)?;
        let arn = activity_arn(name);
        let rec = ActivityRecord {
            arn: arn.clone(),
            name: name.to_string(),
            created_ms: self.inner.broker.now_ms(),
        };
        self.inner.store.put_activity(rec).await?;
        self.describe_activity(&arn).await
    }

    fn check_activity_arn(arn: &str) -> Result<(), RuntimeError> {
        let prefix = crate::arn::activity(REGION, ACCOUNT, "");
        match arn.strip_prefix(&prefix) {
            Some(name) if check_name(name).is_ok() => Ok(()),
            _ => Err(RuntimeError::InvalidArn(format!(
                "Invalid Arn: 'Resource type not valid in this context: {arn}'"
            ))),
        }
    }

    /// DescribeActivity.
    pub async fn describe_activity(&self, arn: &str) -> Result<ActivityRecord, RuntimeError> {
        Self::check_activity_arn(arn)?;
        self.inner
            .store
            .activities()
            .await?
            .into_iter()
            .find(|a| a.arn == arn)
            .ok_or_else(|| {
                RuntimeError::ActivityDoesNotExist(format!("Activity Does Not Exist: '{arn}'"))
            })
    }

    /// ListActivities, by name.
    pub async fn list_activities(&self) -> Result<Vec<ActivityRecord>, RuntimeError> {
        let mut all = self.inner.store.activities().await?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// DeleteActivity (deleting a missing activity succeeds, as in AWS). Tasks already scheduled
    /// for it stay until they are answered or time out, but no worker can take them any more.
    pub async fn delete_activity(&self, arn: &str) -> Result<(), RuntimeError> {
        Self::check_activity_arn(arn)?;
        self.inner.store.delete_activity(arn).await?;
        Ok(())
    }

    /// GetActivityTask: a long poll of up to 60 seconds for a task of the activity. `None` when
    /// none came (AWS answers with an empty token).
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
    ) -> Result<Option<ActivityTask>, RuntimeError> {
        self.describe_activity(activity_arn).await?;
        let broker = &self.inner.broker;
        broker.ensure_loaded().await?;
        let deadline = tokio::time::Instant::now() + POLL;
        if self.shared() {
            return self.take_shared(activity_arn, worker_name, deadline).await;
        }
        let notify = broker.poll_notify(activity_arn);
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(row) = broker.take(activity_arn, worker_name) {
                let token = row.token.clone();
                let input = row.input.clone();
                let mut c = Commit::new(row.execution.clone());
                c.update_tasks = vec![row];
                self.inner.store.commit(c).await?;
                broker.wake(&token);
                return Ok(Some(ActivityTask {
                    task_token: token,
                    input,
                }));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => return Ok(None),
            }
        }
    }

    /// Why a token cannot be answered: malformed, unknown, or its task is over.
    pub(super) async fn token_error(&self, token: &str) -> RuntimeError {
        match callbacks::token_execution(token) {
            None => RuntimeError::InvalidToken("Invalid token".into()),
            Some(execution) => match self.inner.store.execution(&execution).await {
                Ok(Some(_)) => {
                    RuntimeError::TaskTimedOut("Provided task does not exist anymore".into())
                }
                Ok(None) => RuntimeError::TaskDoesNotExist("Task does not exist".into()),
                Err(e) => e.into(),
            },
        }
    }

    async fn answer(&self, token: &str, answer: Answer) -> Result<(), RuntimeError> {
        if callbacks::token_execution(token).is_none() {
            return Err(RuntimeError::InvalidToken("Invalid token".into()));
        }
        let broker = &self.inner.broker;
        broker.ensure_loaded().await?;
        if self.shared() {
            let update = TaskUpdate::Answer {
                token: token.to_string(),
                answer: answer.to_text(),
            };
            return self.update_shared(token, update).await;
        }
        let Some(row) = broker.answer(token, &answer) else {
            return Err(self.token_error(token).await);
        };
        let mut c = Commit::new(row.execution.clone());
        c.update_tasks = vec![row];
        self.inner.store.commit(c).await?;
        broker.wake(token);
        Ok(())
    }

    /// SendTaskSuccess with a typed result: the task's result is `output` as JSON (at most
    /// 256 KiB, else `InvalidOutput`). An output that is already JSON text goes through
    /// [`Runtime::send_task_success_json`].
    ///
    /// ```
    /// # async fn answer(rt: &stepfn::Runtime, token: &str) -> Result<(), stepfn::RuntimeError> {
    /// #[derive(serde::Serialize)]
    /// struct Decision { approved: bool }
    /// rt.send_task_success(token, &Decision { approved: true }).await
    /// # }
    /// ```
    pub async fn send_task_success<T: serde::Serialize>(
        &self,
        token: &str,
        output: &T,
    ) -> Result<(), RuntimeError> {
        let text = serde_json::to_string(output)
            .map_err(|e| RuntimeError::InvalidOutput(format!("Invalid Output: {e}")))?;
        self.send_task_success_json(token, &text).await
    }

    /// SendTaskSuccess as the API takes it: `output` must be JSON text of at most 256 KiB (else
    /// `InvalidOutput`).
    pub async fn send_task_success_json(
        &self,
        token: &str,
        output: &str,
    ) -> Result<(), RuntimeError> {
        if callbacks::token_execution(token).is_none() {
            return Err(RuntimeError::InvalidToken("Invalid token".into()));
        }
        if output.len() > crate::io::size::PAYLOAD_LIMIT {
            return Err(RuntimeError::InvalidOutput(format!(
                "the output is {} bytes; the limit is {}",
                output.len(),
                crate::io::size::PAYLOAD_LIMIT
            )));
        }
        let v: Value = crate::quotas::read_json(output)
            .map_err(|e| RuntimeError::InvalidOutput(format!("Invalid Output: {e}")))?;
        self.answer(token, Answer::Success(v)).await
    }

    /// SendTaskFailure: the task fails with `error` (the name Retry and Catch match) and `cause`.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), RuntimeError> {
        let e = StatesError::new(error.unwrap_or(""), cause.unwrap_or(""));
        self.answer(token, Answer::Failure(e)).await
    }

    /// SendTaskHeartbeat: resets the task's heartbeat clock (no history event).
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<(), RuntimeError> {
        if callbacks::token_execution(token).is_none() {
            return Err(RuntimeError::InvalidToken("Invalid token".into()));
        }
        let broker = &self.inner.broker;
        broker.ensure_loaded().await?;
        if self.shared() {
            let update = TaskUpdate::Heartbeat {
                token: token.to_string(),
                now_ms: broker.now_ms(),
            };
            return self.update_shared(token, update).await;
        }
        let Some(row) = broker.heartbeat(token) else {
            return Err(self.token_error(token).await);
        };
        let mut c = Commit::new(row.execution.clone());
        c.update_tasks = vec![row];
        self.inner.store.commit(c).await?;
        Ok(())
    }
}
