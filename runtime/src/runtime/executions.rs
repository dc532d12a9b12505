//! Starting, running, resuming, stopping and redriving executions.

use super::ExecutionDescription;
use super::RuntimeError;
use super::{check_name, execution_arn, lock, state_machine_arn, Machine, Running, Runtime};
use crate::engine::{ExecutionResult, ExecutionStatus, Interpreter};
use crate::events::EventType;
use crate::store::{Commit, ExecutionRecord, StatusChange, StoreError};
use crate::ExecutionOptions;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// How long a redrive remains possible after the execution closed (AWS: 14 days).
const REDRIVE_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;

impl Runtime {
    /// Starts a Standard execution; returns its ARN. With a name, starting is idempotent while
    /// the execution runs: the same name and input return the existing execution; the same name
    /// with another input, or the name of a closed execution, is `ExecutionAlreadyExists` (as
    /// AWS answers; to continue an execution after a restart use [`Runtime::resume`]).
    /// `state_machine` is its name or its ARN.
    pub async fn start(
        &self,
        state_machine: &str,
        input: Value,
        name: Option<&str>,
    ) -> Result<String, RuntimeError> {
        // The state machine by name, or by the ARN that `register` returned.
        let state_machine = state_machine
            .strip_prefix("arn:aws:states:")
            .and_then(|rest| rest.split_once(":stateMachine:"))
            .map_or(state_machine, |(_, name)| name);
        let machine = self.machine(state_machine)?;
        let interpreter = machine.interpreter;
        // A name given may repeat an earlier start (idempotent by name); a generated one cannot.
        let (name, given) = match name {
            Some(n) => {
                check_name(n)?;
                (n.to_string(), true)
            }
            None => (crate::engine::new_uuid(), false),
        };
        if crate::quotas::depth(&input) > crate::quotas::MAX_DEPTH {
            return Err(RuntimeError::InvalidExecutionInput(format!(
                "the input nests deeper than {} levels",
                crate::quotas::MAX_DEPTH
            )));
        }
        let input_text = serde_json::to_string(&input)
            .map_err(|e| RuntimeError::InvalidExecutionInput(e.to_string()))?;
        if input_text.len() > crate::io::size::PAYLOAD_LIMIT {
            return Err(RuntimeError::InvalidExecutionInput(format!(
                "the input is {} bytes; the limit is {}",
                input_text.len(),
                crate::io::size::PAYLOAD_LIMIT
            )));
        }
        // A variant registered as `Name:Version` or `Name#TestCase` names its executions after
        // `Name`, as Step Functions (and Step Functions Local) do.
        let named_after = state_machine
            .split([':', '#'])
            .next()
            .unwrap_or(state_machine);
        let arn = execution_arn(named_after, &name);
        if given {
            if let Some(existing) = self.inner.store.execution(&arn).await? {
                return Self::same_or_exists(existing, &input);
            }
        }
        let now = jiff::Timestamp::now();
        let rec = ExecutionRecord {
            arn: arn.clone(),
            name,
            state_machine: state_machine.to_string(),
            status: ExecutionStatus::Running,
            input: input_text.clone(),
            output: None,
            error: None,
            cause: None,
            start_ms: now.as_millisecond(),
            stop_ms: None,
            redrive_count: 0,
            redrive_ms: None,
        };
        let started = crate::engine::history::HistoryEvent {
            id: 1,
            previous_event_id: 0,
            timestamp: format!("{now:.3}"),
            kind: EventType::ExecutionStarted,
            details: Some((
                "executionStartedEventDetails",
                json!({
                    "input": input_text,
                    "inputDetails": {"truncated": false},
                    "roleArn": interpreter.role_arn(),
                    "stateMachineArn": state_machine_arn(state_machine),
                }),
            )),
        };
        let mut c = Commit::new(arn.clone());
        c.create = Some(rec.clone());
        c.events = vec![started];
        if let Err(e) = self.inner.store.commit(c).await {
            // Lost a race with a start of the same name?
            if let Some(existing) = self.inner.store.execution(&arn).await? {
                return Self::same_or_exists(existing, &input);
            }
            return Err(e.into());
        }
        match machine.start_problem {
            Some(e) => self.fail_at_start(&arn, 1, &e).await?,
            None => self.spawn(interpreter, rec, Vec::new(), 1),
        }
        Ok(arn)
    }

    /// Ends an execution that cannot run (see [`super::Machine::start_problem`]) right after its
    /// event `last_event` (`ExecutionStarted` or `ExecutionRedriven`): `ExecutionFailed` with
    /// `e`, before any state runs.
    async fn fail_at_start(
        &self,
        arn: &str,
        last_event: u64,
        e: &crate::StatesError,
    ) -> Result<(), RuntimeError> {
        let now = jiff::Timestamp::now();
        let mut c = Commit::new(arn);
        c.events = vec![crate::engine::history::HistoryEvent {
            id: last_event + 1,
            previous_event_id: last_event,
            timestamp: format!("{now:.3}"),
            kind: EventType::ExecutionFailed,
            details: Some((
                "executionFailedEventDetails",
                crate::engine::error_details(e),
            )),
        }];
        c.status = Some(StatusChange {
            status: ExecutionStatus::Failed,
            output: None,
            error: Some(e.error.clone()),
            cause: Some(e.cause.clone()),
            stop_ms: Some(now.as_millisecond()),
            redrive_count: None,
            redrive_ms: None,
        });
        self.inner.store.commit(c).await?;
        self.inner.store.release(arn).await?;
        Ok(())
    }

    fn same_or_exists(existing: ExecutionRecord, input: &Value) -> Result<String, RuntimeError> {
        let same = existing.status == ExecutionStatus::Running
            && crate::quotas::read_json::<Value>(&existing.input)
                .ok()
                .as_ref()
                == Some(input);
        if same {
            Ok(existing.arn)
        } else {
            Err(RuntimeError::ExecutionAlreadyExists(existing.arn))
        }
    }

    fn spawn(
        &self,
        interpreter: Interpreter,
        rec: ExecutionRecord,
        frames: Vec<(String, String)>,
        last_event: u64,
    ) {
        let (tx, rx) = watch::channel(false);
        let store = self.inner.store.clone();
        let broker = self.inner.broker.clone();
        let inner = Arc::downgrade(&self.inner);
        let arn = rec.arn.clone();
        let mut running = lock(&self.inner.running);
        let task = tokio::spawn(async move {
            let result = interpreter
                .run_durable(&rec, store.clone(), frames, last_event, broker.clone())
                .await;
            // Still RUNNING in the store (a commit failed): another process may continue it.
            let _ = store.release(&rec.arn).await;
            broker.drop_execution(&rec.arn);
            // Ended here but RUNNING in the store: a commit failed (disk full, I/O error, …).
            let stuck = matches!(store.execution(&rec.arn).await,
                Ok(Some(r)) if r.status == ExecutionStatus::Running);
            if let Some(inner) = inner.upgrade() {
                if stuck {
                    let cause = result.cause.unwrap_or_else(|| "a commit failed".into());
                    lock(&inner.faults).insert(rec.arn.clone(), cause);
                }
                lock(&inner.running).remove(&rec.arn);
            }
            let _ = tx.send(true);
        });
        running.insert(
            arn,
            Running {
                done: rx,
                task: Some(task),
            },
        );
    }

    /// Continues every RUNNING execution in the store whose state machine is registered and that
    /// does not run yet (after a crash or a restart); returns their ARNs.
    pub async fn resume(&self) -> Result<Vec<String>, RuntimeError> {
        let mut resumed = Vec::new();
        let runnable: Vec<String> = lock(&self.inner.machines).keys().cloned().collect();
        for rec in self.inner.store.running(runnable).await? {
            let arn = rec.arn.clone();
            if self.resume_one(rec).await? {
                resumed.push(arn);
            }
        }
        Ok(resumed)
    }

    /// Continues one execution if it is RUNNING in the store and not here; true when it did.
    /// On a shared store, only once its lease expired (its process is gone; the executions
    /// whose lease expired are all taken over then).
    pub async fn resume_execution(&self, arn: &str) -> Result<bool, RuntimeError> {
        if self.inner.store.lease_timeout().is_some() {
            self.describe(arn).await?;
            if lock(&self.inner.running).contains_key(arn) {
                return Ok(false);
            }
            return Ok(self.resume().await?.iter().any(|a| a == arn));
        }
        match self.inner.store.execution(arn).await? {
            Some(rec) if rec.status == ExecutionStatus::Running => self.resume_one(rec).await,
            Some(_) => Ok(false),
            None => Err(RuntimeError::ExecutionDoesNotExist(arn.to_string())),
        }
    }

    async fn resume_one(&self, rec: ExecutionRecord) -> Result<bool, RuntimeError> {
        if lock(&self.inner.running).contains_key(&rec.arn) {
            return Ok(false);
        }
        let Ok(Machine { interpreter, .. }) = self.machine(&rec.state_machine) else {
            // Claimed on a shared store, but not runnable here: let another process have it.
            self.inner.store.release(&rec.arn).await?;
            return Ok(false);
        };
        if self.shared() {
            self.load_tasks(&rec.arn).await?;
        }
        let frames = self.inner.store.frames(&rec.arn).await?;
        let last = self.inner.store.event_count(&rec.arn).await?;
        lock(&self.inner.faults).remove(&rec.arn);
        self.spawn(interpreter, rec, frames, last);
        Ok(true)
    }

    /// Waits until the execution is closed and describes it; a store error when its run stopped
    /// because a commit failed (it stays RUNNING: [`Runtime::resume_execution`] continues it from
    /// its last commit once the fault is cleared). On a shared store, an execution run by
    /// another process is watched in the store (every 100 ms).
    pub async fn wait(&self, arn: &str) -> Result<ExecutionDescription, RuntimeError> {
        loop {
            let rx = lock(&self.inner.running).get(arn).map(|r| r.done.clone());
            if let Some(mut rx) = rx {
                let _ = rx.wait_for(|d| *d).await;
            }
            if let Some(cause) = lock(&self.inner.faults).remove(arn) {
                return Err(RuntimeError::Store(StoreError(format!(
                    "{cause}; the execution stays RUNNING in the store and continues from its last \
                     commit when resumed"
                ))));
            }
            let d = self.describe(arn).await?;
            if self.inner.store.lease_timeout().is_none() || d.status() != ExecutionStatus::Running
            {
                return Ok(d);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Starts an execution and waits for its end.
    pub async fn run(
        &self,
        state_machine: &str,
        input: Value,
        name: Option<&str>,
    ) -> Result<ExecutionDescription, RuntimeError> {
        let arn = self.start(state_machine, input, name).await?;
        self.wait(&arn).await
    }

    /// StopExecution: the execution ends ABORTED with an `ExecutionAborted` event.
    pub async fn stop(
        &self,
        arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<ExecutionDescription, RuntimeError> {
        let task = lock(&self.inner.running)
            .get_mut(arn)
            .and_then(|r| r.task.take());
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        lock(&self.inner.running).remove(arn);
        // Every commit sent before is applied once this empty one is.
        self.inner.store.commit(Commit::new(arn)).await?;
        let rec = self.describe(arn).await?.record;
        if rec.status != ExecutionStatus::Running {
            return Ok(ExecutionDescription { record: rec });
        }
        let last = self.inner.store.event_count(arn).await?;
        let now = jiff::Timestamp::now();
        let mut details = serde_json::Map::new();
        if let Some(e) = error {
            details.insert("error".into(), json!(e));
        }
        if let Some(c) = cause {
            details.insert("cause".into(), json!(c));
        }
        let mut c = Commit::new(arn);
        c.events = vec![crate::engine::history::HistoryEvent {
            id: last + 1,
            previous_event_id: last,
            timestamp: format!("{now:.3}"),
            kind: EventType::ExecutionAborted,
            details: Some(("executionAbortedEventDetails", Value::Object(details))),
        }];
        // The checkpoints stay: a redrive continues from them.
        c.clear_tasks = true;
        c.status = Some(StatusChange {
            status: ExecutionStatus::Aborted,
            output: None,
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
            stop_ms: Some(now.as_millisecond()),
            redrive_count: None,
            redrive_ms: None,
        });
        self.inner.store.commit(c).await?;
        self.inner.broker.drop_execution(arn);
        self.describe(arn).await
    }

    /// StartSyncExecution for an Express workflow: in memory, no durable history.
    pub async fn start_sync_express(
        &self,
        state_machine: &str,
        input: Value,
    ) -> Result<ExecutionResult, RuntimeError> {
        let interpreter = self.machine(state_machine)?.interpreter;
        Ok(interpreter
            .execute(
                input,
                ExecutionOptions {
                    keep_history: false,
                    ..ExecutionOptions::default()
                },
            )
            .await)
    }

    /// RedriveExecution: continues a FAILED, ABORTED or TIMED_OUT execution (closed less than
    /// 14 days ago, state machine registered) from its unsuccessful step; see the module
    /// documentation. Returns the redrive time.
    pub async fn redrive(&self, arn: &str) -> Result<jiff::Timestamp, RuntimeError> {
        struct Busy<'a>(&'a Mutex<HashSet<String>>, String);
        impl Drop for Busy<'_> {
            fn drop(&mut self) {
                lock(self.0).remove(&self.1);
            }
        }
        if !lock(&self.inner.redriving).insert(arn.to_string()) {
            return Err(RuntimeError::ExecutionNotRedrivable(format!(
                "Execution {arn} is being redriven"
            )));
        }
        let _busy = Busy(&self.inner.redriving, arn.to_string());
        let d = self.describe(arn).await?;
        let now = self.inner.broker.clock.now();
        if !d.redrivable() || lock(&self.inner.running).contains_key(arn) {
            return Err(RuntimeError::ExecutionNotRedrivable(format!(
                "Execution {arn} is {} and cannot be redriven",
                d.record.status.as_str()
            )));
        }
        if d.record
            .stop_ms
            .is_some_and(|s| now.as_millisecond() - s > REDRIVE_WINDOW_MS)
        {
            return Err(RuntimeError::ExecutionNotRedrivable(format!(
                "Execution {arn} closed more than 14 days ago"
            )));
        }
        let machine = self.machine(&d.record.state_machine).map_err(|_| {
            RuntimeError::ExecutionNotRedrivable(format!(
                "the state machine {} is not registered",
                state_machine_arn(&d.record.state_machine)
            ))
        })?;
        let last = self.inner.store.event_count(arn).await?;
        let redriven = last + 1;
        let count = d.record.redrive_count + 1;
        let frames =
            crate::engine::durable::redrive_frames(self.inner.store.frames(arn).await?, redriven);
        let mut c = Commit::new(arn);
        c.events = vec![crate::engine::history::HistoryEvent {
            id: redriven,
            previous_event_id: last,
            timestamp: format!("{now:.3}"),
            kind: EventType::ExecutionRedriven,
            details: Some((
                "executionRedrivenEventDetails",
                json!({ "redriveCount": count }),
            )),
        }];
        c.clear_frames = true;
        c.clear_tasks = true;
        c.frames = frames
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        c.status = Some(StatusChange {
            status: ExecutionStatus::Running,
            output: None,
            error: None,
            cause: None,
            stop_ms: None,
            redrive_count: Some(count),
            redrive_ms: Some(now.as_millisecond()),
        });
        self.inner.store.commit(c).await?;
        let mut rec = d.record;
        rec.status = ExecutionStatus::Running;
        rec.output = None;
        rec.error = None;
        rec.cause = None;
        rec.stop_ms = None;
        rec.redrive_count = count;
        rec.redrive_ms = Some(now.as_millisecond());
        match machine.start_problem {
            Some(e) => self.fail_at_start(arn, redriven, &e).await?,
            None => self.spawn(machine.interpreter, rec, frames, redriven),
        }
        Ok(now)
    }
}
