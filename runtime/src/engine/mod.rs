//! The interpreter: runs any [`StateMachine`] with Step Functions' semantics on tokio.
//!
//! Module map, from a definition to a result:
//! - [`Interpreter`] (`interpreter.rs`) begins an execution (`ExecutionStarted`, the context
//!   object), runs the top-level scope and concludes it (status, output, the terminal event).
//! - This module runs a scope: `run_scope` loops over its states; `enter_state`/`leave_state`
//!   record `…StateEntered`/`…StateExited` around each and apply input/output processing
//!   ([`crate::io`]); states that never await (Pass, Choice, Succeed, Fail) run synchronously.
//! - One module per state kind holds its rule: `pass.rs`, [`choice`] (Choice rules, shared with
//!   the compiled form), `wait.rs`, `fail.rs` (shared with the compiled form), `task.rs` (Retry,
//!   timeouts, Catch around a handler from [`tasks`]), `parallel.rs`, `map.rs`; JSONata states
//!   in `jsonata_states.rs`.
//! - [`retry`] (Retry/Catch matching and delays), [`history`] (event ids and kept events),
//!   [`callbacks`] (activities, task tokens, heartbeats), `durable.rs` (checkpoints of a durable
//!   execution's frames, for [`crate::runtime`]).
//!
//! The compiled form of `workflow!` ([`crate::compiled`]) calls the same rule functions.

pub mod callbacks;
pub mod choice;
pub(crate) mod durable;
pub(crate) mod fail;
pub mod history;
mod interpreter;
mod jsonata_states;
mod links;
mod map;
pub(crate) mod map_progress;
mod parallel;
mod pass;
pub mod retry;
mod task;
pub mod tasks;
mod wait;
pub use interpreter::Interpreter;
use interpreter::Prefix;
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
                    let span = trace::state(name, &state.kind);
                    // Boxed: the scope's own future stays small (it is boxed once per run).
                    let r = Box::pin(
                        self.run_state(name, state, input, vars, history, prev, frame, pos.take())
                            .instrument(span.clone()),
                    )
                    .await;
                    if let Err(e) = &r {
                        trace::failed(&span, e);
                    }
                    r
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
        crate::quotas::check_depth(out, *size).map_err(|e| locate(e, name, entered))?;
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
        let span = trace::state(name, &st.kind);
        let _entered = span.enter();
        let jsonata = self.ql(st) == QueryLanguage::Jsonata;
        let (entered, entered_time) = self.enter_state(name, st, &input, history, prev, None);
        let ctx = Context::for_state(&self.info, name, &st.kind, entered_time);
        let result = self.simple_body(
            name, st, input, size, &ctx, vars, history, prev, jsonata, entered,
        );
        drop(ctx);
        let r = self.leave_state(name, st, result, history, prev, entered, size);
        if let Err(e) = &r {
            trace::failed(&span, e);
        }
        r
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
        let ctx = Context::for_state(&self.info, name, &st.kind, entered_time);
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
}

/// A random (v4) UUID drawn from a fast thread-local generator.
pub(crate) fn new_uuid() -> String {
    let u = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    u.hyphenated().encode_lower(&mut buf).to_owned()
}
