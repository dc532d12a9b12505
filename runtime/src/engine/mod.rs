//! The interpreter: runs any [`StateMachine`] with Step Functions' semantics on tokio.
//!
//! Module map, from a definition to a result:
//! - `plan.rs` builds the machine's plan once, when an [`Interpreter`] is made: each scope's
//!   states in a vector, every transition resolved to an index, facts of the machine.
//! - [`Interpreter`] (`interpreter.rs`) begins an execution (`ExecutionStarted`, the context
//!   object), runs the top-level scope and concludes it (status, output, the terminal event;
//!   `conclude` ends the compiled form's executions too).
//! - This module runs a scope: `run_scope` loops over its states by plan index; each state says
//!   which transition it took and the plan says where it leads. `enter_state`/`leave_state`
//!   record `…StateEntered`/`…StateExited` around each and apply input/output processing
//!   ([`crate::io`]) and the output's quotas ([`crate::quotas`]); states that never await
//!   (Pass, Choice, Succeed, Fail) run synchronously.
//! - One module per state kind holds its rule: `pass.rs`, [`choice`] (Choice rules, shared with
//!   the compiled form), `wait.rs`, `fail.rs` (shared with the compiled form), `task.rs` (Retry,
//!   timeouts, Catch around a handler from [`tasks`]), `parallel.rs`, `map.rs`; JSONata states
//!   in `jsonata_states.rs`.
//! - [`retry`] (Retry/Catch matching and delays), [`history`] (event ids and kept events),
//!   [`callbacks`] (activities, task tokens, heartbeats), `durable.rs` (checkpoints of a durable
//!   execution's frames, for [`crate::runtime`]).
//!
//! The compiled form of `workflow!` ([`crate::compiled`]) calls the same rule functions.

mod batch;
pub mod callbacks;
pub mod choice;
pub(crate) mod durable;
pub(crate) mod fail;
pub mod history;
mod interpreter;
mod jsonata_states;
mod map;
pub(crate) mod map_progress;
mod parallel;
mod pass;
pub(crate) mod plan;
pub mod retry;
mod task;
pub mod tasks;
mod wait;
pub use interpreter::Interpreter;
use interpreter::Prefix;
pub(crate) use interpreter::{conclude, Ending};
pub(crate) use pass::{pass_output, subset_bound};
pub(crate) use task::resource_parts;
pub(crate) use wait::wait_duration;

use crate::arn;
use crate::error::{names, StatesError};
use crate::io::context::ExecutionInfo;
use crate::io::jsonata::{JsonataCache, JsonataEngine};
use crate::io::{paths, size, template, Context, Env, Variables};
use crate::trace;
use durable::{child_key, Durable, FrameCk, Pos, RetryCk};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use history::{EventType, History, HistoryEvent};
use plan::{Next, Plan, Scope, StateAt, StateId};
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use stepfn_asl::{
    Catcher, Expr, IoPath, MapMode, MapState, Parallel, Pass, PathRoot, ResultPath, Retrier,
    Selected, State, StateKind, StateMachine, Task, Template, Wait,
};
use tasks::{TaskRegistry, TaskRequest};
use tracing::Instrument;

pub use crate::events::ExecutionStatus;

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

/// The region named in task events.
const REGION: &str = arn::DEFAULT_REGION;

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

    /// The time a state is entered at: now when `needed` (the history or the context object
    /// records it), else the epoch, without reading the clock.
    #[inline]
    pub(crate) fn entered_time(&self, needed: bool) -> jiff::Timestamp {
        if needed {
            self.now()
        } else {
            jiff::Timestamp::UNIX_EPOCH
        }
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
    tasks: &'i TaskRegistry,
    info: Info<'i>,
    clock: Clock,
    payload_limit: Option<usize>,
    jsonata: Option<&'i JsonataCache>,
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
}

/// How a state finished: which of its transitions it took (the plan says where that leads),
/// and its output.
struct Step {
    next: Next,
    output: Value,
}

impl Step {
    /// Leaving by the state's `Next` (or `End`).
    fn normal(output: Value) -> Self {
        Self {
            next: Next::Normal,
            output,
        }
    }
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
pub(crate) fn state_event(kind: &StateKind, entered: bool) -> EventType {
    use EventType as E;
    match (kind, entered) {
        (StateKind::Pass(_), true) => E::PassStateEntered,
        (StateKind::Pass(_), false) => E::PassStateExited,
        (StateKind::Task(_), true) => E::TaskStateEntered,
        (StateKind::Task(_), false) => E::TaskStateExited,
        (StateKind::Choice(_), true) => E::ChoiceStateEntered,
        (StateKind::Choice(_), false) => E::ChoiceStateExited,
        (StateKind::Wait(_), true) => E::WaitStateEntered,
        (StateKind::Wait(_), false) => E::WaitStateExited,
        (StateKind::Succeed, true) => E::SucceedStateEntered,
        (StateKind::Succeed, false) => E::SucceedStateExited,
        (StateKind::Fail(_), true) => E::FailStateEntered,
        // A Fail state ends its scope with an error: it is never exited.
        (StateKind::Fail(_), false) => unreachable!("a Fail state is never exited"),
        (StateKind::Parallel(_), true) => E::ParallelStateEntered,
        (StateKind::Parallel(_), false) => E::ParallelStateExited,
        (StateKind::Map(_), true) => E::MapStateEntered,
        (StateKind::Map(_), false) => E::MapStateExited,
    }
}

/// True when `p` reads the state input (not `$$` or a variable), or is `null`.
fn reads_input(p: Option<&IoPath>) -> bool {
    match p {
        None | Some(IoPath::Null) => true,
        Some(IoPath::Path(p)) => matches!(p.root(), PathRoot::Input),
    }
}

impl Exec<'_> {
    fn too_big(&self, v: &Value) -> bool {
        self.payload_limit.is_some_and(|l| size::exceeds(v, l))
    }

    fn check_size(&self, v: &Value, what: &str) -> Result<(), StatesError> {
        if self.too_big(v) {
            return Err(crate::quotas::payload_exceeded(Some(what)));
        }
        Ok(())
    }

    /// Runs Pass, Choice, Succeed and Fail states from the scope's `StartAt` on, without a
    /// future, until the scope ends or a state that awaits comes next.
    #[allow(clippy::too_many_arguments)]
    fn run_simple_prefix(
        &self,
        scope: Scope<'_>,
        mut input: Value,
        size: &mut Option<usize>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
    ) -> Result<Prefix, StatesError> {
        let mut id = scope.start()?;
        loop {
            let s = scope.state(id)?;
            if !s.planned.simple {
                return Ok(Prefix::Awaits(id, input));
            }
            let step = self.run_simple_state(s, input, size, vars, history, prev)?;
            match s.follow(step.next)? {
                Some(next) => {
                    id = next;
                    input = step.output;
                }
                None => return Ok(Prefix::Ended(step.output)),
            }
        }
    }

    /// Runs the states of one scope (the machine, a branch, an iteration) from `start` (`None`:
    /// its `StartAt`), or, for a durable frame restarting, from its checkpoint `resume`.
    #[allow(clippy::too_many_arguments)]
    fn run_scope<'a>(
        &'a self,
        scope: Scope<'a>,
        start: Option<StateId>,
        input: Value,
        vars: &'a mut Variables,
        history: &'a History,
        prev: &'a mut u64,
        frame: Option<&'a str>,
        resume: Option<FrameCk>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        async move {
            let mut input = input;
            let mut pos = None;
            let mut id = match (resume, start) {
                (Some(ck), _) => {
                    let Some(id) = scope.find(&ck.state) else {
                        return Err(StatesError::runtime(format!(
                            "the checkpoint names the state `{}`, which does not exist",
                            ck.state
                        )));
                    };
                    input = ck.input;
                    vars.assign_all(ck.vars);
                    *prev = ck.prev;
                    pos = Some(ck.pos);
                    id
                }
                (None, Some(id)) => id,
                (None, None) => scope.start()?,
            };
            let dur = self.dur.as_deref().zip(frame);
            // An upper bound of `input`'s JSON text length, when known: the next state's output
            // bound follows from it without counting the whole output again.
            let mut size: Option<usize> = None;
            loop {
                let s = scope.state(id)?;
                // Durable frames remember where they failed: a redrive restarts there.
                let before = dur.map(|_| (input.clone(), *prev));
                // Pass, Choice, Succeed and Fail never await: they run without a future.
                let simple = pos.is_none() && s.planned.simple;
                let r = if simple {
                    self.run_simple_state(s, input, &mut size, vars, history, prev)
                } else {
                    size = None;
                    let span = trace::state(s.name, &s.state.kind);
                    // Boxed: the scope's own future stays small (it is boxed once per run).
                    let r = Box::pin(
                        self.run_state(s, input, vars, history, prev, frame, pos.take())
                            .instrument(span.clone()),
                    )
                    .await;
                    if let Err(e) = &r {
                        trace::failed(&span, e);
                    }
                    r
                };
                match r {
                    Ok(step) => match s.follow(step.next)? {
                        Some(next) => {
                            id = next;
                            input = step.output;
                        }
                        None => return Ok(step.output),
                    },
                    Err(e) => {
                        if let (Some((d, key)), Some((input, prev))) = (dur, before) {
                            d.set(
                                key,
                                &FrameCk {
                                    state: s.name.to_string(),
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
                let entered_time = self.clock.entered_time(self.needs_time);
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
    ///
    /// `size`: a bound of the input's JSON text length on entry (if known); on return, a bound
    /// of the output's, where the state's output follows from its input and result.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn simple_body(
        &self,
        s: StateAt<'_>,
        input: Value,
        size: &mut Option<usize>,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        entered: u64,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        match &st.kind {
            _ if s.planned.jsonata => {
                *size = None;
                self.jsonata_simple_body(s, input, ctx, vars, history, prev, entered)
            }
            StateKind::Pass(p) => self.pass(st, p, input, size, ctx, vars).map(Step::normal),
            StateKind::Choice(c) => {
                *size = subset_bound(st, *size);
                self.choice(st, c, input, ctx, vars)
            }
            StateKind::Succeed => {
                *size = subset_bound(st, *size);
                let env = Env { context: ctx, vars };
                paths::apply_io_path(st.input_path.as_ref(), input, &env)
                    .and_then(|v| paths::apply_io_path(st.output_path.as_ref(), v, &env))
                    .map(Step::normal)
            }
            StateKind::Fail(f) => {
                let env = Env { context: ctx, vars };
                let (Ok(e) | Err(e)) = fail::fail_error(f, &input, &env);
                Err(locate(e, name, entered))
            }
            _ => Err(StatesError::runtime(format!(
                "the state `{name}` cannot run without awaiting"
            ))),
        }
    }

    /// [`Self::simple_body`] for the JSONata states.
    #[allow(clippy::too_many_arguments)]
    fn jsonata_simple_body(
        &self,
        s: StateAt<'_>,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        entered: u64,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        match &st.kind {
            StateKind::Pass(p) => self.jx_pass(st, p, input, ctx, vars).map(Step::normal),
            StateKind::Choice(c) => self.jx_choice(st, c, input, ctx, vars),
            StateKind::Succeed => self.jx_succeed(st, input, ctx, vars).map(Step::normal),
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
    /// states' JSONata failures), or its output's checks (payload size, nesting) and exited
    /// event.
    ///
    /// `size` holds, on entry, an upper bound of the output's JSON text length when the state
    /// knows one (else `None`: the output is counted), and on return a bound for the output.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn leave_state(
        &self,
        name: &str,
        st: &State,
        result: Result<Step, StatesError>,
        history: &History,
        prev: &mut u64,
        entered: u64,
        size: &mut Option<usize>,
    ) -> Result<Step, StatesError> {
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
        let out = &step.output;
        *size = crate::quotas::check_output(out, *size, self.payload_limit, name)
            .map_err(|e| locate(e, name, entered))?;
        *prev = history.push(*prev, state_event(&st.kind, false), || self.clock.now_rfc3339(), || {
            Some((
                "stateExitedEventDetails",
                json!({"name": name, "output": to_text(out), "outputDetails": {"truncated": false}}),
            ))
        });
        history
            .check_quota()
            .map_err(|e| locate(e, name, entered))?;
        Ok(step)
    }

    /// Runs a Pass, Choice, Succeed or Fail state entered afresh, without a future.
    ///
    /// `size`: a bound of the input's JSON text length on entry (if known), of the output's on
    /// return.
    #[inline(always)]
    fn run_simple_state(
        &self,
        s: StateAt<'_>,
        input: Value,
        size: &mut Option<usize>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let span = trace::state(name, &st.kind);
        let _entered = span.enter();
        let (entered, entered_time) = self.enter_state(name, st, &input, history, prev, None);
        let ctx = Context::for_state(&self.info, name, &st.kind, entered_time);
        let result = self.simple_body(s, input, size, &ctx, vars, history, prev, entered);
        drop(ctx);
        let r = self.leave_state(name, st, result, history, prev, entered, size);
        if let Err(e) = &r {
            trace::failed(&span, e);
        }
        r
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_state(
        &self,
        s: StateAt<'_>,
        input: Value,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        frame: Option<&str>,
        resume: Option<Pos>,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let (entered, entered_time) =
            self.enter_state(name, st, &input, history, prev, resume.as_ref());
        let ctx = Context::for_state(&self.info, name, &st.kind, entered_time);
        let at = At {
            frame,
            resume,
            entered,
            entered_time,
        };
        let result = match &st.kind {
            StateKind::Wait(w) => {
                self.wait_state(s, w, input, &ctx, vars, history, prev, at)
                    .await
            }
            StateKind::Task(t) => self.task(s, t, input, ctx, vars, history, prev, at).await,
            StateKind::Parallel(p) => {
                self.parallel(s, p, input, ctx, vars, history, prev, at)
                    .await
            }
            StateKind::Map(m) => self.map(s, m, input, ctx, vars, history, prev, at).await,
            StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_) => {
                self.simple_body(s, input, &mut None, &ctx, vars, history, prev, entered)
            }
        };
        self.leave_state(name, st, result, history, prev, entered, &mut None)
    }

    /// The tail shared by Task, Parallel and Map: a result goes through ResultSelector,
    /// ResultPath and OutputPath (or the JSONata `Output`) to `Next`; a caught error goes to its
    /// catcher's `Next` with the error output already placed.
    #[allow(clippy::too_many_arguments)]
    fn conclude_guarded(
        &self,
        outcome: Result<Value, (usize, Value)>,
        s: StateAt<'_>,
        (result_selector, result_path): (Option<&Template>, Option<&stepfn_asl::ResultPath>),
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        (history, prev): (&History, &mut u64),
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        match outcome {
            Ok(result) => {
                let out = if s.planned.jsonata {
                    self.jx_finish(st, &input, result, ctx, vars)
                } else {
                    self.finish(st, result_selector, result_path, input, result, ctx, vars)
                };
                let cell = AtomicU64::new(*prev);
                self.note_eval_failure(&out, history, &cell, name);
                *prev = cell.load(Relaxed);
                Ok(Step::normal(out?))
            }
            Err((catcher, output)) => Ok(Step {
                next: Next::Caught(catcher),
                output,
            }),
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
            EventType::EvaluationFailed,
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

    fn choice(
        &self,
        st: &State,
        c: &stepfn_asl::Choice,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Step, StatesError> {
        let env = Env { context: ctx, vars };
        let effective = paths::apply_io_path(st.input_path.as_ref(), input, &env)?;
        let matched = choice::matching_rule(c, &effective, &env)?;
        let mut assigned = self.assign(st, &effective, &env)?.unwrap_or_default();
        if let Some(a) = matched
            .and_then(|i| c.choices.get(i))
            .and_then(|r| r.assign.as_ref())
        {
            assigned.extend(Self::eval_assign(&a.template, &effective, &env)?);
        }
        let output = paths::apply_io_path(st.output_path.as_ref(), effective, &env)?;
        for (k, v) in assigned {
            vars.set(k, v);
        }
        Ok(Step {
            next: Next::Choice(matched),
            output,
        })
    }
}

/// A random (v4) UUID drawn from a fast thread-local generator.
pub(crate) fn new_uuid() -> String {
    let u = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    u.hyphenated().encode_lower(&mut buf).to_owned()
}
