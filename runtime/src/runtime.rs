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

use crate::engine::callbacks::Broker;
use crate::engine::tasks::{start_problem_with, TaskTokens};
use crate::engine::Interpreter;
use crate::store::{MemoryStore, Store, StoreError};
use crate::TaskRegistry;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use stepfn_asl::StateMachine;
use tokio::sync::watch;

mod activities;
mod describe;
mod executions;
mod shared;
mod typed;
pub use describe::{ActivityTask, ExecutionDescription, HistoryPage, HistoryQuery};
use shared::{follow_tasks, takeover, TASK_SYNC};
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

/// Checks Step Functions' naming rules ([`stepfn_asl::names`]).
pub fn check_name(name: &str) -> Result<(), RuntimeError> {
    match stepfn_asl::names::name_problem(name, stepfn_asl::names::NAME_MAX) {
        None => Ok(()),
        Some(problem) => Err(RuntimeError::InvalidName(format!("`{name}`: {problem}"))),
    }
}
/// A registered state machine.
#[derive(Clone)]
struct Machine {
    interpreter: Interpreter,
    /// Why its durable executions fail at their start (a `${…}` Task without a handler), found
    /// once, at registration.
    start_problem: Option<crate::StatesError>,
}

impl Machine {
    fn new(interpreter: Interpreter) -> Self {
        let start_problem = start_problem_with(
            &interpreter.machine().states,
            interpreter.tasks(),
            TaskTokens::Available,
        );
        Self {
            interpreter,
            start_problem,
        }
    }
}

struct Running {
    done: watch::Receiver<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Inner {
    store: Arc<dyn Store>,
    machines: Mutex<HashMap<String, Machine>>,
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
    ///
    /// **Registry keys.** A Task state's handler is found by its `Resource` as written, with
    /// one exception: a `.waitForTaskToken` resource is looked up as written, then **without
    /// the suffix** — register `arn:aws:states:::sqs:sendMessage` for a state whose resource is
    /// `arn:aws:states:::sqs:sendMessage.waitForTaskToken`. That handler performs the request
    /// (it finds the token in the parameters it is given, e.g. from `$$.Task.Token`); the task
    /// then waits for [`Runtime::send_task_success`] or [`Runtime::send_task_failure`] with that
    /// token. A `.sync` resource keeps its suffix (register `arn:aws:states:::ecs:runTask.sync`
    /// as written) and its handler's result is the task's result. An activity ARN needs no
    /// handler: workers take its tasks with [`Runtime::get_activity_task`]. A `workflow!` task
    /// bound to the Rust handler `charge` has the resource `${charge}`, already in
    /// [`Workflow::tasks`](crate::Workflow::tasks).
    ///
    /// ```
    /// use stepfn::{asl::StateMachine, Runtime, TaskRegistry};
    /// let definition = r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "End": true,
    ///     "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    ///     "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}}}}"#;
    /// let mut tasks = TaskRegistry::new();
    /// // The key drops `.waitForTaskToken`.
    /// tasks.register_json("arn:aws:states:::sqs:sendMessage", |params| async move {
    ///     let _token = params["MessageBody"]["token"].clone(); // hand it to whoever answers
    ///     Ok(serde_json::json!({"MessageId": "m-1"}))
    /// });
    /// let rt = Runtime::in_memory();
    /// let machine = StateMachine::from_json_str(definition).unwrap();
    /// rt.register("Ask", machine, tasks).unwrap();
    /// ```
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
    /// form serves in-memory runs); add handlers for other resources with [`Runtime::register`]
    /// (its documentation gives the registry key rules: a `.waitForTaskToken` resource's key
    /// drops the suffix). [`Execution::start`] registers a workflow on first use.
    pub fn register_workflow<W: crate::Workflow>(&self) -> Result<String, RuntimeError> {
        self.register(W::NAME, W::state_machine(), W::tasks())
    }

    /// Removes a state machine: new executions of it are refused with `StateMachineDoesNotExist`;
    /// executions already running keep their interpreter and finish. True when it was registered.
    pub fn unregister(&self, name: &str) -> bool {
        lock(&self.inner.machines).remove(name).is_some()
    }

    /// Registers an interpreter under `name`. A Task whose `${…}` placeholder resource has no
    /// handler makes each new execution fail at its start with `States.Runtime`, naming the
    /// state and the resource (task tokens are available here: activities and
    /// `.waitForTaskToken` resources need no handler).
    pub fn register_interpreter(&self, name: &str, interpreter: Interpreter) {
        lock(&self.inner.machines).insert(name.to_string(), Machine::new(interpreter));
    }

    fn machine(&self, name: &str) -> Result<Machine, RuntimeError> {
        lock(&self.inner.machines)
            .get(name)
            .cloned()
            .ok_or_else(|| RuntimeError::StateMachineDoesNotExist(state_machine_arn(name)))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
