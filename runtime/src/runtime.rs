//! The execution API, shaped like Step Functions': a [`Runtime`] holds a [`Store`], registered
//! state machines and their task handlers, and runs Standard executions durably.
//!
//! # What is durable, and what a task handler sees
//!
//! A Standard execution commits its history events together with a checkpoint of every frame
//! (the top level, each Parallel branch, each Map iteration) before each observable step: before
//! a task is invoked, before a Wait or a retry backoff starts sleeping, and at the end. Pass and
//! Choice transitions in between ride along with the next commit; a crash before it replays them
//! from the previous checkpoint to the same events. So each transition is recorded **exactly
//! once**.
//!
//! Task handlers run **at least once**: a task whose `TaskScheduled`/`TaskStarted` events were
//! committed but whose result was not is invoked again after a restart, with the same
//! [`TaskRequest::idempotency_key`](crate::engine::tasks::TaskRequest::idempotency_key) (execution
//! ARN, frame, state, visit and attempt), the same input and the same attempt number. A handler
//! with side effects deduplicates on that key. A retry is a new attempt with a new key.
//!
//! After the process dies, [`Runtime::open`] on the same file and [`Runtime::resume`] (once the
//! state machines are registered again) continue every RUNNING execution from its last commit:
//! Wait deadlines and retry backoffs keep their wall-clock end (expired while down: they fire at
//! once), finished branches and iterations are not redone, retry counters are kept.
//!
//! Express executions ([`Runtime::start_sync_express`]) run in memory without history.
//!
//! Dropping the last clone of a [`Runtime`] stops its executions where they are (they stay
//! RUNNING in the store, as after a crash; [`Runtime::resume`] continues them).
//!
//! # Activities, task tokens, redrive
//!
//! Activities ([`Runtime::create_activity`], [`Runtime::get_activity_task`]) and task tokens
//! (`.waitForTaskToken` resources, [`Runtime::send_task_success`] and friends) are described in
//! [`crate::engine::callbacks`]; their errors are [`RuntimeError`]s named after AWS's
//! exceptions.
//!
//! [`Runtime::redrive`] continues a FAILED, ABORTED or TIMED_OUT execution from its unsuccessful
//! step, with the same ARN and input: the state that failed (or was running when the execution
//! was stopped or timed out) is entered again with the input it had; inside a Parallel or an
//! inline Map, branches and iterations that succeeded keep their output and only the failed or
//! aborted ones run again, each from the state where it failed or was stopped. `RedriveCount`
//! (in `$$.Execution` and in DescribeExecution) counts redrives and the history gets an
//! `ExecutionRedriven` event. Retry counters start again from zero. (Nested deeper than one
//! Parallel or Map level the rule is applied at every level.)

use crate::engine::callbacks::{self, Answer, Broker};
use crate::engine::{ExecutionResult, ExecutionStatus, Interpreter};
use crate::error::StatesError;
use crate::events::EventType;
use crate::store::{
    ActivityRecord, Commit, ExecutionFilter, ExecutionRecord, MemoryStore, StatusChange, Store,
    StoreError, TaskUpdate,
};
use crate::{ExecutionOptions, TaskRegistry};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use stepfn_asl::StateMachine;
use tokio::sync::watch;

mod shared;
use shared::{follow_tasks, takeover, TASK_SYNC};
mod typed;
pub use typed::{Execution, ExecutionError};

use crate::arn::{DEFAULT_ACCOUNT as ACCOUNT, DEFAULT_REGION as REGION};

/// Why a runtime call failed; the names are Step Functions' exception names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// No state machine is registered under that name.
    #[error("StateMachineDoesNotExist: {0}")]
    StateMachineDoesNotExist(String),
    /// The name is taken by an execution with another input, or by a closed execution.
    #[error("ExecutionAlreadyExists: {0}")]
    ExecutionAlreadyExists(String),
    /// No such execution.
    #[error("ExecutionDoesNotExist: {0}")]
    ExecutionDoesNotExist(String),
    /// The execution cannot be redriven (it is running or succeeded, or its state machine is
    /// not registered here).
    #[error("ExecutionNotRedrivable: {0}")]
    ExecutionNotRedrivable(String),
    /// No activity with that ARN.
    #[error("ActivityDoesNotExist: {0}")]
    ActivityDoesNotExist(String),
    /// The ARN is not a well-formed ARN of the expected kind.
    #[error("InvalidArn: {0}")]
    InvalidArn(String),
    /// The token is not a task token of this runtime.
    #[error("InvalidToken: {0}")]
    InvalidToken(String),
    /// The token is well formed but names an execution this store does not have.
    #[error("TaskDoesNotExist: {0}")]
    TaskDoesNotExist(String),
    /// The task of the token is over (answered, timed out, or its execution closed).
    #[error("TaskTimedOut: {0}")]
    TaskTimedOut(String),
    /// SendTaskSuccess's output is not JSON or is over 256 KiB.
    #[error("InvalidOutput: {0}")]
    InvalidOutput(String),
    /// A name breaks Step Functions' naming rules.
    #[error("InvalidName: {0}")]
    InvalidName(String),
    /// The input is not JSON or too large.
    #[error("InvalidExecutionInput: {0}")]
    InvalidExecutionInput(String),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An execution as DescribeExecution returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionDescription {
    /// The stored row.
    pub record: ExecutionRecord,
}

/// An activity task handed to a worker (GetActivityTask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The token to answer with.
    pub task_token: String,
    /// The task input, as JSON text.
    pub input: String,
}

impl ActivityTask {
    /// The input as JSON.
    pub fn input_json(&self) -> Value {
        crate::quotas::read_json(&self.input).unwrap_or(Value::Null)
    }
}

impl ExecutionDescription {
    /// True when [`Runtime::redrive`] accepts the execution (FAILED, ABORTED or TIMED_OUT).
    pub fn redrivable(&self) -> bool {
        matches!(
            self.record.status,
            ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut
        )
    }

    /// The status.
    pub fn status(&self) -> ExecutionStatus {
        self.record.status
    }

    /// The execution ARN.
    pub fn arn(&self) -> &str {
        &self.record.arn
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// The state machine's ARN.
    pub fn state_machine_arn(&self) -> String {
        state_machine_arn(&self.record.state_machine)
    }

    /// The error name, once FAILED, TIMED_OUT or ABORTED.
    pub fn error(&self) -> Option<&str> {
        self.record.error.as_deref()
    }

    /// The cause, once FAILED, TIMED_OUT or ABORTED.
    pub fn cause(&self) -> Option<&str> {
        self.record.cause.as_deref()
    }

    /// The output, once SUCCEEDED.
    pub fn output(&self) -> Option<Value> {
        self.record
            .output
            .as_deref()
            .and_then(|o| crate::quotas::read_json(o).ok())
    }

    /// The DescribeExecution JSON.
    pub fn to_json(&self) -> Value {
        let r = &self.record;
        let mut v = json!({
            "executionArn": r.arn,
            "stateMachineArn": state_machine_arn(&r.state_machine),
            "name": r.name,
            "status": r.status.as_str(),
            "startDate": millis_text(r.start_ms),
            "input": r.input,
            "redriveCount": r.redrive_count,
            "redriveStatus": if self.redrivable() { "REDRIVABLE" } else { "NOT_REDRIVABLE" },
        });
        if let Some(m) = v.as_object_mut() {
            if !self.redrivable() {
                m.insert(
                    "redriveStatusReason".into(),
                    json!(format!(
                        "Execution is {} and cannot be redriven",
                        r.status.as_str()
                    )),
                );
            }
            if let Some(s) = r.stop_ms {
                m.insert("stopDate".into(), json!(millis_text(s)));
            }
            if let Some(t) = r.redrive_ms {
                m.insert("redriveDate".into(), json!(millis_text(t)));
            }
            if let Some(o) = &r.output {
                m.insert("output".into(), json!(o));
            }
            if let Some(e) = &r.error {
                m.insert("error".into(), json!(e));
            }
            if let Some(c) = &r.cause {
                m.insert("cause".into(), json!(c));
            }
        }
        v
    }
}

fn millis_text(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{t:.3}")
}

/// A GetExecutionHistory request.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    /// Events per page (AWS default and maximum: 1000).
    pub max_results: usize,
    /// Newest first.
    pub reverse_order: bool,
    /// The token of the previous page.
    pub next_token: Option<String>,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            max_results: 1000,
            reverse_order: false,
            next_token: None,
        }
    }
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The events (GetExecutionHistory `events[]`).
    pub events: Vec<Value>,
    /// The token of the next page, if any.
    pub next_token: Option<String>,
}

/// The ARN of a state machine of this runtime.
pub fn state_machine_arn(name: &str) -> String {
    crate::arn::state_machine(REGION, ACCOUNT, name)
}

/// The ARN of an activity of this runtime.
pub fn activity_arn(name: &str) -> String {
    crate::arn::activity(REGION, ACCOUNT, name)
}

/// The ARN of an execution of this runtime.
pub fn execution_arn(state_machine: &str, name: &str) -> String {
    crate::arn::execution(REGION, ACCOUNT, state_machine, name)
}

/// Checks Step Functions' naming rules (1–80 characters, no whitespace, brackets, wildcards,
/// punctuation it reserves, or control characters).
pub fn check_name(name: &str) -> Result<(), RuntimeError> {
    let bad =
        |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(bad) {
        return Err(RuntimeError::InvalidName(format!(
            "`{name}`: 1 to 80 characters, without whitespace, brackets, wildcards or `\"#%\\^|~`$&,;:/`"
        )));
    }
    Ok(())
}

struct Running {
    done: watch::Receiver<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Inner {
    store: Arc<dyn Store>,
    machines: Mutex<HashMap<String, Interpreter>>,
    running: Mutex<HashMap<String, Running>>,
    broker: Arc<Broker>,
    /// Executions being redriven (guards against two redrives at once).
    redriving: Mutex<HashSet<String>>,
    /// Executions whose run stopped because the store failed (they stay RUNNING in the store,
    /// to continue once the fault is cleared), with the store's error.
    faults: Mutex<HashMap<String, String>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let running = self.running.get_mut().unwrap_or_else(|p| p.into_inner());
        for r in running.values_mut() {
            if let Some(t) = r.task.take() {
                t.abort();
            }
        }
    }
}

/// Runs Standard executions durably on a [`Store`]; see the module documentation.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime on `store`. On a shared store (one with a
    /// [`lease_timeout`](Store::lease_timeout)) it also takes over, every half lease timeout,
    /// the executions whose lease expired (their process died or was cut off) and whose state
    /// machine is registered here.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let lease = store.lease_timeout();
        let runtime = Self {
            inner: Arc::new(Inner {
                broker: Arc::new(Broker::new(store.clone())),
                store,
                machines: Mutex::new(HashMap::new()),
                running: Mutex::new(HashMap::new()),
                redriving: Mutex::new(HashSet::new()),
                faults: Mutex::new(HashMap::new()),
            }),
        };
        if let (Some(lease), Ok(handle)) = (lease, tokio::runtime::Handle::try_current()) {
            handle.spawn(takeover(Arc::downgrade(&runtime.inner), lease / 2));
            handle.spawn(follow_tasks(Arc::downgrade(&runtime.inner), TASK_SYNC));
        }
        runtime
    }

    /// A runtime whose executions live in memory only.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryStore::new()))
    }

    /// A runtime on `url_or_path`: a `postgres://` URL (feature `postgres`; several processes
    /// share its executions, with the default lease timeout of 10 s) or a SQLite file (created
    /// when missing; refused while another process holds it).
    pub fn open(url_or_path: impl AsRef<Path>) -> Result<Self, RuntimeError> {
        Self::open_with_lease(url_or_path, crate::store::DEFAULT_LEASE_TIMEOUT)
    }

    /// [`Runtime::open`] with a lease timeout for a shared store: how long after a process stops
    /// renewing its leases (killed, paused, cut off) another process takes over its executions.
    pub fn open_with_lease(
        url_or_path: impl AsRef<Path>,
        lease_timeout: std::time::Duration,
    ) -> Result<Self, RuntimeError> {
        Ok(Self::new(crate::store::open(url_or_path, lease_timeout)?))
    }

    /// A runtime on the default database file ([`crate::store::SqliteStore::default_path`]).
    #[cfg(feature = "sqlite")]
    pub fn open_default() -> Result<Self, RuntimeError> {
        Self::open(crate::store::SqliteStore::default_path())
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Registers (or replaces) a state machine and its task handlers; returns its ARN.
    pub fn register(
        &self,
        name: &str,
        machine: StateMachine,
        tasks: TaskRegistry,
    ) -> Result<String, RuntimeError> {
        check_name(name)?;
        let interpreter = Interpreter::new(machine, name, tasks);
        self.register_interpreter(name, interpreter);
        Ok(state_machine_arn(name))
    }

    /// Registers a `workflow!` workflow — its ASL and its Rust task handlers — as a Standard
    /// state machine named after it. Durable executions of it run in the interpreter (the compiled
    /// form serves in-memory runs); add handlers for other resources with [`Runtime::register`].
    pub fn register_workflow<W: crate::Workflow>(&self) -> Result<String, RuntimeError> {
        self.register(W::NAME, W::state_machine(), W::tasks())
    }

    /// Removes a state machine: new executions of it are refused with `StateMachineDoesNotExist`;
    /// executions already running keep their interpreter and finish. True when it was registered.
    pub fn unregister(&self, name: &str) -> bool {
        lock(&self.inner.machines).remove(name).is_some()
    }

    /// Registers an interpreter under `name`.
    pub fn register_interpreter(&self, name: &str, interpreter: Interpreter) {
        lock(&self.inner.machines).insert(name.to_string(), interpreter);
    }

    fn machine(&self, name: &str) -> Result<Interpreter, RuntimeError> {
        lock(&self.inner.machines)
            .get(name)
            .cloned()
            .ok_or_else(|| RuntimeError::StateMachineDoesNotExist(state_machine_arn(name)))
    }

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
        let interpreter = self.machine(state_machine)?;
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
                    "roleArn": crate::arn::DEFAULT_ROLE_ARN,
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
        self.spawn(interpreter, rec, Vec::new(), 1);
        Ok(arn)
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
        for rec in self.inner.store.running().await? {
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
        let Ok(interpreter) = self.machine(&rec.state_machine) else {
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

    /// DescribeExecution.
    pub async fn describe(&self, arn: &str) -> Result<ExecutionDescription, RuntimeError> {
        match self.inner.store.execution(arn).await? {
            Some(record) => Ok(ExecutionDescription { record }),
            None => Err(RuntimeError::ExecutionDoesNotExist(arn.to_string())),
        }
    }

    /// GetExecutionHistory: one page, oldest first or newest first.
    pub async fn history(
        &self,
        arn: &str,
        query: HistoryQuery,
    ) -> Result<HistoryPage, RuntimeError> {
        self.describe(arn).await?;
        let after = match &query.next_token {
            Some(t) => t.parse::<u64>().map_err(|_| {
                RuntimeError::InvalidExecutionInput(format!("invalid next token `{t}`"))
            })?,
            None => 0,
        };
        let limit = query.max_results.clamp(1, 1000);
        let events = self
            .inner
            .store
            .events(arn, after, limit, query.reverse_order)
            .await?;
        let last = events.last().and_then(|e| e["id"].as_u64());
        let next_token = match last {
            Some(id) if events.len() == limit => {
                let more = if query.reverse_order {
                    id > 1
                } else {
                    id < self.inner.store.event_count(arn).await?
                };
                more.then(|| id.to_string())
            }
            _ => None,
        };
        Ok(HistoryPage { events, next_token })
    }

    /// Every event of an execution, oldest first.
    pub async fn full_history(&self, arn: &str) -> Result<Vec<Value>, RuntimeError> {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .history(
                    arn,
                    HistoryQuery {
                        next_token: token,
                        ..HistoryQuery::default()
                    },
                )
                .await?;
            all.extend(page.events);
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(all),
            }
        }
    }

    /// ListExecutions, newest first.
    pub async fn list(
        &self,
        state_machine: Option<&str>,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionDescription>, RuntimeError> {
        let recs = self
            .inner
            .store
            .executions(ExecutionFilter {
                state_machine: state_machine.map(str::to_string),
                status,
            })
            .await?;
        Ok(recs
            .into_iter()
            .map(|record| ExecutionDescription { record })
            .collect())
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
        let interpreter = self.machine(state_machine)?;
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
}

/// How long a redrive remains possible after the execution closed (AWS: 14 days).
const REDRIVE_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;
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
    async fn token_error(&self, token: &str) -> RuntimeError {
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
        let interpreter = self.machine(&d.record.state_machine).map_err(|_| {
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
        self.spawn(interpreter, rec, frames, redriven);
        Ok(now)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
