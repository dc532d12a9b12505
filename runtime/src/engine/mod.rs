//! The interpreter: runs any [`StateMachine`] with Step Functions' semantics on tokio.
//!
//! It is built from parts the compiled `workflow!` code shares: [`crate::io`] for input and
//! output processing, [`retry`] for Retry and Catch, [`choice`] for Choice rules, [`history`] for
//! the event history and [`tasks`] for task handlers.

pub mod callbacks;
pub mod choice;
pub(crate) mod durable;
pub mod history;
mod jsonata_states;
mod links;
pub mod retry;
pub mod tasks;

use crate::arn;
use crate::error::{names, StatesError};
use crate::io::context::ExecutionInfo;
use crate::io::jsonata::{JsonataCache, JsonataEngine};
use crate::io::{paths, size, template, Context, Env, Variables};
use durable::{child_key, Durable, FrameCk, Pos, RetryCk};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use history::{History, HistoryEvent};
use indexmap::IndexMap;
use links::Links;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use stepfn_asl::{
    Catcher, Expr, IoPath, MapMode, MapState, Parallel, Pass, PathRoot, QueryLanguage, ResultPath,
    Retrier, Selected, State, StateKind, StateMachine, Task, Template, Transition, Wait,
};
use tasks::{TaskRegistry, TaskRequest};

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still running.
    Running,
    /// Reached a Succeed state or an `End`.
    Succeeded,
    /// Failed with an error.
    Failed,
    /// Ran past the machine's `TimeoutSeconds`.
    TimedOut,
    /// Stopped from outside.
    Aborted,
}

impl ExecutionStatus {
    /// The AWS spelling, e.g. `SUCCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }

    /// Reads the AWS spelling back.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "TIMED_OUT" => Self::TimedOut,
            "ABORTED" => Self::Aborted,
            _ => return None,
        })
    }
}

/// The outcome of one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionResult {
    /// The terminal status.
    pub status: ExecutionStatus,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error name, when it did not.
    pub error: Option<String>,
    /// The cause, when it did not.
    pub cause: Option<String>,
    /// The events, when history was kept.
    pub history: Vec<HistoryEvent>,
}

/// Options of one execution.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// The execution's name (default: a new UUID).
    pub name: Option<String>,
    /// Keep the event history (Standard-like). Off, events are only counted (Express-like).
    pub keep_history: bool,
    /// The payload limit in bytes; `None` lifts it (AWS: 256 KiB).
    pub payload_limit: Option<usize>,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        Self {
            name: None,
            keep_history: true,
            payload_limit: Some(size::PAYLOAD_LIMIT),
        }
    }
}

/// A loaded state machine, ready to run executions.
#[derive(Debug, Clone)]
pub struct Interpreter {
    machine: Arc<StateMachine>,
    name: String,
    tasks: Arc<TaskRegistry>,
    /// True when some expression reads the context object (`$$`), so its facts must be kept.
    uses_context: bool,
    /// The machine's JSONata expressions, compiled once (`None` for JSONPath-only machines).
    jsonata: Option<Arc<JsonataCache>>,
    /// Every transition target resolved to its state's index, once.
    links: Arc<Links>,
    /// The ARNs every execution's facts repeat, formatted once.
    arns: Arc<MachineArns>,
    /// True when an execution's name and ARN can be seen: through `$$`, or by a Task (its
    /// request and task token carry the execution ARN).
    needs_identity: bool,
    /// The facts of executions whose identity cannot be seen (shared, not made per execution).
    anonymous: Arc<ExecutionInfo>,
}

/// The parts of the context object's facts that depend on the machine alone.
#[derive(Debug)]
struct MachineArns {
    /// `arn:aws:states:…:execution:{machine}:` (the execution's name follows).
    execution_prefix: String,
    role_arn: String,
    state_machine_id: String,
}

impl MachineArns {
    fn new(machine: &str) -> Self {
        Self {
            execution_prefix: arn::execution_prefix(REGION, arn::DEFAULT_ACCOUNT, machine),
            role_arn: arn::DEFAULT_ROLE_ARN.to_string(),
            state_machine_id: arn::state_machine(REGION, arn::DEFAULT_ACCOUNT, machine),
        }
    }

    /// The ARN of execution `name`.
    fn execution_arn(&self, name: &str) -> String {
        let mut id = String::with_capacity(self.execution_prefix.len() + name.len());
        id.push_str(&self.execution_prefix);
        id.push_str(name);
        id
    }
}

/// The region named in task events.
const REGION: &str = arn::DEFAULT_REGION;

impl Interpreter {
    /// An interpreter for `machine`, called `name`, with task handlers.
    pub fn new(machine: StateMachine, name: impl Into<String>, tasks: TaskRegistry) -> Self {
        let uses_context = machine_json_mentions_context(&machine);
        let jsonata =
            JsonataCache::for_machine(&machine, crate::io::jsonata::default_engine()).map(Arc::new);
        let name = name.into();
        let arns = MachineArns::new(&name);
        let anonymous = Arc::new(ExecutionInfo {
            id: String::new(),
            name: String::new(),
            start_time: String::new(),
            input: Value::Null,
            role_arn: arns.role_arn.clone(),
            redrive_count: 0,
            state_machine_id: arns.state_machine_id.clone(),
            state_machine_name: name.clone(),
        });
        // Shared and never moved again: the resolved links name its scopes by address.
        let machine = Arc::new(machine);
        Self {
            uses_context,
            needs_identity: uses_context || has_tasks(&machine.states),
            anonymous,
            jsonata,
            links: Arc::new(Links::new(&machine)),
            arns: Arc::new(arns),
            machine,
            name,
            tasks: Arc::new(tasks),
        }
    }

    /// Uses `engine` for the machine's JSONata expressions instead of the default one.
    pub fn with_jsonata_engine(mut self, engine: Arc<dyn JsonataEngine>) -> Self {
        self.jsonata = JsonataCache::for_machine(&self.machine, engine).map(Arc::new);
        self
    }

    /// The state machine.
    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    /// Runs one execution to its end.
    pub async fn execute(&self, input: Value, options: ExecutionOptions) -> ExecutionResult {
        match self.begin(input, options) {
            Begun::Ended(result) => result,
            // Boxed: executors move the future they are given by value, and the rest of an
            // execution is a large future; this one holds a pointer.
            Begun::Running(running) => Box::pin(self.run_rest(running)).await,
        }
    }

    /// The execution's facts. `Execution.StartTime` (and `Execution.Input`) are only read
    /// through `$$`, so they are made only when the machine reads it.
    fn execution_info(
        &self,
        name: String,
        start_time: impl FnOnce() -> String,
        input: &Value,
        redrive_count: u64,
    ) -> ExecutionInfo {
        let arns = &self.arns;
        ExecutionInfo {
            id: arns.execution_arn(&name),
            name,
            start_time: if self.uses_context {
                start_time()
            } else {
                String::new()
            },
            // Kept only when `$$` is read somewhere: copying a large input costs.
            input: if self.uses_context {
                input.clone()
            } else {
                Value::Null
            },
            role_arn: arns.role_arn.clone(),
            redrive_count,
            state_machine_id: arns.state_machine_id.clone(),
            state_machine_name: self.name.clone(),
        }
    }

    /// Starts an execution: its `ExecutionStarted` event, then, when the machine has no
    /// `TimeoutSeconds`, the Pass, Choice, Succeed and Fail states from `StartAt` on, without a
    /// future. A machine made of such states ends here; otherwise what remains is returned.
    fn begin(&self, input: Value, options: ExecutionOptions) -> Begun<'_> {
        let needs_time = options.keep_history || self.uses_context;
        let clock = if needs_time {
            Clock::new()
        } else {
            Clock::lazy()
        };
        let info = if self.needs_identity || options.name.is_some() || options.keep_history {
            let exec_name = options.name.unwrap_or_else(new_uuid);
            Info::Own(Arc::new(self.execution_info(
                exec_name,
                || clock.now_rfc3339(),
                &input,
                0,
            )))
        } else {
            // Nothing can read the execution's name or ARN: no UUID, no strings.
            Info::Shared(&self.anonymous)
        };
        let history = History::new(options.keep_history);
        let exec = Exec {
            machine: &self.machine,
            tasks: &self.tasks,
            info,
            clock,
            payload_limit: options.payload_limit,
            needs_time,
            jsonata: self.jsonata.as_deref(),
            links: &self.links,
            dur: None,
            broker: None,
        };
        let started = history.push(
            0,
            "ExecutionStarted",
            || exec.clock.now_rfc3339(),
            || {
                Some((
                    "executionStartedEventDetails",
                    json!({
                        "input": to_text(&input),
                        "inputDetails": {"truncated": false},
                        "roleArn": exec.info.role_arn,
                    }),
                ))
            },
        );
        let mut size = match exec.payload_limit {
            None => None,
            Some(limit) => match size::checked(&input, limit) {
                Some(b) => Some(b),
                None => {
                    let e = StatesError::new(
                        names::DATA_LIMIT_EXCEEDED,
                        "The execution input exceeds the maximum payload size of 262144 bytes",
                    );
                    return Begun::Ended(conclude(&exec, &history, Err(Ending::Failed(e)), true));
                }
            },
        };
        let sm = &self.machine;
        let mut prev = started;
        let mut vars = Variables::new();
        let (state, input) = if sm.timeout_seconds.is_none() {
            let prefix = exec.run_simple_prefix(
                &sm.states,
                &sm.start_at,
                input,
                &mut size,
                &mut vars,
                &history,
                &mut prev,
            );
            match prefix {
                Ok(Prefix::Ended(output)) => {
                    return Begun::Ended(conclude(&exec, &history, Ok(output), true))
                }
                Err(e) => {
                    return Begun::Ended(conclude(&exec, &history, Err(Ending::Failed(e)), true))
                }
                Ok(Prefix::Awaits(state, input)) => (state, input),
            }
        } else {
            (sm.start_at.as_str(), input)
        };
        Begun::Running(Box::new(Running {
            exec,
            history,
            prev,
            vars,
            state,
            input,
        }))
    }

    /// Runs an execution on from where [`Self::begin`] stopped, to its end.
    async fn run_rest(&self, running: Box<Running<'_>>) -> ExecutionResult {
        let Running {
            exec,
            history,
            mut prev,
            mut vars,
            state,
            input,
        } = *running;
        let sm = &self.machine;
        let run = exec.run_scope(
            &sm.states, state, input, &mut vars, &history, &mut prev, None, None,
        );
        let outcome = match sm.timeout_seconds {
            Some(t) => match tokio::time::timeout(Duration::from_secs(t), run).await {
                Ok(r) => r.map_err(Ending::Failed),
                Err(_) => Err(Ending::TimedOut),
            },
            None => run.await.map_err(Ending::Failed),
        };
        conclude(&exec, &history, outcome, true)
    }

    /// Runs (or continues, after a crash) a Standard execution whose `ExecutionStarted` event is
    /// stored: every observable step is committed to `store` before it happens.
    pub(crate) async fn run_durable(
        &self,
        rec: &crate::store::ExecutionRecord,
        store: Arc<dyn crate::store::Store>,
        frames: Vec<(String, String)>,
        last_event: u64,
        broker: Arc<callbacks::Broker>,
    ) -> ExecutionResult {
        let input: Value = serde_json::from_str(&rec.input).unwrap_or(Value::Null);
        let start =
            jiff::Timestamp::from_millisecond(rec.start_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut info = self.execution_info(
            rec.name.clone(),
            || format!("{start:.3}"),
            &input,
            rec.redrive_count,
        );
        // The stored ARN, as the store knows it.
        info.id = rec.arn.clone();
        let info = Info::Own(Arc::new(info));
        let history = History::resume(last_event);
        let dur = Arc::new(Durable::new(rec.arn.clone(), store, frames));
        let top = dur.take_resume("");
        let exec = Exec {
            machine: &self.machine,
            tasks: &self.tasks,
            info,
            clock: broker.clock.clone(),
            payload_limit: Some(size::PAYLOAD_LIMIT),
            needs_time: true,
            jsonata: self.jsonata.as_deref(),
            links: &self.links,
            dur: Some(dur.clone()),
            broker: Some(broker.clone()),
        };
        let sm = &self.machine;
        // The event the first state follows: ExecutionStarted, or the redrive event.
        let mut prev = last_event;
        let run = async {
            let mut vars = Variables::new();
            exec.run_scope(
                &sm.states,
                &sm.start_at,
                input,
                &mut vars,
                &history,
                &mut prev,
                Some(""),
                top,
            )
            .await
        };
        let outcome = match sm.timeout_seconds {
            Some(t) => {
                // A redriven execution has its whole TimeoutSeconds again from the redrive.
                let from = rec.redrive_ms.unwrap_or(rec.start_ms);
                let left = durable::until(&exec.clock, from + t as i64 * 1000);
                match tokio::time::timeout(left, run).await {
                    Ok(r) => r.map_err(Ending::Failed),
                    Err(_) => Err(Ending::TimedOut),
                }
            }
            None => run.await.map_err(Ending::Failed),
        };
        // The events stay in the history too: the final snapshot commits them.
        let result = conclude(&exec, &history, outcome, false);
        let mut c = dur.snapshot(&history);
        if result.status == ExecutionStatus::Succeeded {
            c.frames.clear();
            c.clear_frames = true;
        }
        // A failed or timed-out execution keeps its checkpoints: a redrive continues from them.
        c.put_tasks.clear();
        c.remove_tasks.clear();
        c.clear_tasks = true;
        c.status = Some(crate::store::StatusChange {
            status: result.status,
            output: result.output.as_ref().map(to_text),
            error: result.error.clone(),
            cause: result.cause.clone(),
            stop_ms: Some(exec.clock.now().as_millisecond()),
            redrive_count: None,
            redrive_ms: None,
        });
        if let Err(e) = dur.commit(c).await {
            return ExecutionResult {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(names::RUNTIME.to_string()),
                cause: Some(e.cause),
                history: Vec::new(),
            };
        }
        result
    }
}

/// Records the execution's last event and builds its result; `take` moves the kept events
/// into it (else they are copied and stay in `history`).
fn conclude(
    exec: &Exec,
    history: &History,
    outcome: Result<Value, Ending>,
    take: bool,
) -> ExecutionResult {
    let prev = history.len();
    let events = || {
        if take {
            history.take_events()
        } else {
            history.events()
        }
    };
    match outcome {
        Ok(output) => {
            history.push(
                prev,
                "ExecutionSucceeded",
                || exec.clock.now_rfc3339(),
                || {
                    Some((
                        "executionSucceededEventDetails",
                        json!({"output": to_text(&output), "outputDetails": {"truncated": false}}),
                    ))
                },
            );
            ExecutionResult {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: events(),
            }
        }
        Err(Ending::Failed(e)) => {
            history.push(
                prev,
                "ExecutionFailed",
                || exec.clock.now_rfc3339(),
                || Some(("executionFailedEventDetails", error_details(&e))),
            );
            ExecutionResult {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(e.error),
                cause: Some(e.cause),
                history: events(),
            }
        }
        Err(Ending::TimedOut) => {
            let e = StatesError::new(
                names::TIMEOUT,
                "The execution ran longer than the state machine's TimeoutSeconds",
            );
            history.push(
                prev,
                "ExecutionTimedOut",
                || exec.clock.now_rfc3339(),
                || Some(("executionTimedOutEventDetails", error_details(&e))),
            );
            ExecutionResult {
                status: ExecutionStatus::TimedOut,
                output: None,
                error: Some(e.error),
                cause: Some(e.cause),
                history: events(),
            }
        }
    }
}

enum Ending {
    Failed(StatesError),
    TimedOut,
}

/// An execution after [`Interpreter::begin`].
enum Begun<'i> {
    /// It ended without awaiting.
    Ended(ExecutionResult),
    /// It awaits at `state`.
    Running(Box<Running<'i>>),
}

/// An execution started, to be continued from `state`.
struct Running<'i> {
    exec: Exec<'i>,
    history: History,
    prev: u64,
    vars: Variables,
    state: &'i str,
    input: Value,
}

/// Where a run of states that never await stopped.
enum Prefix<'m> {
    /// The scope ended with this output.
    Ended(Value),
    /// The state `.0`, entered with input `.1`, awaits.
    Awaits(&'m str, Value),
}

pub(crate) fn to_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub(crate) fn error_details(e: &StatesError) -> Value {
    let mut m = Map::new();
    if !e.error.is_empty() {
        m.insert("error".into(), Value::String(e.error.clone()));
    }
    if !e.cause.is_empty() {
        m.insert("cause".into(), Value::String(e.cause.clone()));
    }
    Value::Object(m)
}

/// Wall-clock time that follows tokio's clock, so a paused clock in tests moves timestamps too.
#[derive(Debug, Clone)]
pub struct Clock {
    /// The wall time and tokio's instant it starts from (set on first use by a lazy clock).
    start: std::sync::OnceLock<(jiff::Timestamp, tokio::time::Instant)>,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            start: std::sync::OnceLock::from((jiff::Timestamp::now(), tokio::time::Instant::now())),
        }
    }

    /// A clock that starts when it is first read: an execution that records no times (no
    /// history, no `$$`) then reads no clock at all.
    pub(crate) fn lazy() -> Self {
        Self {
            start: std::sync::OnceLock::new(),
        }
    }

    /// The current time.
    pub fn now(&self) -> jiff::Timestamp {
        let (wall, base) = *self
            .start
            .get_or_init(|| (jiff::Timestamp::now(), tokio::time::Instant::now()));
        let elapsed = tokio::time::Instant::now().saturating_duration_since(base);
        let d = jiff::SignedDuration::try_from(elapsed).unwrap_or(jiff::SignedDuration::ZERO);
        wall.checked_add(d).unwrap_or(wall)
    }

    /// The current time as RFC 3339 with milliseconds, as Step Functions prints it.
    pub fn now_rfc3339(&self) -> String {
        format!("{:.3}", self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// One running execution's shared parts (the machine's, borrowed from its interpreter).
struct Exec<'i> {
    /// False when neither history nor `$$` needs state entry times (saves a clock read per state).
    needs_time: bool,
    machine: &'i StateMachine,
    tasks: &'i TaskRegistry,
    info: Info<'i>,
    clock: Clock,
    payload_limit: Option<usize>,
    jsonata: Option<&'i JsonataCache>,
    links: &'i Links,
    /// The checkpoint writer of a Standard (durable) execution; `None` for in-memory runs.
    dur: Option<Arc<Durable>>,
    /// The pending activity and callback tasks of the runtime (durable runs only).
    broker: Option<Arc<callbacks::Broker>>,
}

/// An execution's facts: its own, or the interpreter's shared anonymous ones (borrowed, so an
/// execution nothing can identify costs no reference count).
enum Info<'i> {
    Own(Arc<ExecutionInfo>),
    Shared(&'i ExecutionInfo),
}

impl std::ops::Deref for Info<'_> {
    type Target = ExecutionInfo;
    fn deref(&self) -> &ExecutionInfo {
        match self {
            Info::Own(i) => i,
            Info::Shared(i) => i,
        }
    }
}

/// Where a frame parks: what a durable await needs to set its checkpoint.
struct Park<'x> {
    dur: &'x Durable,
    frame: &'x str,
    state: &'x str,
    history: &'x History,
    prev: &'x AtomicU64,
    entered: u64,
    entered_ms: i64,
}

impl Park<'_> {
    /// Sets the frame's checkpoint at `pos`, with the state's raw input and the frame's variables.
    fn set(&self, input: &Value, vars: &Variables, pos: Pos) {
        self.dur.set(
            self.frame,
            &FrameCk {
                state: self.state.to_string(),
                input: input.clone(),
                vars: vars.own().clone(),
                prev: self.prev.load(Relaxed),
                pos,
            },
        );
    }

    /// Sets the checkpoint and commits everything up to here.
    async fn commit(&self, input: &Value, vars: &Variables, pos: Pos) -> Result<(), StatesError> {
        self.set(input, vars, pos);
        self.dur.sync(self.history).await
    }
}

/// The checkpoint of a finished child frame.
fn done_ck(r: &Result<Value, StatesError>) -> FrameCk {
    FrameCk {
        state: String::new(),
        input: Value::Null,
        vars: Default::default(),
        prev: 0,
        pos: match r {
            Ok(v) => Pos::Done {
                output: Some(v.clone()),
                error: None,
            },
            Err(e) => Pos::Done {
                output: None,
                error: Some((e.error.clone(), e.cause.clone())),
            },
        },
    }
}

/// A finished child's result, from its checkpoint.
fn done_result(ck: &FrameCk) -> Option<Result<Value, StatesError>> {
    match &ck.pos {
        Pos::Done { output, error } => Some(match error {
            Some((e, c)) => Err(StatesError::new(e.clone(), c.clone())),
            None => Ok(output.clone().unwrap_or(Value::Null)),
        }),
        Pos::Failed { error, cause } => Some(Err(StatesError::new(error.clone(), cause.clone()))),
        _ => None,
    }
}

/// Where a Task, Parallel or Map state runs: its frame (durable runs), the checkpoint it restarts
/// from, and its entered event.
struct At<'f> {
    frame: Option<&'f str>,
    resume: Option<Pos>,
    entered: u64,
    entered_time: jiff::Timestamp,
}

impl Exec<'_> {
    /// The parking spot of a durable frame.
    fn park<'x>(
        &'x self,
        frame: Option<&'x str>,
        state: &'x str,
        history: &'x History,
        prev: &'x AtomicU64,
        entered: u64,
        entered_time: jiff::Timestamp,
    ) -> Option<Park<'x>> {
        match (&self.dur, frame) {
            (Some(dur), Some(frame)) => Some(Park {
                dur,
                frame,
                state,
                history,
                prev,
                entered,
                entered_ms: entered_time.as_millisecond(),
            }),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn wait_state<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        w: &'m Wait,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        frame: Option<&str>,
        resume: Option<Pos>,
        jsonata: bool,
        entered: u64,
        entered_time: jiff::Timestamp,
    ) -> Result<Step<'m>, StatesError> {
        if let Some(Pos::Wait {
            until_ms, output, ..
        }) = resume
        {
            tokio::time::sleep(durable::until(&self.clock, until_ms)).await;
            return Ok(step(&w.transition, output));
        }
        let (delay, next) = if jsonata {
            self.jx_wait(st, w, input, ctx, vars)?
        } else {
            self.wait(st, w, input, ctx, vars)?
        };
        if delay.is_zero() {
            return Ok(next);
        }
        let cell = AtomicU64::new(*prev);
        if let Some(park) = self.park(frame, name, history, &cell, entered, entered_time) {
            let output = match &next {
                Step::Next(_, v) | Step::End(v) => v.clone(),
            };
            let until_ms = self.clock.now().as_millisecond() + delay.as_millis() as i64;
            let pos = Pos::Wait {
                entered,
                entered_ms: entered_time.as_millisecond(),
                until_ms,
                output,
            };
            park.commit(&Value::Null, vars, pos).await?;
        }
        tokio::time::sleep(delay).await;
        Ok(next)
    }
}

/// Where a state goes after it finishes.
enum Step<'m> {
    Next(&'m str, Value),
    End(Value),
}

/// A state's own failure, prefixed the way AWS prefixes `States.Runtime` causes.
pub(crate) fn locate(mut e: StatesError, state: &str, entered: u64) -> StatesError {
    const PREFIX: &str = "An error occurred while executing the state";
    if (e.error == names::RUNTIME || e.error == names::QUERY_EVALUATION_ERROR)
        && !e.cause.starts_with(PREFIX)
    {
        e.cause = format!(
            "{PREFIX} '{state}' (entered at the event id #{entered}). {}",
            e.cause
        );
    }
    e
}

/// `…StateEntered` / `…StateExited` event types by state type.
pub(crate) fn state_event(kind: &StateKind, entered: bool) -> &'static str {
    match (kind, entered) {
        (StateKind::Pass(_), true) => "PassStateEntered",
        (StateKind::Pass(_), false) => "PassStateExited",
        (StateKind::Task(_), true) => "TaskStateEntered",
        (StateKind::Task(_), false) => "TaskStateExited",
        (StateKind::Choice(_), true) => "ChoiceStateEntered",
        (StateKind::Choice(_), false) => "ChoiceStateExited",
        (StateKind::Wait(_), true) => "WaitStateEntered",
        (StateKind::Wait(_), false) => "WaitStateExited",
        (StateKind::Succeed, true) => "SucceedStateEntered",
        (StateKind::Succeed, false) => "SucceedStateExited",
        (StateKind::Fail(_), true) => "FailStateEntered",
        (StateKind::Fail(_), false) => "FailStateExited",
        (StateKind::Parallel(_), true) => "ParallelStateEntered",
        (StateKind::Parallel(_), false) => "ParallelStateExited",
        (StateKind::Map(_), true) => "MapStateEntered",
        (StateKind::Map(_), false) => "MapStateExited",
    }
}

/// True when `p` reads the state input (not `$$` or a variable), or is `null`.
fn reads_input(p: Option<&IoPath>) -> bool {
    match p {
        None | Some(IoPath::Null) => true,
        Some(IoPath::Path(p)) => matches!(p.root(), PathRoot::Input),
    }
}

/// A bound of the output's JSON text length for a state whose output is its input seen through
/// InputPath and OutputPath, given `input`'s bound (`{}` counts 2 when a path is `null`).
pub(crate) fn subset_bound(st: &State, input: Option<usize>) -> Option<usize> {
    let subset = reads_input(st.input_path.as_ref()) && reads_input(st.output_path.as_ref());
    input.filter(|_| subset).map(|b| b + 2)
}

/// The work of a JSONPath Pass state: its result (`Result`, `Parameters`, or the effective
/// input), shown to `on_result` (where the interpreter evaluates `Assign`), placed by
/// ResultPath, then OutputPath. Shared by the interpreter and compiled workflows.
///
/// `size`: a bound of the input's JSON text length on entry (if known); on return, a bound of
/// the output's (`None` when unknown, or when there is no `payload_limit`).
#[inline(always)]
pub(crate) fn pass_output(
    st: &State,
    p: &Pass,
    input: Value,
    size: &mut Option<usize>,
    payload_limit: Option<usize>,
    env: &Env<'_>,
    on_result: impl FnOnce(&Value) -> Result<(), StatesError>,
) -> Result<Value, StatesError> {
    // A bound of the result's text known without counting it.
    let result_bound = match (&p.result, &p.parameters) {
        (Some(_), _) => None,
        (None, Some(t)) => size.and_then(|b| template::output_bound(t, b)),
        (None, None) => *size,
    };
    let result = match (&p.result, &p.parameters) {
        (Some(r), _) => r.clone(),
        (None, Some(t)) => template::evaluate(
            t,
            &*paths::input_path(st.input_path.as_ref(), &input, env)?,
            env,
        )?,
        (None, None) => paths::input_path(st.input_path.as_ref(), &input, env)?.into_owned(),
    };
    on_result(&result)?;
    *size = placed_bound(
        payload_limit,
        st,
        p.result_path.as_ref(),
        *size,
        &result,
        result_bound,
    );
    let out = paths::apply_result_path(p.result_path.as_ref(), input, result)?;
    paths::apply_io_path(st.output_path.as_ref(), out, env)
}

/// A bound of the JSON text length of a state output made by placing `result` (whose text is at
/// most `result_bound`, when known) into an input of bound `input` at `result_path`, then
/// applying OutputPath; `None` when unknown or there is no `payload_limit`.
fn placed_bound(
    payload_limit: Option<usize>,
    st: &State,
    result_path: Option<&ResultPath>,
    input: Option<usize>,
    result: &Value,
    result_bound: Option<usize>,
) -> Option<usize> {
    let limit = payload_limit?;
    if !reads_input(st.output_path.as_ref()) {
        return None;
    }
    let placed = match result_path {
        Some(ResultPath::Discard) => input?,
        None => result_bound.unwrap_or_else(|| size::bound(result, limit)),
        Some(ResultPath::Path(path)) => {
            // Each field on the path adds at most its quoted, escaped key, a colon, a comma
            // and the braces of an object made on the way.
            let keys: usize = path
                .segments()
                .iter()
                .map(|s| match s {
                    stepfn_asl::path::PathSegment::Field(k) => 6 * k.len() + 6,
                    _ => 0,
                })
                .sum();
            input? + result_bound.unwrap_or_else(|| size::bound(result, limit)) + keys
        }
    };
    Some(placed + 2)
}

/// The items of a JSONPath Map moved out of its raw input (an empty array is left in their place)
/// when nothing will read them there again, so each item is freed once its iteration ends instead
/// of living until the Map does: no Retry or Catch (a new attempt or the error output needs the
/// input), a ResultPath that replaces the input, no ItemSelector (it reads the effective input),
/// no Assign, no `…Path` count fields, and InputPath and ItemsPath definite paths into the input.
fn take_items(st: &State, m: &MapState, input: &mut Value) -> Option<Vec<Value>> {
    let replaces = match &m.result_path {
        None => true,
        Some(ResultPath::Path(p)) => p.is_root(),
        Some(ResultPath::Discard) => false,
    };
    if !replaces
        || !m.retry.is_empty()
        || !m.catch.is_empty()
        || m.item_selector.is_some()
        || m.parameters.is_some()
        || st.assign.is_some()
        || m.max_concurrency_path.is_some()
        || m.tolerated_failure_count_path.is_some()
        || m.tolerated_failure_percentage_path.is_some()
    {
        return None;
    }
    let into_input = |p: &stepfn_asl::Path| p.is_definite() && matches!(p.root(), PathRoot::Input);
    let input_path = match &st.input_path {
        None => None,
        Some(IoPath::Path(p)) if into_input(p) => Some(p),
        Some(_) => return None,
    };
    let items_path = match &m.items_path {
        Some(p) if !into_input(p) => return None,
        p => p.as_ref(),
    };
    let mut cur = input;
    for seg in input_path
        .into_iter()
        .chain(items_path)
        .flat_map(|p| p.segments())
    {
        cur = match (seg, cur) {
            (stepfn_asl::path::PathSegment::Field(f), Value::Object(o)) => {
                stepfn_asl::object::get_mut(o, f)?
            }
            (stepfn_asl::path::PathSegment::Index(i), Value::Array(a)) => {
                a.get_mut(usize::try_from(*i).ok()?)?
            }
            _ => return None,
        };
    }
    match cur {
        Value::Array(a) => Some(std::mem::take(a)),
        _ => None,
    }
}

/// The value an InputPath selects from `input`, borrowed, when it is `input` itself or a definite
/// path into it; `None` otherwise (`null`, `$$`, a variable, an indefinite or unmatched path).
fn borrowed_selection<'a>(p: Option<&IoPath>, input: &'a Value) -> Option<&'a Value> {
    match p {
        None => Some(input),
        Some(IoPath::Path(path))
            if path.is_definite() && matches!(path.root(), PathRoot::Input) =>
        {
            match path.select(input) {
                Selected::One(v) => Some(v),
                _ => None,
            }
        }
        Some(_) => None,
    }
}

/// True when a Task state is among `states` or inside their branches and item processors.
fn has_tasks(states: &IndexMap<String, State>) -> bool {
    states.values().any(|s| match &s.kind {
        StateKind::Task(_) => true,
        StateKind::Parallel(p) => p.branches.iter().any(|b| has_tasks(&b.states)),
        StateKind::Map(m) => has_tasks(&m.processor.states),
        _ => false,
    })
}

/// Pass, Choice, Succeed and Fail: the states that never await.
fn is_simple(kind: &StateKind) -> bool {
    matches!(
        kind,
        StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_)
    )
}

fn next_of(t: &Transition) -> Option<&str> {
    match t {
        Transition::Next(n) => Some(n),
        Transition::End => None,
    }
}

fn step<'m>(t: &'m Transition, v: Value) -> Step<'m> {
    match next_of(t) {
        Some(n) => Step::Next(n, v),
        None => Step::End(v),
    }
}

impl Exec<'_> {
    fn too_big(&self, v: &Value) -> bool {
        self.payload_limit.is_some_and(|l| size::exceeds(v, l))
    }

    fn check_size(&self, v: &Value, what: &str) -> Result<(), StatesError> {
        if self.too_big(v) {
            return Err(self.size_exceeded(what));
        }
        Ok(())
    }

    fn size_exceeded(&self, what: &str) -> StatesError {
        StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{what}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        )
    }

    /// Runs Pass, Choice, Succeed and Fail states from `name` on, without a future, until the
    /// scope ends or a state that awaits comes next.
    #[allow(clippy::too_many_arguments)]
    fn run_simple_prefix<'m>(
        &self,
        states: &'m IndexMap<String, State>,
        mut name: &'m str,
        mut input: Value,
        size: &mut Option<usize>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
    ) -> Result<Prefix<'m>, StatesError> {
        loop {
            let Some((key, state)) = self.links.get(states, name) else {
                return Err(StatesError::runtime(format!(
                    "the state `{name}` does not exist"
                )));
            };
            if !is_simple(&state.kind) {
                return Ok(Prefix::Awaits(name, input));
            }
            match self.run_simple_state(key, state, input, size, vars, history, prev)? {
                Step::Next(n, v) => {
                    name = n;
                    input = v;
                }
                Step::End(v) => return Ok(Prefix::Ended(v)),
            }
        }
    }

    /// Runs the states of one scope (the machine, a branch, an iteration) from `start`, or, for a
    /// durable frame restarting, from its checkpoint `resume`.
    #[allow(clippy::too_many_arguments)]
    fn run_scope<'a>(
        &'a self,
        states: &'a IndexMap<String, State>,
        start: &'a str,
        input: Value,
        vars: &'a mut Variables,
        history: &'a History,
        prev: &'a mut u64,
        frame: Option<&'a str>,
        resume: Option<FrameCk>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        async move {
            let mut name = start;
            let mut input = input;
            let mut pos = None;
            if let Some(ck) = resume {
                let Some((k, _)) = states.get_key_value(ck.state.as_str()) else {
                    return Err(StatesError::runtime(format!(
                        "the checkpoint names the state `{}`, which does not exist",
                        ck.state
                    )));
                };
                name = k.as_str();
                input = ck.input;
                vars.assign_all(ck.vars);
                *prev = ck.prev;
                pos = Some(ck.pos);
            }
            let dur = self.dur.as_deref().zip(frame);
            // An upper bound of `input`'s JSON text length, when known: the next state's output
            // bound follows from it without counting the whole output again.
            let mut size: Option<usize> = None;
            loop {
                let Some((_, state)) = self.links.get(states, name) else {
                    return Err(StatesError::runtime(format!(
                        "the state `{name}` does not exist"
                    )));
                };
                // Durable frames remember where they failed: a redrive restarts there.
                let before = dur.map(|_| (input.clone(), *prev));
                // Pass, Choice, Succeed and Fail never await: they run without a future.
                let simple = pos.is_none() && is_simple(&state.kind);
                let r = if simple {
                    self.run_simple_state(name, state, input, &mut size, vars, history, prev)
                } else {
                    size = None;
                    // Boxed: the scope's own future stays small (it is boxed once per run).
                    Box::pin(self.run_state(
                        name,
                        state,
                        input,
                        vars,
                        history,
                        prev,
                        frame,
                        pos.take(),
                    ))
                    .await
                };
                match r {
                    Ok(Step::Next(n, v)) => {
                        name = n;
                        input = v;
                    }
                    Ok(Step::End(v)) => return Ok(v),
                    Err(e) => {
                        if let (Some((d, key)), Some((input, prev))) = (dur, before) {
                            d.set(
                                key,
                                &FrameCk {
                                    state: name.to_string(),
                                    input,
                                    vars: vars.own().clone(),
                                    prev,
                                    pos: Pos::Failed {
                                        error: e.error.clone(),
                                        cause: e.cause.clone(),
                                    },
                                },
                            );
                        }
                        return Err(e);
                    }
                }
            }
        }
        .boxed()
    }

    fn ql(&self, st: &State) -> QueryLanguage {
        self.machine.effective_query_language(st)
    }

    /// Records the state's entered event (unless restarting inside it): its id and time.
    fn enter_state(
        &self,
        name: &str,
        st: &State,
        input: &Value,
        history: &History,
        prev: &mut u64,
        resume: Option<&Pos>,
    ) -> (u64, jiff::Timestamp) {
        match resume.and_then(Pos::entered) {
            // Restarting inside the state: its entered event is already stored.
            Some((id, ms)) => (
                id,
                jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            ),
            None => {
                let entered_time = if self.needs_time {
                    self.clock.now()
                } else {
                    jiff::Timestamp::UNIX_EPOCH
                };
                let entered = history.push(*prev, state_event(&st.kind, true), || format!("{entered_time:.3}"), || {
                    Some((
                        "stateEnteredEventDetails",
                        json!({"name": name, "input": to_text(input), "inputDetails": {"truncated": false}}),
                    ))
                });
                *prev = entered;
                (entered, entered_time)
            }
        }
    }

    /// The work of a state that never awaits (Pass, Choice, Succeed, Fail).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    ///
    /// `size`: a bound of the input's JSON text length on entry (if known); on return, a bound
    /// of the output's, where the state's output follows from its input and result.
    fn simple_body<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        input: Value,
        size: &mut Option<usize>,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        jsonata: bool,
        entered: u64,
    ) -> Result<Step<'m>, StatesError> {
        match &st.kind {
            _ if jsonata => {
                *size = None;
                self.jsonata_simple_body(name, st, input, ctx, vars, history, prev, entered)
            }
            StateKind::Pass(p) => self
                .pass(st, p, input, size, ctx, vars)
                .map(|v| step(&p.transition, v)),
            StateKind::Choice(c) => {
                *size = subset_bound(st, *size);
                self.choice(st, c, input, ctx, vars)
            }
            StateKind::Succeed => {
                *size = subset_bound(st, *size);
                let env = Env { context: ctx, vars };
                paths::apply_io_path(st.input_path.as_ref(), input, &env)
                    .and_then(|v| paths::apply_io_path(st.output_path.as_ref(), v, &env))
                    .map(Step::End)
            }
            StateKind::Fail(f) => {
                let env = Env { context: ctx, vars };
                Err(locate(self.fail(f, &input, &env), name, entered))
            }
            _ => Err(StatesError::runtime(format!(
                "the state `{name}` cannot run without awaiting"
            ))),
        }
    }

    /// [`Self::simple_body`] for the JSONata states.
    #[allow(clippy::too_many_arguments)]
    fn jsonata_simple_body<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        entered: u64,
    ) -> Result<Step<'m>, StatesError> {
        match &st.kind {
            StateKind::Pass(p) => self
                .jx_pass(st, p, input, ctx, vars)
                .map(|v| step(&p.transition, v)),
            StateKind::Choice(c) => self.jx_choice(st, c, input, ctx, vars),
            StateKind::Succeed => self.jx_succeed(st, input, ctx, vars).map(Step::End),
            StateKind::Fail(f) => {
                let e = locate(self.jx_fail(f, &input, ctx, vars), name, entered);
                if e.error == names::QUERY_EVALUATION_ERROR {
                    *prev = self.evaluation_failed(history, *prev, name, &e);
                }
                Err(e)
            }
            _ => Err(StatesError::runtime(format!(
                "the state `{name}` cannot run without awaiting"
            ))),
        }
    }

    /// Closes a state: its failure (located, with an `EvaluationFailed` event for the simple
    /// states' JSONata failures), or its output's size check and exited event.
    ///
    /// `size` holds, on entry, an upper bound of the output's JSON text length when the state
    /// knows one (else `None`: the output is counted), and on return a bound for the output.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn leave_state<'m>(
        &self,
        name: &str,
        st: &State,
        result: Result<Step<'m>, StatesError>,
        history: &History,
        prev: &mut u64,
        entered: u64,
        size: &mut Option<usize>,
    ) -> Result<Step<'m>, StatesError> {
        let step = match result {
            Ok(s) => s,
            Err(e) => {
                let e = locate(e, name, entered);
                // Task, Parallel and Map record their own evaluation failures; so does Fail.
                let simple = matches!(
                    st.kind,
                    StateKind::Pass(_)
                        | StateKind::Choice(_)
                        | StateKind::Wait(_)
                        | StateKind::Succeed
                );
                if simple && e.error == names::QUERY_EVALUATION_ERROR {
                    *prev = self.evaluation_failed(history, *prev, name, &e);
                }
                return Err(e);
            }
        };
        let out = match &step {
            Step::Next(_, v) | Step::End(v) => v,
        };
        *size = match (self.payload_limit, *size) {
            (None, _) => None,
            (Some(limit), Some(b)) if b <= limit => Some(b),
            (Some(limit), _) => match size::checked(out, limit) {
                Some(b) => Some(b),
                None => return Err(self.size_exceeded(name)),
            },
        };
        *prev = history.push(*prev, state_event(&st.kind, false), || self.clock.now_rfc3339(), || {
            Some((
                "stateExitedEventDetails",
                json!({"name": name, "output": to_text(out), "outputDetails": {"truncated": false}}),
            ))
        });
        Ok(step)
    }

    /// Runs a Pass, Choice, Succeed or Fail state entered afresh, without a future.
    ///
    /// `size`: a bound of the input's JSON text length on entry (if known), of the output's on
    /// return.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn run_simple_state<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        input: Value,
        size: &mut Option<usize>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
    ) -> Result<Step<'m>, StatesError> {
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let (entered, entered_time) = self.enter_state(name, st, &input, history, prev, None);
        let ctx = Context::new(&self.info, name, entered_time, 0);
        let result = self.simple_body(
            name, st, input, size, &ctx, vars, history, prev, jsonata, entered,
        );
        drop(ctx);
        self.leave_state(name, st, result, history, prev, entered, size)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_state<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        input: Value,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        frame: Option<&str>,
        resume: Option<Pos>,
    ) -> Result<Step<'m>, StatesError> {
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let (entered, entered_time) =
            self.enter_state(name, st, &input, history, prev, resume.as_ref());
        let ctx = Context::new(&self.info, name, entered_time, 0);
        let at = At {
            frame,
            resume,
            entered,
            entered_time,
        };
        let result = match &st.kind {
            StateKind::Wait(w) => {
                self.wait_state(
                    name,
                    st,
                    w,
                    input,
                    &ctx,
                    vars,
                    history,
                    prev,
                    at.frame,
                    at.resume,
                    jsonata,
                    entered,
                    entered_time,
                )
                .await
            }
            StateKind::Task(t) => {
                self.task(name, st, t, input, ctx, vars, history, prev, at)
                    .await
            }
            StateKind::Parallel(p) => {
                self.parallel(name, st, p, input, ctx, vars, history, prev, at)
                    .await
            }
            StateKind::Map(m) => {
                self.map(name, st, m, input, ctx, vars, history, prev, at)
                    .await
            }
            StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_) => {
                self.simple_body(
                    name, st, input, &mut None, &ctx, vars, history, prev, jsonata, entered,
                )
            }
        };
        self.leave_state(name, st, result, history, prev, entered, &mut None)
    }

    /// The tail shared by Task, Parallel and Map: a result goes through ResultSelector,
    /// ResultPath and OutputPath (or the JSONata `Output`) to `Next`; a caught error goes to its
    /// catcher's `Next` with the error output already placed.
    #[allow(clippy::too_many_arguments)]
    fn conclude_guarded<'m>(
        &self,
        outcome: Result<Value, (&'m Catcher, Value)>,
        st: &State,
        (result_selector, result_path): (Option<&Template>, Option<&stepfn_asl::ResultPath>),
        transition: &'m Transition,
        jsonata: bool,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        (history, prev, name): (&History, &mut u64, &str),
    ) -> Result<Step<'m>, StatesError> {
        match outcome {
            Ok(result) => {
                let out = if jsonata {
                    self.jx_finish(st, &input, result, ctx, vars)
                } else {
                    self.finish(st, result_selector, result_path, input, result, ctx, vars)
                };
                let cell = AtomicU64::new(*prev);
                self.note_eval_failure(&out, history, &cell, name);
                *prev = cell.load(Relaxed);
                Ok(step(transition, out?))
            }
            Err((c, out)) => Ok(Step::Next(&c.next, out)),
        }
    }

    /// Records an `EvaluationFailed` event when `r` is a JSONata failure; true when it did.
    fn note_eval_failure<T>(
        &self,
        r: &Result<T, StatesError>,
        history: &History,
        prev: &AtomicU64,
        name: &str,
    ) -> bool {
        match r {
            Err(e) if e.error == names::QUERY_EVALUATION_ERROR => {
                prev.store(
                    self.evaluation_failed(history, prev.load(Relaxed), name, e),
                    Relaxed,
                );
                true
            }
            _ => false,
        }
    }

    /// Records an `EvaluationFailed` event for a JSONata failure; returns its id.
    fn evaluation_failed(&self, history: &History, prev: u64, name: &str, e: &StatesError) -> u64 {
        history.push(
            prev,
            "EvaluationFailed",
            || self.clock.now_rfc3339(),
            || {
                let mut d = error_details(e);
                if let Some(m) = d.as_object_mut() {
                    m.insert("state".into(), Value::String(name.to_string()));
                }
                Some(("evaluationFailedEventDetails", d))
            },
        )
    }

    /// Fails when one state assigns more than 256 KiB of variables.
    fn check_assigned(&self, assigned: &[(String, Value)]) -> Result<(), StatesError> {
        let mut total = 0usize;
        for (k, v) in assigned {
            let left = size::PAYLOAD_LIMIT.saturating_sub(total);
            if size::exceeds(v, left) {
                return Err(StatesError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "The variables assigned by the state exceed the maximum size of {} bytes (at variable '{k}').",
                        size::PAYLOAD_LIMIT
                    ),
                ));
            }
            if assigned.len() > 1 {
                total += serde_json::to_string(v).map(|t| t.len()).unwrap_or(0);
            }
        }
        Ok(())
    }

    /// Applies a state's `Assign` (JSONPath): `$` is `basis`; values take effect after the state.
    #[inline(always)]
    fn assign(
        &self,
        st: &State,
        basis: &Value,
        env: &Env<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, StatesError> {
        match &st.assign {
            None => Ok(None),
            Some(a) => self.assign_some(a, basis, env),
        }
    }

    fn assign_some(
        &self,
        a: &stepfn_asl::Assign,
        basis: &Value,
        env: &Env<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, StatesError> {
        let assigned = Self::eval_assign(&a.template, basis, env)?;
        self.check_assigned(&assigned)?;
        Ok(Some(assigned))
    }

    fn eval_assign(
        t: &Template,
        basis: &Value,
        env: &Env<'_>,
    ) -> Result<Vec<(String, Value)>, StatesError> {
        match template::evaluate(t, basis, env)? {
            Value::Object(m) => Ok(m.into_iter().collect()),
            _ => Ok(Vec::new()),
        }
    }

    /// A JSONPath Pass state. `size`: a bound of the input's JSON text length on entry (if
    /// known), of the output's on return.
    #[inline(always)]
    fn pass(
        &self,
        st: &State,
        p: &Pass,
        input: Value,
        size: &mut Option<usize>,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let env = Env { context: ctx, vars };
        let mut assigned = None;
        let out = pass_output(st, p, input, size, self.payload_limit, &env, |result| {
            assigned = self.assign(st, result, &env)?;
            Ok(())
        })?;
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok(out)
    }

    fn choice<'m>(
        &self,
        st: &'m State,
        c: &'m stepfn_asl::Choice,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Step<'m>, StatesError> {
        let env = Env { context: ctx, vars };
        let effective = paths::apply_io_path(st.input_path.as_ref(), input, &env)?;
        let mut target = None;
        let mut rule_assign = None;
        for rule in &c.choices {
            if choice::evaluate(&rule.condition, &effective, &env)? {
                target = rule.next.as_deref();
                rule_assign = rule.assign.as_ref();
                break;
            }
        }
        let target = match target.or(c.default.as_deref()) {
            Some(t) => t,
            None => return Err(StatesError::new(names::NO_CHOICE_MATCHED, "No Matches!")),
        };
        let mut assigned = self.assign(st, &effective, &env)?.unwrap_or_default();
        if let Some(a) = rule_assign {
            assigned.extend(Self::eval_assign(&a.template, &effective, &env)?);
        }
        let out = paths::apply_io_path(st.output_path.as_ref(), effective, &env)?;
        for (k, v) in assigned {
            vars.set(k, v);
        }
        Ok(Step::Next(target, out))
    }

    fn fail(&self, f: &stepfn_asl::Fail, input: &Value, env: &Env<'_>) -> StatesError {
        let text = |lit: &Option<Expr<String>>,
                    path: &Option<Template>,
                    field: &str|
         -> Result<String, StatesError> {
            if let Some(Expr::Literal(s)) = lit {
                return Ok(s.clone());
            }
            let Some(t) = path else {
                return Ok(String::new());
            };
            let v = match t {
                Template::Path(p) => paths::select(p, input, env)?
                    .ok_or_else(|| paths::path_not_found(p, field, input))?,
                other => template::evaluate(other, input, env)?,
            };
            match v {
                Value::String(s) => Ok(s),
                other => Ok(to_text(&other)),
            }
        };
        let error = match text(&f.error, &f.error_path, "ErrorPath") {
            Ok(e) => e,
            Err(e) => return e,
        };
        let cause = match text(&f.cause, &f.cause_path, "CausePath") {
            Ok(c) => c,
            Err(e) => return e,
        };
        StatesError::new(error, cause)
    }

    /// A Wait: its delay and where it goes after (variables already assigned: nothing can read
    /// them while it sleeps).
    fn wait<'m>(
        &self,
        st: &'m State,
        w: &'m Wait,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<(Duration, Step<'m>), StatesError> {
        let (delay, out, assigned) = {
            let env = Env { context: ctx, vars };
            let effective = paths::apply_io_path(st.input_path.as_ref(), input, &env)?;
            let delay = self.wait_duration(w, &effective, &env)?;
            let assigned = self.assign(st, &effective, &env)?;
            let out = paths::apply_io_path(st.output_path.as_ref(), effective, &env)?;
            (delay, out, assigned)
        };
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok((delay, step(&w.transition, out)))
    }

    fn wait_duration(
        &self,
        w: &Wait,
        input: &Value,
        env: &Env<'_>,
    ) -> Result<Duration, StatesError> {
        wait_duration(w, input, env, &self.clock)
    }

    /// Runs `attempt` under the state's Retry and Catch. On a caught error, returns the catcher
    /// and the error output placed into the raw input.
    #[allow(clippy::too_many_arguments)]
    async fn with_retry<'m, F, Fut>(
        &self,
        retry: &'m [Retrier],
        catch: &'m [Catcher],
        raw_input: &Value,
        ctx: &Context<'_>,
        jsonata: bool,
        vars: &mut Variables,
        park: Option<Park<'_>>,
        resume: Option<&Pos>,
        mut attempt: F,
    ) -> Result<Result<Value, (&'m Catcher, Value)>, StatesError>
    where
        F: FnMut(&RetryCk, &Variables) -> Fut,
        Fut: std::future::Future<Output = Result<Value, StatesError>>,
    {
        let mut rc = RetryCk {
            counters: vec![0u64; retry.len()],
            retry_count: 0,
        };
        match resume {
            Some(Pos::Task { retry: r, .. }) | Some(Pos::Children { retry: r, .. }) => {
                rc = r.clone();
            }
            Some(Pos::Backoff {
                retry: r, until_ms, ..
            }) => {
                rc = r.clone();
                tokio::time::sleep(durable::until(&self.clock, *until_ms)).await;
            }
            _ => {}
        }
        rc.counters.resize(retry.len(), 0);
        loop {
            match attempt(&rc, vars).await {
                Ok(v) => return Ok(Ok(v)),
                Err(e) => {
                    if let Some(i) = retry::find_retrier(retry, &e.error) {
                        let r = &retry[i];
                        if rc.counters[i] < r.attempts() {
                            rc.counters[i] += 1;
                            rc.retry_count += 1;
                            let d = retry::delay(r, rc.counters[i], fastrand::f64());
                            if !d.is_zero() {
                                if let Some(p) = &park {
                                    let until_ms =
                                        self.clock.now().as_millisecond() + d.as_millis() as i64;
                                    let pos = Pos::Backoff {
                                        entered: p.entered,
                                        entered_ms: p.entered_ms,
                                        retry: rc.clone(),
                                        until_ms,
                                    };
                                    p.commit(raw_input, vars, pos).await?;
                                }
                                tokio::time::sleep(d).await;
                            }
                            continue;
                        }
                    }
                    if let Some(i) = retry::find_catcher(catch, &e.error) {
                        let c = &catch[i];
                        let error_output = json!({"Error": e.error, "Cause": e.cause});
                        if jsonata {
                            let out = self.jx_catch(c, raw_input, error_output, ctx, vars)?;
                            return Ok(Err((c, out)));
                        }
                        let env = Env { context: ctx, vars };
                        if let Some(a) = &c.assign {
                            let assigned = Self::eval_assign(&a.template, &error_output, &env)?;
                            for (k, v) in assigned {
                                vars.set(k, v);
                            }
                        }
                        let out = paths::apply_result_path(
                            c.result_path.as_ref(),
                            raw_input.clone(),
                            error_output,
                        )?;
                        return Ok(Err((c, out)));
                    }
                    return Err(e);
                }
            }
        }
    }

    /// The common tail of Task, Parallel and Map: ResultSelector → Assign → ResultPath → OutputPath.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        st: &State,
        result_selector: Option<&Template>,
        result_path: Option<&stepfn_asl::ResultPath>,
        raw_input: Value,
        result: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let env = Env { context: ctx, vars };
        let result = match result_selector {
            Some(t) => template::evaluate(t, &result, &env)?,
            None => result,
        };
        let assigned = self.assign(st, &result, &env)?;
        let out = paths::apply_result_path(result_path, raw_input, result)?;
        let out = paths::apply_io_path(st.output_path.as_ref(), out, &env)?;
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn task<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        t: &'m Task,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step<'m>, StatesError> {
        let (resource_type, resource) = resource_parts(&t.resource);
        let lambda = t.resource.starts_with("arn:aws:lambda:");
        let ev =
            |task: &'static str, lambda_name: &'static str| if lambda { lambda_name } else { task };
        let timeout = match &t.timeout_seconds {
            Some(Expr::Literal(s)) => Some(*s),
            _ => None,
        };
        let prev_cell = AtomicU64::new(*prev);
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let park = self.park(
            at.frame,
            name,
            history,
            &prev_cell,
            at.entered,
            at.entered_time,
        );
        let park_ref = park.as_ref();
        let mut in_flight = match &at.resume {
            Some(Pos::Task {
                params,
                timeout_ms,
                key,
                heartbeat_s,
                token,
                started,
                submitted,
                ..
            }) => Some(callbacks::InFlight {
                params: params.clone(),
                timeout_ms: *timeout_ms,
                heartbeat_s: *heartbeat_s,
                token: token.clone(),
                key: key.clone(),
                started: *started,
                submitted: *submitted,
            }),
            _ => None,
        };
        let raw_input = &input;
        let outcome = self
            .with_retry(&t.retry, &t.catch, &input, &ctx, jsonata, vars, self.park(at.frame, name, history, &prev_cell, at.entered, at.entered_time), at.resume.as_ref(), |rc, vars| {
                let attempt = rc.retry_count;
                let resumed = in_flight.take();
                // Activities and `.waitForTaskToken` tasks of durable executions wait for an
                // answer to a token, which `$$.Task.Token` holds while Parameters are evaluated.
                let mode = self.task_mode(&t.resource);
                let waits = park_ref.is_some()
                    && match &resumed {
                        Some(r) => r.token.is_some(),
                        None => matches!(mode, callbacks::Mode::Wait(_)),
                    };
                let wait_handler = match mode {
                    callbacks::Mode::Wait(h) => h,
                    callbacks::Mode::Direct => None,
                };
                let token = waits.then(|| {
                    resumed
                        .as_ref()
                        .and_then(|r| r.token.clone())
                        .unwrap_or_else(|| callbacks::new_token(&self.info.id))
                });
                let tctx = token.as_ref().map(|tok| {
                    Context::new(ctx.execution, ctx.state_name, ctx.entered_time, ctx.retry_count)
                        .with_task_token(tok.clone())
                });
                let ectx = tctx.as_ref().unwrap_or(&ctx);
                let env = Env { context: ectx, vars };
                let prepared = if jsonata {
                    self.jx_task_args(t, &input, ectx, vars)
                } else { paths::input_path(st.input_path.as_ref(), &input, &env).and_then(|eff| {
                    let timeout = match &t.timeout_seconds_path {
                        Some(p) => paths::select(p, &eff, &env)?.and_then(|v| v.as_u64()).or(timeout),
                        None => timeout,
                    };
                    let heartbeat = match (&t.heartbeat_seconds, &t.heartbeat_seconds_path) {
                        (Some(Expr::Literal(s)), _) => Some(*s),
                        (_, Some(p)) => paths::select(p, &eff, &env)?.and_then(|v| v.as_u64()),
                        _ => None,
                    };
                    match &t.parameters {
                        Some(tpl) => template::evaluate(tpl, &eff, &env).map(|v| (v, timeout, heartbeat)),
                        None => Ok((eff.into_owned(), timeout, heartbeat)),
                    }
                }) };
                drop(tctx);
                let handler = self.tasks.get(&t.resource).cloned();
                // Stable across a crash: the execution, the frame, the visit (its entered event
                // id, committed before any handler sees the key) and the attempt.
                let idempotency_key = format!(
                    "{}/{}{}/{}/{}",
                    self.info.id,
                    at.frame.unwrap_or(""),
                    name,
                    at.entered,
                    attempt
                );
                let prev_cell = &prev_cell;
                let resource_type = resource_type.clone();
                let resource = resource.clone();
                let vars_now = park_ref.map(|_| vars.clone());
                let rc = rc.clone();
                async move {
                    if let (Some(token), Some(park), Some(vars)) = (token, park_ref, &vars_now) {
                        let call = callbacks::Call {
                            name,
                            resource: &t.resource,
                            resource_type: resource_type.clone(),
                            resource_short: resource.clone(),
                            activity: callbacks::is_activity(&t.resource),
                            handler: wait_handler,
                            attempt,
                        };
                        let fresh = match resumed {
                            Some(_) => None,
                            None => {
                                self.note_eval_failure(&prepared, history, prev_cell, name);
                                Some(prepared)
                            }
                        };
                        return self
                            .wait_attempt(call, token, fresh, resumed, idempotency_key, park, vars, raw_input, rc, history, prev_cell)
                            .await;
                    }
                    let details = |extra: Value| {
                        let mut m = json!({"resourceType": resource_type, "resource": resource});
                        if let (Some(m), Value::Object(x)) = (m.as_object_mut(), extra) {
                            m.extend(x);
                        }
                        m
                    };
                    let (params, timeout, idempotency_key) = match resumed {
                        // Restarting an attempt that was in flight: invoke it again, same key.
                        Some(fl) => {
                            let left = fl.timeout_ms.map(|ms| durable::until(&self.clock, ms));
                            (fl.params, left, fl.key)
                        }
                        None => {
                            self.note_eval_failure(&prepared, history, prev_cell, name);
                            let (params, timeout, _heartbeat) = prepared?;
                            self.check_size(&params, name)?;
                            let p = history.push(prev_cell.load(Relaxed), ev("TaskScheduled", "LambdaFunctionScheduled"), || self.clock.now_rfc3339(), || {
                                let mut d = details(json!({"region": REGION, "parameters": to_text(&params)}));
                                if let (Some(t), Some(m)) = (timeout, d.as_object_mut()) {
                                    m.insert("timeoutInSeconds".into(), json!(t));
                                }
                                Some((if lambda { "lambdaFunctionScheduledEventDetails" } else { "taskScheduledEventDetails" }, d))
                            });
                            let p = history.push(p, ev("TaskStarted", "LambdaFunctionStarted"), || self.clock.now_rfc3339(), || {
                                Some((if lambda { "lambdaFunctionStartedEventDetails" } else { "taskStartedEventDetails" }, details(json!({}))))
                            });
                            prev_cell.store(p, Relaxed);
                            if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                                let timeout_ms = timeout.map(|s| self.clock.now().as_millisecond() + s as i64 * 1000);
                                let pos = Pos::Task {
                                    entered: park.entered,
                                    entered_ms: park.entered_ms,
                                    retry: rc,
                                    params: params.clone(),
                                    timeout_ms,
                                    heartbeat_s: None,
                                    token: None,
                                    key: idempotency_key.clone(),
                                    started: false,
                                    submitted: false,
                                };
                                park.commit(raw_input, vars, pos).await?;
                            }
                            (params, timeout.map(Duration::from_secs), idempotency_key)
                        }
                    };
                    let Some(handler) = handler else {
                        let e = StatesError::new(
                            names::TASK_FAILED,
                            format!("no task handler is registered for the resource `{}`", t.resource),
                        );
                        let p = history.push(prev_cell.load(Relaxed), ev("TaskFailed", "LambdaFunctionFailed"), || self.clock.now_rfc3339(), || {
                            Some(("taskFailedEventDetails", details(error_details(&e))))
                        });
                        prev_cell.store(p, Relaxed);
                        return Err(e);
                    };
                    let fut = handler.invoke(TaskRequest {
                        state_name: name.to_string(),
                        resource: t.resource.clone(),
                        input: params,
                        attempt,
                        idempotency_key,
                        task_token: None,
                    });
                    let r = match timeout {
                        Some(s) => match tokio::time::timeout(s, fut).await {
                            Ok(r) => r,
                            Err(_) => {
                                let e = StatesError::new(names::TIMEOUT, "Task timed out.");
                                let p = history.push(prev_cell.load(Relaxed), ev("TaskTimedOut", "LambdaFunctionTimedOut"), || self.clock.now_rfc3339(), || {
                                    Some(("taskTimedOutEventDetails", details(error_details(&e))))
                                });
                                prev_cell.store(p, Relaxed);
                                return Err(e);
                            }
                        },
                        None => fut.await,
                    };
                    match r {
                        Ok(v) => {
                            self.check_size(&v, name)?;
                            let p = history.push(prev_cell.load(Relaxed), ev("TaskSucceeded", "LambdaFunctionSucceeded"), || self.clock.now_rfc3339(), || {
                                Some((
                                    if lambda { "lambdaFunctionSucceededEventDetails" } else { "taskSucceededEventDetails" },
                                    details(json!({"output": to_text(&v), "outputDetails": {"truncated": false}})),
                                ))
                            });
                            prev_cell.store(p, Relaxed);
                            Ok(v)
                        }
                        Err(e) => {
                            let p = history.push(prev_cell.load(Relaxed), ev("TaskFailed", "LambdaFunctionFailed"), || self.clock.now_rfc3339(), || {
                                Some((
                                    if lambda { "lambdaFunctionFailedEventDetails" } else { "taskFailedEventDetails" },
                                    details(error_details(&e)),
                                ))
                            });
                            prev_cell.store(p, Relaxed);
                            Err(e)
                        }
                    }
                }
            })
            .await;
        *prev = prev_cell.load(Relaxed);
        self.conclude_guarded(
            outcome?,
            st,
            (t.result_selector.as_ref(), t.result_path.as_ref()),
            &t.transition,
            jsonata,
            input,
            &ctx,
            vars,
            (history, prev, name),
        )
    }

    #[allow(clippy::too_many_arguments)]
    async fn parallel<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        p: &'m Parallel,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step<'m>, StatesError> {
        let entered_at = at.entered;
        let prev_cell = AtomicU64::new(*prev);
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let park = self.park(
            at.frame,
            name,
            history,
            &prev_cell,
            at.entered,
            at.entered_time,
        );
        let park_ref = park.as_ref();
        // A redrive re-enters the state keeping the checkpoints of its finished children.
        let mut redrive = matches!(at.resume, Some(Pos::Redrive));
        let mut resumed_started = match &at.resume {
            Some(Pos::Children { started, .. }) => Some(*started),
            _ => None,
        };
        let raw_input = &input;
        let frame = at.frame;
        let outcome = self
            .with_retry(
                &p.retry,
                &p.catch,
                &input,
                &ctx,
                jsonata,
                vars,
                self.park(
                    at.frame,
                    name,
                    history,
                    &prev_cell,
                    at.entered,
                    at.entered_time,
                ),
                at.resume.as_ref(),
                |rc, vars| {
                    let resumed = resumed_started.take();
                    let keep_children = std::mem::take(&mut redrive);
                    let rc = rc.clone();
                    let vars_now = park_ref.map(|_| vars.clone());
                    let env = Env {
                        context: &ctx,
                        vars,
                    };
                    let prepared = if jsonata {
                        self.jx_arguments(p.arguments.as_ref(), &input, &ctx, vars)
                    } else {
                        paths::input_path(st.input_path.as_ref(), &input, &env).and_then(|eff| {
                            match &p.parameters {
                                Some(t) => template::evaluate(t, &eff, &env),
                                None => Ok(eff.into_owned()),
                            }
                        })
                    };
                    let outer = Arc::new(vars.clone());
                    let prev_cell = &prev_cell;
                    async move {
                        let started = match resumed {
                            Some(started) => {
                                prev_cell.store(started, Relaxed);
                                started
                            }
                            None => {
                                if let (Some(park), false) = (park_ref, keep_children) {
                                    // A new attempt: the children of an earlier one are void.
                                    park.dur.remove_children(park.frame, name);
                                }
                                self.note_eval_failure(&prepared, history, prev_cell, name);
                                prepared.as_ref().map_err(Clone::clone)?;
                                let started = history.push(
                                    prev_cell.load(Relaxed),
                                    "ParallelStateStarted",
                                    || self.clock.now_rfc3339(),
                                    || None,
                                );
                                prev_cell.store(started, Relaxed);
                                started
                            }
                        };
                        let eff = prepared?;
                        if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                            let pos = Pos::Children {
                                entered: park.entered,
                                entered_ms: park.entered_ms,
                                retry: rc,
                                started,
                            };
                            park.set(raw_input, vars, pos);
                        }
                        let branches = p.branches.iter().enumerate().map(|(i, b)| {
                            let eff = eff.clone();
                            let outer = outer.clone();
                            let key = frame.map(|f| child_key(f, name, '@', i));
                            async move {
                                let dur = self.dur.as_deref();
                                let resume = match (dur, &key) {
                                    (Some(d), Some(k)) => d.take_resume(k),
                                    _ => None,
                                };
                                if let Some(r) = resume.as_ref().and_then(done_result) {
                                    return r;
                                }
                                let mut vars = Variables::child(outer);
                                let mut bprev = started;
                                let r = self
                                    .run_scope(
                                        &b.states,
                                        &b.start_at,
                                        eff,
                                        &mut vars,
                                        history,
                                        &mut bprev,
                                        key.as_deref(),
                                        resume,
                                    )
                                    .await;
                                // A failed branch's checkpoint (set by run_scope) says where.
                                if let (Some(d), Some(k), true) = (dur, &key, r.is_ok()) {
                                    d.set(k, &done_ck(&r));
                                }
                                r
                            }
                        });
                        futures::future::try_join_all(branches)
                            .await
                            .map(Value::Array)
                    }
                },
            )
            .await;
        // An uncaught failure keeps the children's checkpoints for a redrive.
        if let (Some(park), false) = (&park, outcome.is_err()) {
            park.dur.remove_children(park.frame, name);
        }
        *prev = history.len().max(prev_cell.load(Relaxed));
        let runtime_error = matches!(&outcome, Err(e) if e.error == names::RUNTIME);
        if matches!(outcome, Err(_) | Ok(Err(_))) && *prev > entered_at && !runtime_error {
            let detail = match &outcome {
                Err(e) => Some(("parallelStateFailedEventDetails", error_details(e))),
                _ => None,
            };
            *prev = history.push(
                *prev,
                "ParallelStateFailed",
                || self.clock.now_rfc3339(),
                || detail,
            );
        }
        self.conclude_guarded(
            outcome?,
            st,
            (p.result_selector.as_ref(), p.result_path.as_ref()),
            &p.transition,
            jsonata,
            input,
            &ctx,
            vars,
            (history, prev, name),
        )
    }

    /// Reads an integer-valued `…Path` field of a Map, with AWS's error texts.
    fn map_int(
        &self,
        p: &stepfn_asl::Path,
        field: &str,
        input: &Value,
        env: &Env<'_>,
    ) -> Result<i64, StatesError> {
        let v =
            paths::select(p, input, env)?.ok_or_else(|| paths::path_not_found(p, field, input))?;
        // AWS also takes a string holding an integer.
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        match n {
            Some(n) => Ok(n),
            None => Err(StatesError::runtime(format!(
                "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                match &v {
                    Value::String(s) => s.clone(),
                    other => to_text(other),
                },
                p.as_str()
            ))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn map<'m>(
        &self,
        name: &'m str,
        st: &'m State,
        m: &'m MapState,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step<'m>, StatesError> {
        let prev_cell = AtomicU64::new(*prev);
        let started = std::sync::atomic::AtomicBool::new(false);
        let distributed = m.mode() == MapMode::Distributed;
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let park = self.park(
            at.frame,
            name,
            history,
            &prev_cell,
            at.entered,
            at.entered_time,
        );
        let park_ref = park.as_ref();
        // A redrive re-enters the state keeping the checkpoints of its finished children.
        let mut redrive = matches!(at.resume, Some(Pos::Redrive));
        let mut resumed_started = match &at.resume {
            Some(Pos::Children { started, .. }) => Some(*started),
            _ => None,
        };
        let mut input = input;
        let taken = if jsonata || park.is_some() {
            None
        } else {
            take_items(st, m, &mut input)
        };
        let taken = std::sync::Mutex::new(taken);
        let raw_input = &input;
        let frame = at.frame;
        let outcome = self
            .with_retry(&m.retry, &m.catch, &input, &ctx, jsonata, vars, self.park(at.frame, name, history, &prev_cell, at.entered, at.entered_time), at.resume.as_ref(), |rc, vars| {
                let resumed = resumed_started.take();
                    let keep_children = std::mem::take(&mut redrive);
                let rc = rc.clone();
                let vars_now = park_ref.map(|_| vars.clone());
                let env = Env { context: &ctx, vars };
                let prepared = if jsonata {
                    self.jx_map_prepare(m, &input, &ctx, vars)
                        .map(|(eff, items, c, t)| (Cow::Owned(eff), Cow::Owned(items), c, t))
                } else {
                    self.map_prepare(st, m, raw_input, &env).map(|(eff, items, c, t)| {
                        match taken.lock().unwrap_or_else(|p| p.into_inner()).take() {
                            Some(owned) => (eff, Cow::Owned(owned), c, t),
                            None => (eff, items, c, t),
                        }
                    })
                };
                let outer = Arc::new(vars.clone());
                let prev_cell = &prev_cell;
                let started_flag = &started;
                let ctx = &ctx;
                async move {
                    if resumed.is_none() {
                        if let (Some(park), false) = (park_ref, keep_children) {
                            // A new attempt: the iterations of an earlier one are void.
                            park.dur.remove_children(park.frame, name);
                        }
                    }
                    if resumed.is_none() && self.note_eval_failure(&prepared, history, prev_cell, name) {
                        // AWS closes the Map with MapStateFailed even though it never started.
                        started_flag.store(true, Relaxed);
                    }
                    let (eff, items, max_concurrency, tolerated) = prepared?;
                    started_flag.store(true, Relaxed);
                    let eff: &Value = &eff;
                    let (run_prev, tolerated) = match resumed {
                        Some(run_prev) => {
                            prev_cell.store(run_prev, Relaxed);
                            (run_prev, tolerated?)
                        }
                        None => {
                            let started = history.push(prev_cell.load(Relaxed), "MapStateStarted", || self.clock.now_rfc3339(), || {
                                Some(("mapStateStartedEventDetails", json!({"length": items.len()})))
                            });
                            prev_cell.store(started, Relaxed);
                            // Tolerated failures are validated after MapStateStarted, as AWS does.
                            let tolerated = tolerated?;
                            let run_prev = if distributed {
                                history.push(started, "MapRunStarted", || self.clock.now_rfc3339(), || {
                                    Some(("mapRunStartedEventDetails", json!({"mapRunArn": format!("{}/{}", self.info.id.replace(":execution:", ":mapRun:"), new_uuid())})))
                                })
                            } else {
                                started
                            };
                            (run_prev, tolerated)
                        }
                    };
                    if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                        let pos = Pos::Children {
                            entered: park.entered,
                            entered_ms: park.entered_ms,
                            retry: rc,
                            started: run_prev,
                        };
                        park.set(raw_input, vars, pos);
                    }
                    let limit = if max_concurrency == 0 { 40 } else { max_concurrency.min(40) as usize };
                    // Items the Map owns are moved into their iterations and dropped as those end;
                    // borrowed ones are copied when their iteration starts (`buffered` pulls
                    // lazily). Either way at most `limit` items are held by iterations.
                    let len = items.len();
                    let items: Box<dyn Iterator<Item = Value> + Send + '_> = match items {
                        Cow::Owned(v) => Box::new(v.into_iter()),
                        Cow::Borrowed(s) => Box::new(s.iter().cloned()),
                    };
                    let iterations = items.enumerate().map(|(index, item)| {
                        let outer = outer.clone();
                        let key = frame.map(|f| child_key(f, name, '#', index));
                        async move {
                            let dur = self.dur.as_deref();
                            let resume = match (dur, &key) {
                                (Some(d), Some(k)) => d.take_resume(k),
                                _ => None,
                            };
                            if let Some(r) = resume.as_ref().and_then(done_result) {
                                return r;
                            }
                            let env = Env { context: ctx, vars: &outer };
                            let selector = m.item_selector.as_ref().or(m.parameters.as_ref());
                            // `$` in ItemSelector is the Map's effective input; the item is `$$.Map.Item.Value`.
                            let item_input = match selector {
                                Some(t) => {
                                    let ictx = ctx.with_map_item(index, item);
                                    if jsonata {
                                        self.jx_item(t, eff, &ictx, env.vars)?
                                    } else {
                                        let ienv = Env { context: &ictx, vars: env.vars };
                                        template::evaluate(t, eff, &ienv)?
                                    }
                                }
                                None => item,
                            };
                            let own_history;
                            let h = if distributed {
                                own_history = History::new(false);
                                &own_history
                            } else {
                                history
                            };
                            let mut iprev = if distributed || resume.is_some() {
                                0
                            } else {
                                h.push(run_prev, "MapIterationStarted", || self.clock.now_rfc3339(), || {
                                    Some(("mapIterationStartedEventDetails", json!({"name": name, "index": index})))
                                })
                            };
                            let mut ivars = Variables::child(outer.clone());
                            let r = self
                                .run_scope(&m.processor.states, &m.processor.start_at, item_input, &mut ivars, h, &mut iprev, key.as_deref(), resume)
                                .await;
                            if !distributed {
                                let kind = if r.is_ok() { "MapIterationSucceeded" } else { "MapIterationFailed" };
                                h.push(iprev, kind, || self.clock.now_rfc3339(), || {
                                    Some((
                                        if r.is_ok() { "mapIterationSucceededEventDetails" } else { "mapIterationFailedEventDetails" },
                                        json!({"name": name, "index": index}),
                                    ))
                                });
                            }
                            // A failed iteration's checkpoint (set by run_scope) says where.
                            if let (Some(d), Some(k), true) = (dur, &key, r.is_ok()) {
                                d.set(k, &done_ck(&r));
                            }
                            r
                        }
                    });
                    let mut stream = futures::stream::iter(iterations).buffered(limit);
                    let mut results = Vec::with_capacity(len);
                    let mut failures = 0u64;
                    let mut first_error = None;
                    while let Some(r) = stream.next().await {
                        match r {
                            Ok(v) => results.push(v),
                            Err(e) => {
                                failures += 1;
                                let allowed = distributed && tolerated.is_some_and(|(count, pct)| {
                                    failures <= count && (failures as f64) * 100.0 / (len.max(1) as f64) <= pct
                                });
                                if allowed {
                                    results.push(json!({"Error": e.error, "Cause": e.cause}));
                                } else {
                                    first_error = Some(e);
                                    break;
                                }
                            }
                        }
                    }
                    drop(stream);
                    if let Some(mut e) = first_error {
                        if distributed && tolerated.is_some() && failures > 0 && e.error != names::RUNTIME {
                            e = StatesError::new(
                                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                "The specified tolerated failure threshold was exceeded",
                            );
                        }
                        if distributed {
                            let p = history.push(history.len(), "MapRunFailed", || self.clock.now_rfc3339(), || {
                                Some(("mapRunFailedEventDetails", error_details(&e)))
                            });
                            prev_cell.store(p, Relaxed);
                        }
                        return Err(e);
                    }
                    if distributed {
                        history.push(history.len(), "MapRunSucceeded", || self.clock.now_rfc3339(), || None);
                    }
                    let p = history.push(history.len(), "MapStateSucceeded", || self.clock.now_rfc3339(), || None);
                    prev_cell.store(p, Relaxed);
                    Ok(Value::Array(results))
                }
            })
            .await;
        // An uncaught failure keeps the children's checkpoints for a redrive.
        if let (Some(park), false) = (&park, outcome.is_err()) {
            park.dur.remove_children(park.frame, name);
        }
        *prev = history.len().max(prev_cell.load(Relaxed));
        // A `States.Runtime` error ends the execution at once, without a MapStateFailed event.
        let runtime_error = matches!(&outcome, Err(e) if e.error == names::RUNTIME);
        if matches!(outcome, Err(_) | Ok(Err(_))) && started.load(Relaxed) && !runtime_error {
            *prev = history.push(
                *prev,
                "MapStateFailed",
                || self.clock.now_rfc3339(),
                || None,
            );
        }
        self.conclude_guarded(
            outcome?,
            st,
            (m.result_selector.as_ref(), m.result_path.as_ref()),
            &m.transition,
            jsonata,
            input,
            &ctx,
            vars,
            (history, prev, name),
        )
    }

    /// Items, MaxConcurrency and tolerated failures of a Map, in AWS's order of checks.
    #[allow(clippy::type_complexity)]
    ///
    /// The effective input and the items are borrowed from `input` where paths select them from
    /// it (the usual case), so a large item array is not copied whole.
    #[allow(clippy::type_complexity)]
    fn map_prepare<'a>(
        &self,
        st: &State,
        m: &MapState,
        input: &'a Value,
        env: &Env<'_>,
    ) -> Result<
        (
            Cow<'a, Value>,
            Cow<'a, [Value]>,
            u64,
            Result<Option<(u64, f64)>, StatesError>,
        ),
        StatesError,
    > {
        let eff: Cow<'a, Value> = match borrowed_selection(st.input_path.as_ref(), input) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(paths::input_path(st.input_path.as_ref(), input, env)?.into_owned()),
        };
        let max_concurrency = match (&m.max_concurrency, &m.max_concurrency_path) {
            (Some(Expr::Literal(n)), _) => *n,
            (_, Some(p)) => {
                let n = self.map_int(p, "MaxConcurrencyPath", &eff, env)?;
                u64::try_from(n)
                    .map_err(|_| StatesError::runtime("MaxConcurrency cannot be negative."))?
            }
            _ => 0,
        };
        let not_array = |other: &Value| {
            StatesError::runtime(format!(
                "Map state input must be an array but was: {}",
                to_text(other)
            ))
        };
        let borrowed_items = match (&eff, &m.items_path) {
            (Cow::Borrowed(e), None) => Some(Some(*e)),
            (Cow::Borrowed(e), Some(p))
                if p.is_definite() && matches!(p.root(), PathRoot::Input) =>
            {
                match p.select(e) {
                    Selected::One(v) => Some(Some(v)),
                    _ => Some(None),
                }
            }
            _ => None,
        };
        let items: Cow<'a, [Value]> = match borrowed_items {
            Some(Some(Value::Array(a))) => Cow::Borrowed(a.as_slice()),
            Some(Some(other)) => return Err(not_array(other)),
            Some(None) | None => {
                let items = match &m.items_path {
                    Some(p) => paths::select(p, &eff, env)?
                        .ok_or_else(|| paths::path_not_found(p, "ItemsPath", &eff))?,
                    None => eff.as_ref().clone(),
                };
                match items {
                    Value::Array(a) => Cow::Owned(a),
                    other => return Err(not_array(&other)),
                }
            }
        };
        let tolerated = (|| {
            let count = match (&m.tolerated_failure_count, &m.tolerated_failure_count_path) {
                (Some(Expr::Literal(n)), _) => Some(*n),
                (_, Some(p)) => {
                    let n = self.map_int(p, "ToleratedFailureCountPath", input, env)?;
                    if n < 0 {
                        return Err(StatesError::runtime(
                            "ToleratedFailureCount cannot be negative.",
                        ));
                    }
                    Some(n as u64)
                }
                _ => None,
            };
            let pct = match (
                &m.tolerated_failure_percentage,
                &m.tolerated_failure_percentage_path,
            ) {
                (Some(Expr::Literal(n)), _) => n.as_f64(),
                (_, Some(p)) => {
                    let v = paths::select(p, input, env)?.ok_or_else(|| {
                        paths::path_not_found(p, "ToleratedFailurePercentagePath", input)
                    })?;
                    let f = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(|| {
                        StatesError::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            match &v {
                                Value::String(s) => s.clone(),
                                other => to_text(other),
                            },
                            p.as_str()
                        ))
                    })?;
                    if !(0.0..=100.0).contains(&f) {
                        return Err(StatesError::runtime(
                            "ToleratedFailurePercentage must be between 0 and 100.",
                        ));
                    }
                    Some(f)
                }
                _ => None,
            };
            Ok(match (count, pct) {
                (None, None) => None,
                (c, p) => Some((c.unwrap_or(u64::MAX), p.unwrap_or(100.0))),
            })
        })();
        Ok((eff, items, max_concurrency, tolerated))
    }
}

/// A random (v4) UUID drawn from a fast thread-local generator.
pub(crate) fn new_uuid() -> String {
    let u = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    u.hyphenated().encode_lower(&mut buf).to_owned()
}

/// True when the definition mentions the context object anywhere (`$$` or `$states.context`).
fn machine_json_mentions_context(m: &StateMachine) -> bool {
    let text = m.to_json().to_string();
    text.contains("$$") || text.contains("$states")
}

/// How long a Wait state waits (shared by the interpreter and the compiled form).
pub(crate) fn wait_duration(
    w: &Wait,
    input: &Value,
    env: &Env<'_>,
    clock: &Clock,
) -> Result<Duration, StatesError> {
    if let Some(Expr::Literal(s)) = &w.seconds {
        return Ok(Duration::from_secs(*s));
    }
    if let Some(p) = &w.seconds_path {
        let v = paths::select(p, input, env)?
            .ok_or_else(|| paths::path_not_found(p, "SecondsPath", input))?;
        return match v.as_i64() {
            Some(n) if n >= 0 => Ok(Duration::from_secs(n as u64)),
            _ => Err(StatesError::runtime(format!(
                "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                p.as_str(),
                to_text(&v)
            ))),
        };
    }
    let ts = if let Some(Expr::Literal(s)) = &w.timestamp {
        s.clone()
    } else if let Some(p) = &w.timestamp_path {
        let v = paths::select(p, input, env)?
            .ok_or_else(|| paths::path_not_found(p, "TimestampPath", input))?;
        match v {
            Value::String(s) => s,
            other => {
                return Err(StatesError::runtime(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                    p.as_str(),
                    to_text(&other)
                )))
            }
        }
    } else {
        return Err(StatesError::runtime(
            "a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath",
        ));
    };
    let Some(at) = stepfn_asl::timestamp::parse(&ts) else {
        return Err(StatesError::runtime(format!(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {ts}"
        )));
    };
    // Step Functions keeps whole seconds.
    let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
    let now = clock.now();
    let d = now.duration_until(at);
    Ok(Duration::try_from(d).unwrap_or(Duration::ZERO))
}

/// Splits a Resource ARN into the `resourceType` and `resource` of task events.
pub(crate) fn resource_parts(arn: &str) -> (String, String) {
    if let Some(rest) = arn.strip_prefix("arn:aws:states:::") {
        if let Some((service, action)) = rest.split_once(':') {
            return (service.to_string(), action.to_string());
        }
    }
    if arn.starts_with("arn:aws:lambda:") {
        return ("lambda".into(), arn.to_string());
    }
    if arn.contains(":activity:") {
        return ("activity".into(), arn.to_string());
    }
    ("custom".into(), arn.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_state(extra: Value) -> State {
        let mut def = json!({
            "StartAt": "M",
            "States": {"M": {"Type": "Map", "ItemsPath": "$.in.items", "End": true,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}
        });
        if let (Some(m), Some(extra)) = (def["States"]["M"].as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        let machine = StateMachine::from_json(&def).expect("valid");
        machine.states["M"].clone()
    }

    #[test]
    fn map_items_are_taken_only_when_nothing_reads_the_input_again() {
        let input = json!({"in": {"items": [1, 2, 3]}, "keep": true});
        let take = |extra: Value| {
            let st = map_state(extra);
            let StateKind::Map(m) = &st.kind else {
                panic!("a Map")
            };
            let mut v = input.clone();
            (take_items(&st, m, &mut v), v)
        };
        let (items, left) = take(json!({}));
        assert_eq!(items, Some(vec![json!(1), json!(2), json!(3)]));
        assert_eq!(left, json!({"in": {"items": []}, "keep": true}));
        for blocker in [
            json!({"ResultPath": "$.out"}),
            json!({"ResultPath": null}),
            json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]}),
            json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "M"}]}),
            json!({"ItemSelector": {"v.$": "$$.Map.Item.Value"}}),
            json!({"MaxConcurrencyPath": "$.keep"}),
            json!({"InputPath": "$$.Execution.Input"}),
        ] {
            let (items, left) = take(blocker.clone());
            assert_eq!(items, None, "{blocker}");
            assert_eq!(left, input, "{blocker}");
        }
    }
}
