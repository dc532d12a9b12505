//! The runtime side of `workflow!`'s compiled form.
//!
//! The macro generates, for each scope of a workflow (the top level, each Parallel branch, each
//! Map processor), an `async fn` holding an enum of its states and a loop that dispatches on it:
//! transitions are jumps, not name lookups. Each state's semantics come from the functions here,
//! which use the same pieces as the interpreter ([`crate::io`] for input and output processing,
//! [`crate::engine::retry`] for Retry and Catch, [`crate::engine::choice`] for Choice rules, the
//! same history events), so the compiled form and the exported ASL behave alike — a differential
//! test keeps them honest.
//!
//! Values travel as [`Data`]: JSON, or a typed Rust value that a task handler returned. A typed
//! value goes straight into the next handler when nothing JSON-only stands between them; it is
//! serialized only when something needs JSON (a path, a template, the history, the output).
//!
//! Payload size (Step Functions' 256 KiB) and nesting ([`crate::quotas::MAX_DEPTH`]): JSON is
//! checked where the interpreter checks it (the execution input, each task result, each state
//! output, through the same `quotas::check_output`). A typed value is checked when it is
//! serialized: as data ([`Execution::json`], naming the state that produced it, as the
//! interpreter's error would; a nesting error there cannot cite the event that state entered at)
//! or, when the history is kept, at the state that produced it (its events carry it as text
//! anyway, so the history is the interpreter's). A typed value that goes from handler to handler
//! and is never serialized is not checked: it never is a payload.
//!
//! A plain typed task (no Retry, Catch, paths, templates or timeout) costs a handful of counter
//! increments besides its handler when the history is not kept: no clock, no JSON, no futures but
//! the handler's own.
//!

mod concurrent;
mod task;

use crate::engine::history::History;
use crate::engine::tasks::TaskError;
use crate::engine::{choice, retry, Clock, ExecutionOptions, ExecutionResult};
use crate::engine::{conclude, locate, Ending};
use crate::engine::{error_details, resource_parts, state_event, to_text, wait_duration};
use crate::engine::{pass_output, subset_bound};
use crate::error::{names, StatesError};
use crate::events::EventType;
use crate::io::context::ExecutionInfo;
use crate::io::{paths, size, template, Context, Env, Variables};
use crate::quotas;
use futures::future::BoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use stepfn_asl::{Catcher, Expr, MapState, Parallel, Retrier, State, StateKind, Task, Template};

use crate::arn::{DEFAULT_REGION as REGION, DEFAULT_ROLE_ARN as ROLE_ARN};

/// A typed value that can become JSON when something needs it.
pub trait TypedValue: Send {
    /// The value as JSON.
    fn to_json(&self) -> Result<Value, StatesError>;
    /// The value itself, for a downcast.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: Serialize + Send + 'static> TypedValue for T {
    fn to_json(&self) -> Result<Value, StatesError> {
        serde_json::to_value(self).map_err(|e| {
            StatesError::new(
                names::TASK_FAILED,
                format!("a task result could not be serialized: {e}"),
            )
        })
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A value between two states: JSON, or a handler's typed output.
pub enum Data {
    /// JSON.
    Json(Value),
    /// JSON whose compact text is known to be at most this many bytes (worked out by the state
    /// that made it from its own input's bound), so the next size check need not count it.
    Bounded(Value, usize),
    /// A typed value (serialized on demand) and the state that produced it (`None`: it is the
    /// execution input), which a payload-size error names.
    Typed(Box<dyn TypedValue>, Option<&'static str>),
}

impl Data {
    /// The bound of JSON data's text, when known.
    fn bound(&self) -> Option<usize> {
        match self {
            Data::Bounded(_, b) => Some(*b),
            _ => None,
        }
    }

    /// JSON, with its text's bound when known.
    fn with_bound(v: Value, bound: Option<usize>) -> Self {
        match bound {
            Some(b) => Data::Bounded(v, b),
            None => Data::Json(v),
        }
    }

    /// Wraps a typed execution input.
    pub fn typed<T: Serialize + Send + 'static>(v: T) -> Self {
        Data::Typed(Box::new(v), None)
    }

    /// Wraps the typed output of the state `state` (or passes its error on).
    pub fn from_state<T: Serialize + Send + 'static>(
        v: Result<T, StatesError>,
        state: &'static str,
    ) -> Result<Self, StatesError> {
        v.map(|v| Data::Typed(Box::new(v), Some(state)))
    }

    /// The value as JSON text for event details.
    fn text(&self) -> String {
        match self {
            Data::Json(v) | Data::Bounded(v, _) => to_text(v),
            Data::Typed(t, _) => t.to_json().map(|v| to_text(&v)).unwrap_or_default(),
        }
    }

    /// The value as `T`, the input of `handler` in the state `state`: a typed value of that type
    /// is moved out; anything else goes through JSON.
    pub fn into_typed<T: DeserializeOwned + 'static>(
        self,
        state: &str,
        handler: &str,
    ) -> Result<T, StatesError> {
        match self {
            Data::Typed(t, _) => match t.into_any().downcast::<T>() {
                Ok(v) => Ok(*v),
                Err(_) => Err(StatesError::new(
                    names::TASK_FAILED,
                    "a typed value reached a handler of another type",
                )),
            },
            Data::Json(v) | Data::Bounded(v, _) => serde_json::from_value(v)
                .map_err(|e| crate::engine::tasks::input_mismatch::<T>(state, handler, &e)),
        }
    }
}

/// A typed value as JSON text for event details.
fn text_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .map(|v| to_text(&v))
        .unwrap_or_default()
}

/// One execution of a compiled workflow: its facts, clock and history.
pub struct Execution {
    info: Arc<ExecutionInfo>,
    /// Its events, or (not kept) their count.
    history: History,
    /// Events are kept (else only counted).
    keep: bool,
    clock: Clock,
    payload_limit: Option<usize>,
    needs_time: bool,
    /// The execution's tracing span (disabled when no subscriber listens).
    span: tracing::Span,
}

/// Where a state continues (the interpreter's vocabulary too).
pub use crate::engine::plan::Next;

/// What a state attempt reads besides its input.
pub struct StateRun<'a> {
    /// The execution.
    pub cx: &'a Execution,
    /// The state's name.
    pub name: &'static str,
    /// The state.
    pub state: &'static State,
    /// The id of its `…StateEntered` event.
    pub entered: u64,
    entered_time: jiff::Timestamp,
    /// The state's tracing span.
    span: tracing::Span,
}

static NO_VARIABLES: std::sync::LazyLock<Variables> = std::sync::LazyLock::new(Variables::new);

/// The execution facts of an execution that never reads `$$` (nothing reads them).
static NO_INFO: std::sync::LazyLock<Arc<ExecutionInfo>> = std::sync::LazyLock::new(|| {
    Arc::new(ExecutionInfo {
        id: String::new(),
        name: String::new(),
        start_time: String::new(),
        input: Value::Null,
        role_arn: ROLE_ARN.to_string(),
        redrive_count: 0,
        state_machine_id: String::new(),
        state_machine_name: String::new(),
    })
});

impl Execution {
    /// Starts an execution: records `ExecutionStarted` and checks the input's size. Returns it
    /// with the id of that event and the input (or why the execution fails at once).
    pub fn start(
        machine: &str,
        input: Data,
        options: &ExecutionOptions,
        uses_context: bool,
    ) -> (Self, u64, Result<Data, StatesError>) {
        let keep = options.keep_history;
        // JSON of a typed input is made only when the history or `$$` needs it.
        let json = match &input {
            Data::Json(v) | Data::Bounded(v, _) => Some(v),
            Data::Typed(..) => None,
        };
        let made = match (&input, keep || uses_context) {
            (Data::Typed(t, _), true) => Some(t.to_json().unwrap_or(Value::Null)),
            _ => None,
        };
        let json = json.or(made.as_ref());
        let needs_time = keep || uses_context;
        // Without history or `$$` no time is recorded: the clock starts when first read.
        let clock = if needs_time {
            Clock::new()
        } else {
            Clock::lazy()
        };
        // A subscriber sees every execution by name: one is made when none was given.
        let traced = crate::trace::wants_execution_name();
        let name = match (&options.name, uses_context || traced) {
            (Some(n), _) => Some(n.clone()),
            (None, true) => Some(crate::engine::new_uuid()),
            (None, false) => None,
        };
        let span = match (&name, traced) {
            (Some(n), true) => crate::trace::execution(
                machine,
                Some(n),
                Some(&crate::arn::execution(
                    REGION,
                    crate::arn::DEFAULT_ACCOUNT,
                    machine,
                    n,
                )),
            ),
            _ => tracing::Span::none(),
        };
        let info = if uses_context {
            let name = name.unwrap_or_else(crate::engine::new_uuid);
            Arc::new(ExecutionInfo {
                id: crate::arn::execution(REGION, crate::arn::DEFAULT_ACCOUNT, machine, &name),
                name,
                start_time: clock.now_rfc3339(),
                input: json.cloned().unwrap_or(Value::Null),
                role_arn: ROLE_ARN.to_string(),
                redrive_count: 0,
                state_machine_id: crate::arn::state_machine(
                    REGION,
                    crate::arn::DEFAULT_ACCOUNT,
                    machine,
                ),
                state_machine_name: machine.to_string(),
            })
        } else {
            // Nothing reads the execution's facts without `$$`.
            NO_INFO.clone()
        };
        let cx = Execution {
            info,
            history: History::new(keep),
            keep,
            clock,
            payload_limit: options.payload_limit,
            needs_time,
            span,
        };
        let mut started = 0;
        cx.record(&mut started, EventType::ExecutionStarted, || {
            Some((
                "executionStartedEventDetails",
                json!({"input": json.map(to_text).unwrap_or_default(), "inputDetails": {"truncated": false}, "roleArn": ROLE_ARN}),
            ))
        });
        // The input is measured when it is JSON (a typed one: when it was serialized here); a
        // JSON input carries its bound on to the first state.
        let checked = match (cx.payload_limit, json) {
            (Some(l), Some(v)) => Some(size::checked(v, l)),
            _ => None,
        };
        let input = match (checked, input) {
            (Some(None), _) => Err(quotas::payload_exceeded(None)),
            (Some(Some(b)), Data::Json(v)) => Ok(Data::Bounded(v, b)),
            (_, input) => Ok(input),
        };
        (cx, started, input)
    }

    fn check_size(&self, v: &Value, what: &str) -> Result<(), StatesError> {
        match self.payload_limit {
            Some(l) if size::exceeds(v, l) => Err(quotas::payload_exceeded(Some(what))),
            _ => Ok(()),
        }
    }

    /// The checks of `state`'s output ([`quotas::check_output`]: payload size, nesting) on
    /// JSON data (a bound that fits the limit spares the count); a typed value is checked when
    /// it is serialized.
    fn check_output(&self, d: &Data, state: &str) -> Result<(), StatesError> {
        let (v, bound) = match d {
            Data::Json(v) => (v, None),
            Data::Bounded(v, b) => (v, Some(*b)),
            Data::Typed(..) => return Ok(()),
        };
        quotas::check_output(v, bound, self.payload_limit, state).map(drop)
    }

    /// The value as JSON. A typed value is serialized and measured (JSON was measured where it
    /// was made); an oversized one fails as the state that produced it would have.
    pub fn json(&self, d: Data) -> Result<Value, StatesError> {
        self.json_measured(d).map(|(v, _)| v)
    }

    /// [`Self::json`], with the bound of the JSON text when one is known: carried by the data,
    /// or counted here (a typed value under a payload limit).
    fn json_measured(&self, d: Data) -> Result<(Value, Option<usize>), StatesError> {
        match d {
            Data::Json(v) => Ok((v, None)),
            Data::Bounded(v, b) => Ok((v, Some(b))),
            Data::Typed(t, from) => {
                let v = t.to_json()?;
                let bound = match (from, self.payload_limit) {
                    // A state's output, checked as its state would have.
                    (Some(state), limit) => quotas::check_output(&v, None, limit, state)?,
                    (None, Some(l)) => match size::checked(&v, l) {
                        Some(b) => Some(b),
                        None => return Err(quotas::payload_exceeded(None)),
                    },
                    (None, None) => None,
                };
                Ok((v, bound))
            }
        }
    }

    /// Records an event (or, not keeping them, counts it): `*prev` becomes its id.
    #[inline]
    fn record(
        &self,
        prev: &mut u64,
        kind: EventType,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) {
        *prev = self
            .history
            .push(*prev, kind, || self.clock.now_rfc3339(), details);
    }

    /// The id of an event not kept (only counted).
    #[inline]
    fn count(&self) -> u64 {
        self.history.count_one()
    }

    /// The number of events so far.
    fn events(&self) -> u64 {
        self.history.len()
    }

    /// Records `…StateEntered` and opens the state.
    #[inline]
    pub fn enter<'a>(
        &'a self,
        prev: &mut u64,
        name: &'static str,
        state: &'static State,
        data: &Data,
    ) -> StateRun<'a> {
        self.enter_with(prev, name, state, || data.text())
    }

    /// Enters a plain typed Task run right after another plain typed task (see
    /// [`StateRun::task_input`]): records `…StateEntered`, `TaskScheduled` and `TaskStarted`.
    /// Its input is that task's typed output, moved from handler to handler (`input` is that
    /// task's outcome as the generated code holds it: an error passes on). Gives the state and
    /// the handler's input.
    #[inline(always)]
    pub fn enter_task<'a, O, T>(
        &'a self,
        prev: &mut u64,
        name: &'static str,
        state: &'static State,
        input: Result<O, StatesError>,
    ) -> Result<(StateRun<'a>, T), StatesError>
    where
        O: Serialize + Send + 'static,
        T: DeserializeOwned + 'static,
    {
        let input = input?;
        let run = self.enter_with(prev, name, state, || text_of(&input));
        run.task_started(prev, || text_of(&input));
        // The workflow's type checks make `O` and `T` the same type; were they not, this fails
        // as `Data::into_typed` does on a typed value of another type.
        let mut slot = Some(input);
        match (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take)
        {
            Some(v) => Ok((run, v)),
            None => Err(run.task_failed(
                prev,
                StatesError::new(
                    names::TASK_FAILED,
                    "a typed value reached a handler of another type",
                ),
            )),
        }
    }

    #[inline(always)]
    fn enter_with<'a>(
        &'a self,
        prev: &mut u64,
        name: &'static str,
        state: &'static State,
        input: impl FnOnce() -> String,
    ) -> StateRun<'a> {
        let entered_time = self.clock.entered_time(self.needs_time);
        if self.keep {
            self.entered_kept(prev, name, state, entered_time, input());
        } else {
            *prev = self.count();
        }
        StateRun {
            cx: self,
            name,
            state,
            entered: *prev,
            entered_time,
            span: crate::trace::state_in(&self.span, name, &state.kind),
        }
    }

    /// Records a kept `…StateEntered` with the input's text.
    #[inline(never)]
    fn entered_kept(
        &self,
        prev: &mut u64,
        name: &str,
        state: &State,
        time: jiff::Timestamp,
        input: String,
    ) {
        let kind = state_event(&state.kind, true);
        *prev = self.history.push(
            *prev,
            kind,
            || format!("{time:.3}"),
            || {
                Some((
                    "stateEnteredEventDetails",
                    json!({"name": name, "input": input, "inputDetails": {"truncated": false}}),
                ))
            },
        );
    }

    /// Ends the execution (as the interpreter ends one).
    pub fn finish(self, outcome: Result<Data, StatesError>) -> ExecutionResult {
        let outcome = outcome.and_then(|d| self.json(d)).map_err(Ending::Failed);
        conclude(&self.clock, &self.history, outcome, true)
    }

    /// Ends an execution that ran past its `TimeoutSeconds`.
    pub fn timed_out(self) -> ExecutionResult {
        conclude(&self.clock, &self.history, Err(Ending::TimedOut), true)
    }
}

impl StateRun<'_> {
    /// A plain typed Task (the macro checked it has no Retry, Catch, InputPath, Parameters,
    /// ResultSelector, ResultPath, OutputPath or TimeoutSeconds), first part: records
    /// `TaskScheduled` and `TaskStarted` and gives the input of `handler`. The generated code then
    /// awaits the handler itself and hands its result to [`StateRun::task_result`].
    pub fn task_input<T: DeserializeOwned + 'static>(
        &self,
        prev: &mut u64,
        input: Data,
        handler: &str,
    ) -> Result<T, StatesError> {
        self.task_started(prev, || input.text());
        match input.into_typed(self.name, handler) {
            Ok(v) => Ok(v),
            Err(e) => Err(self.task_failed(prev, e)),
        }
    }

    /// A plain typed Task, last part: records `TaskSucceeded` and `TaskStateExited` (or
    /// `TaskFailed`); gives the state's output, the handler's result.
    #[inline(always)]
    pub fn task_result<O, E>(&self, prev: &mut u64, result: Result<O, E>) -> Result<O, StatesError>
    where
        O: Serialize,
        E: Into<TaskError>,
    {
        let v = match result {
            Ok(v) => v,
            Err(e) => return Err(self.task_error(prev, e)),
        };
        let cx = self.cx;
        if cx.keep {
            self.task_succeeded_kept(prev, serde_json::to_value(&v).ok())?;
        } else {
            // Not serialized here: measured if and when it is (see the module's notes).
            cx.count();
            *prev = cx.count();
        }
        Ok(v)
    }

    fn context(&self) -> Context<'_> {
        Context::for_state(
            &self.cx.info,
            self.name,
            &self.state.kind,
            self.entered_time,
        )
    }

    /// Records `…StateExited` after checking the output (payload size, nesting).
    pub fn exit(&self, prev: &mut u64, out: &Data) -> Result<(), StatesError> {
        let cx = self.cx;
        if !cx.keep {
            // A typed output is checked when it is serialized (see the module's notes).
            cx.check_output(out, self.name).map_err(|e| self.fail(e))?;
            *prev = cx.count();
            return Ok(());
        }
        // Kept events carry the output as text: a typed one is serialized, so checked, here.
        let text = match out {
            Data::Json(v) | Data::Bounded(v, _) => {
                cx.check_output(out, self.name).map_err(|e| self.fail(e))?;
                to_text(v)
            }
            Data::Typed(t, _) => match t.to_json() {
                Ok(v) => {
                    quotas::check_output(&v, None, cx.payload_limit, self.name)
                        .map_err(|e| self.fail(e))?;
                    to_text(&v)
                }
                Err(_) => String::new(),
            },
        };
        self.exited(prev, text);
        cx.history.check_quota().map_err(|e| self.fail(e))
    }

    /// Records `…StateExited` (kept events) with the output's text.
    fn exited(&self, prev: &mut u64, text: String) {
        let name = self.name;
        self.cx
            .record(prev, state_event(&self.state.kind, false), || {
                Some((
                    "stateExitedEventDetails",
                    json!({"name": name, "output": text, "outputDetails": {"truncated": false}}),
                ))
            });
    }

    /// Fails the state: locates its error and records it on the state's span.
    fn fail(&self, e: StatesError) -> StatesError {
        let e = locate(e, self.name, self.entered);
        crate::trace::failed(&self.span, &e);
        e
    }

    /// A Pass state.
    pub fn pass(&self, prev: &mut u64, input: Data) -> Result<Data, StatesError> {
        let StateKind::Pass(p) = &self.state.kind else {
            unreachable!("pass on a {}", self.state.kind.type_name())
        };
        let ctx = self.context();
        let env = Env {
            context: &ctx,
            vars: &NO_VARIABLES,
        };
        let mut bound = input.bound();
        let out = self
            .cx
            .json(input)
            .and_then(|input| {
                pass_output(
                    self.state,
                    p,
                    input,
                    &mut bound,
                    self.cx.payload_limit,
                    &env,
                    |_| Ok(()),
                )
            })
            .map_err(|e| self.fail(e))?;
        let out = Data::with_bound(out, bound);
        self.exit(prev, &out)?;
        Ok(out)
    }

    /// A Choice state: which rule matched (`Some(i)`) or the Default (`None`).
    pub fn choice(
        &self,
        prev: &mut u64,
        input: Data,
    ) -> Result<(Option<usize>, Data), StatesError> {
        let StateKind::Choice(c) = &self.state.kind else {
            unreachable!("choice on a {}", self.state.kind.type_name())
        };
        let ctx = self.context();
        let env = Env {
            context: &ctx,
            vars: &NO_VARIABLES,
        };
        let bound = subset_bound(self.state, input.bound());
        let (which, out) = (|| {
            let input = self.cx.json(input)?;
            let effective = paths::input_path(self.state.input_path.as_ref(), &input, &env)?;
            let which = choice::matching_rule(c, &effective, &env)?;
            let effective = effective.into_owned();
            Ok((
                which,
                paths::apply_io_path(self.state.output_path.as_ref(), effective, &env)?,
            ))
        })()
        .map_err(|e| self.fail(e))?;
        let out = Data::with_bound(out, bound);
        self.exit(prev, &out)?;
        Ok((which, out))
    }

    /// A Succeed state.
    pub fn succeed(&self, prev: &mut u64, input: Data) -> Result<Data, StatesError> {
        let out = if self.state.input_path.is_none() && self.state.output_path.is_none() {
            input
        } else {
            let ctx = self.context();
            let env = Env {
                context: &ctx,
                vars: &NO_VARIABLES,
            };
            let v = self.cx.json(input).map_err(|e| self.fail(e))?;
            let v = paths::apply_io_path(self.state.input_path.as_ref(), v, &env)
                .and_then(|v| paths::apply_io_path(self.state.output_path.as_ref(), v, &env))
                .map_err(|e| self.fail(e))?;
            Data::Json(v)
        };
        self.exit(prev, &out)?;
        Ok(out)
    }

    /// A Fail state: the error it raises.
    pub fn fail_state(&self, input: Data) -> StatesError {
        let StateKind::Fail(f) = &self.state.kind else {
            unreachable!("fail on a {}", self.state.kind.type_name())
        };
        let ctx = self.context();
        let env = Env {
            context: &ctx,
            vars: &NO_VARIABLES,
        };
        let input = match self.cx.json(input) {
            Ok(v) => v,
            Err(e) => return self.fail(e),
        };
        match crate::engine::fail::fail_error(f, &input, &env) {
            Ok(e) => {
                crate::trace::failed(&self.span, &e);
                e
            }
            Err(e) => self.fail(e),
        }
    }

    /// A Wait state.
    pub async fn wait(&self, prev: &mut u64, input: Data) -> Result<Data, StatesError> {
        let StateKind::Wait(w) = &self.state.kind else {
            unreachable!("wait on a {}", self.state.kind.type_name())
        };
        let (effective, delay) = {
            let ctx = self.context();
            let env = Env {
                context: &ctx,
                vars: &NO_VARIABLES,
            };
            (|| {
                let input = self.cx.json(input)?;
                let effective =
                    paths::input_path(self.state.input_path.as_ref(), &input, &env)?.into_owned();
                let delay = wait_duration(w, &effective, &env, &self.cx.clock)?;
                Ok::<_, StatesError>((effective, delay))
            })()
            .map_err(|e| self.fail(e))?
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let ctx = self.context();
        let env = Env {
            context: &ctx,
            vars: &NO_VARIABLES,
        };
        let out = Data::Json(
            paths::apply_io_path(self.state.output_path.as_ref(), effective, &env)
                .map_err(|e| self.fail(e))?,
        );
        self.exit(prev, &out)?;
        Ok(out)
    }

    /// True when nothing JSON-only stands around the work of a Task, Parallel or Map: its
    /// input and result pass as they are (a typed value stays typed).
    fn plain(
        &self,
        retriers: &[Retrier],
        catchers: &[Catcher],
        parameters: Option<&Template>,
        result_selector: Option<&Template>,
        result_path: Option<&stepfn_asl::ResultPath>,
    ) -> bool {
        retriers.is_empty()
            && catchers.is_empty()
            && parameters.is_none()
            && result_selector.is_none()
            && result_path.is_none()
            && self.state.input_path.is_none()
            && self.state.output_path.is_none()
    }

    /// Task, Parallel and Map under Retry and Catch: `attempt` does the work on the effective
    /// input (after InputPath and Parameters). Returns where to go and the output.
    #[allow(clippy::too_many_arguments)]
    async fn guarded<F, Fut>(
        &self,
        prev: &mut u64,
        input: Data,
        retriers: &[Retrier],
        catchers: &[Catcher],
        parameters: Option<&Template>,
        result_selector: Option<&Template>,
        result_path: Option<&stepfn_asl::ResultPath>,
        mut attempt: F,
    ) -> Result<(Next, Data), StatesError>
    where
        F: FnMut(Data, u64, u64) -> Fut,
        Fut: Future<Output = (u64, Result<Data, StatesError>)>,
    {
        if self.plain(retriers, catchers, parameters, result_selector, result_path) {
            // Typed fast path: nothing JSON-only stands in the way.
            let (p, r) = attempt(input, 0, *prev).await;
            *prev = p;
            let out = match r {
                Ok(out) => out,
                Err(e) => {
                    let e = self.fail(e);
                    self.on_failed(prev, &e);
                    return Err(e);
                }
            };
            self.exit(prev, &out)?;
            return Ok((Next::Normal, out));
        }
        let ctx = self.context();
        let env = Env {
            context: &ctx,
            vars: &NO_VARIABLES,
        };
        let raw = self.cx.json(input).map_err(|e| self.fail(e))?;
        let mut counters = vec![0u64; retriers.len()];
        let mut retry_count = 0u64;
        let outcome =
            loop {
                // `$$.State.RetryCount` of this attempt.
                let retried = (retry_count > 0).then(|| ctx.on_retry(retry_count));
                let env = Env {
                    context: retried.as_ref().unwrap_or(&ctx),
                    vars: &NO_VARIABLES,
                };
                let prepared = paths::input_path(self.state.input_path.as_ref(), &raw, &env)
                    .and_then(|eff| match parameters {
                        Some(t) => template::evaluate(t, &eff, &env),
                        None => Ok(eff.into_owned()),
                    });
                let result = match prepared {
                    Ok(eff) => {
                        let (p, r) = attempt(Data::Json(eff), retry_count, *prev).await;
                        *prev = p;
                        r
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(v) => break Ok(v),
                    Err(e) => {
                        if let Some(i) = retry::find_retrier(retriers, &e.error) {
                            let r = &retriers[i];
                            if counters[i] < r.attempts() {
                                counters[i] += 1;
                                retry_count += 1;
                                let d = retry::delay(r, counters[i], fastrand::f64());
                                crate::trace::retry(&self.span, self.name, retry_count, d, &e);
                                if !d.is_zero() {
                                    tokio::time::sleep(d).await;
                                }
                                continue;
                            }
                        }
                        break Err(e);
                    }
                }
            };
        match outcome {
            Ok(result) => {
                let out = (|| {
                    let result = self.cx.json(result)?;
                    let result = match result_selector {
                        Some(t) => template::evaluate(t, &result, &env)?,
                        None => result,
                    };
                    let out = paths::apply_result_path(result_path, raw, result)?;
                    paths::apply_io_path(self.state.output_path.as_ref(), out, &env)
                })()
                .map_err(|e| self.fail(e))?;
                let out = Data::Json(out);
                self.exit(prev, &out)?;
                Ok((Next::Normal, out))
            }
            Err(e) => {
                // A caught error does not fail the state: only an uncaught one is traced.
                let e = locate(e, self.name, self.entered);
                if let Some(i) = retry::find_catcher(catchers, &e.error) {
                    let c = &catchers[i];
                    crate::trace::catch(&self.span, self.name, &e, &c.next);
                    self.on_caught(prev);
                    let error_output = json!({"Error": e.error, "Cause": e.cause});
                    let out = Data::Json(
                        paths::apply_result_path(c.result_path.as_ref(), raw, error_output)
                            .map_err(|e| self.fail(e))?,
                    );
                    self.exit(prev, &out)?;
                    return Ok((Next::Caught(i), out));
                }
                crate::trace::failed(&self.span, &e);
                self.on_failed(prev, &e);
                Err(e)
            }
        }
    }

    fn on_caught(&self, prev: &mut u64) {
        match &self.state.kind {
            StateKind::Parallel(_) => self
                .cx
                .record(prev, EventType::ParallelStateFailed, || None),
            StateKind::Map(_) => self.cx.record(prev, EventType::MapStateFailed, || None),
            _ => {}
        }
    }

    fn on_failed(&self, prev: &mut u64, e: &StatesError) {
        if e.error == names::RUNTIME {
            return;
        }
        match &self.state.kind {
            StateKind::Parallel(_) => self.cx.record(prev, EventType::ParallelStateFailed, || {
                Some(("parallelStateFailedEventDetails", error_details(e)))
            }),
            StateKind::Map(_) => self.cx.record(prev, EventType::MapStateFailed, || None),
            _ => {}
        }
    }
}

/// The error of a failed state (for generated code, which binds a success with `let … else`).
#[cold]
pub fn error_of<T>(result: Result<T, StatesError>) -> StatesError {
    match result {
        Err(e) => e,
        Ok(_) => StatesError::runtime("a state succeeded where it was expected to fail"),
    }
}

/// A compiled scope: runs a branch or an iteration from its start to its end.
pub type Scope =
    for<'a> fn(&'a Execution, Data, &'a mut u64) -> BoxFuture<'a, Result<Data, StatesError>>;

/// The state at `index` in the States of `scope` (for generated code).
#[inline]
pub fn state_at(
    states: &'static indexmap::IndexMap<String, State>,
    index: usize,
) -> &'static State {
    match states.get_index(index) {
        Some((_, s)) => s,
        None => unreachable!("workflow! generated a state index out of range"),
    }
}

/// The States of a Parallel branch (for generated code).
pub fn branch_states(
    state: &'static State,
    branch: usize,
) -> &'static indexmap::IndexMap<String, State> {
    match &state.kind {
        StateKind::Parallel(p) => &p.branches[branch].states,
        _ => unreachable!("workflow! generated a branch of a non-Parallel state"),
    }
}

/// The States of a Map processor (for generated code).
pub fn processor_states(state: &'static State) -> &'static indexmap::IndexMap<String, State> {
    match &state.kind {
        StateKind::Map(m) => &m.processor.states,
        _ => unreachable!("workflow! generated a processor of a non-Map state"),
    }
}
