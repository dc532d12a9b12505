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
//! serialized only when something needs JSON (a path, a template, the history).

use crate::engine::history::History;
use crate::engine::locate;
use crate::engine::{choice, retry, Clock, ExecutionOptions, ExecutionResult, ExecutionStatus};
use crate::engine::{error_details, resource_parts, state_event, to_text, wait_duration};
use crate::error::{names, StatesError};
use crate::io::context::ExecutionInfo;
use crate::io::{paths, size, template, Context, Env, Variables};
use futures::future::BoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use stepfn_asl::{
    Catcher, Expr, MapState, Parallel, Retrier, State, StateKind, Task, Template, Transition,
};

const REGION: &str = "us-east-1";
const EXECUTION_ARN_PREFIX: &str = "arn:aws:states:us-east-1:123456789012:execution:";
const STATE_MACHINE_ARN_PREFIX: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/stepfn-execution";

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
    /// A typed value (serialized on demand).
    Typed(Box<dyn TypedValue>),
}

impl Data {
    /// Wraps a typed value.
    pub fn typed<T: Serialize + Send + 'static>(v: T) -> Self {
        Data::Typed(Box::new(v))
    }

    /// The value as JSON (serializing a typed value).
    pub fn into_json(self) -> Result<Value, StatesError> {
        match self {
            Data::Json(v) => Ok(v),
            Data::Typed(t) => t.to_json(),
        }
    }

    /// A JSON copy of the value.
    pub fn to_json(&self) -> Result<Value, StatesError> {
        match self {
            Data::Json(v) => Ok(v.clone()),
            Data::Typed(t) => t.to_json(),
        }
    }

    /// The value as `T`: a typed value of that type is moved out; anything else goes through JSON.
    pub fn into_typed<T: DeserializeOwned + 'static>(self) -> Result<T, StatesError> {
        match self {
            Data::Typed(t) => match t.into_any().downcast::<T>() {
                Ok(v) => Ok(*v),
                Err(_) => Err(StatesError::new(
                    names::TASK_FAILED,
                    "a typed value reached a handler of another type",
                )),
            },
            Data::Json(v) => serde_json::from_value(v).map_err(|e| {
                StatesError::new(
                    names::TASK_FAILED,
                    format!("the task input does not match the handler's input type: {e}"),
                )
            }),
        }
    }
}

/// One execution of a compiled workflow: its facts, clock and history.
pub struct Execution {
    info: Arc<ExecutionInfo>,
    history: History,
    clock: Clock,
    payload_limit: Option<usize>,
    needs_time: bool,
}

/// Where a state continues.
pub enum Next {
    /// Its `Next` (or `End`).
    Normal,
    /// A Choice rule matched (its index) or the Default was taken (`None`).
    Choice(Option<usize>),
    /// A catcher (its index) caught an error.
    Caught(usize),
}

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
}

static NO_VARIABLES: std::sync::LazyLock<Variables> = std::sync::LazyLock::new(Variables::new);

impl Execution {
    /// Starts an execution: records `ExecutionStarted`. Returns it with the id of that event.
    pub fn start(
        machine: &str,
        input: &Data,
        options: &ExecutionOptions,
        uses_context: bool,
    ) -> (Self, u64) {
        // JSON of a typed input is made only when the history or `$$` needs it.
        let json = if options.keep_history || uses_context {
            input.to_json().unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let input = &json;
        let name = options.name.clone().unwrap_or_else(crate::engine::new_uuid);
        let needs_time = options.keep_history || uses_context;
        // Without history or `$$` no time is recorded: the clock starts when first read.
        let clock = if needs_time {
            Clock::new()
        } else {
            Clock::lazy()
        };
        let concat = |parts: &[&str]| {
            let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
            parts.iter().for_each(|p| s.push_str(p));
            s
        };
        let info = Arc::new(ExecutionInfo {
            id: concat(&[EXECUTION_ARN_PREFIX, machine, ":", &name]),
            name,
            // Read only through `$$`.
            start_time: if uses_context {
                clock.now_rfc3339()
            } else {
                String::new()
            },
            input: if uses_context {
                input.clone()
            } else {
                Value::Null
            },
            role_arn: ROLE_ARN.to_string(),
            redrive_count: 0,
            state_machine_id: concat(&[STATE_MACHINE_ARN_PREFIX, machine]),
            state_machine_name: machine.to_string(),
        });
        let history = History::new(options.keep_history);
        let started = history.push(0, "ExecutionStarted", || clock.now_rfc3339(), || {
            Some((
                "executionStartedEventDetails",
                json!({"input": to_text(input), "inputDetails": {"truncated": false}, "roleArn": info.role_arn}),
            ))
        });
        let cx = Execution {
            info,
            history,
            clock,
            payload_limit: options.payload_limit,
            needs_time,
        };
        (cx, started)
    }

    /// True when the execution input is over the payload limit.
    pub fn input_too_big(&self, input: &Data) -> Option<StatesError> {
        let Data::Json(input) = input else {
            return None;
        };
        self.payload_limit
            .filter(|l| size::exceeds(input, *l))
            .map(|_| {
                StatesError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    "The execution input exceeds the maximum payload size of 262144 bytes",
                )
            })
    }

    fn check_size(&self, v: &Data, what: &str) -> Result<(), StatesError> {
        if let (Some(l), Data::Json(v)) = (self.payload_limit, v) {
            if size::exceeds(v, l) {
                return Err(StatesError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!("The state/task '{what}' returned a result with a size exceeding the maximum number of bytes service limit."),
                ));
            }
        }
        Ok(())
    }

    fn push(
        &self,
        prev: &mut u64,
        kind: &'static str,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) {
        *prev = self
            .history
            .push(*prev, kind, || self.clock.now_rfc3339(), details);
    }

    /// Records `…StateEntered` and opens the state.
    pub fn enter<'a>(
        &'a self,
        prev: &mut u64,
        name: &'static str,
        state: &'static State,
        data: &Data,
    ) -> StateRun<'a> {
        let entered_time = if self.needs_time {
            self.clock.now()
        } else {
            jiff::Timestamp::UNIX_EPOCH
        };
        let kind = state_event(&state.kind, true);
        *prev = self.history.push(*prev, kind, || format!("{entered_time:.3}"), || {
            Some((
                "stateEnteredEventDetails",
                json!({"name": name, "input": data.to_json().map(|v| to_text(&v)).unwrap_or_default(), "inputDetails": {"truncated": false}}),
            ))
        });
        StateRun {
            cx: self,
            name,
            state,
            entered: *prev,
            entered_time,
        }
    }

    /// Ends the execution.
    pub fn finish(self, outcome: Result<Data, StatesError>) -> ExecutionResult {
        let mut prev = self.history.len();
        let outcome = outcome.and_then(Data::into_json);
        match outcome {
            Ok(output) => {
                self.push(&mut prev, "ExecutionSucceeded", || {
                    Some((
                        "executionSucceededEventDetails",
                        json!({"output": to_text(&output), "outputDetails": {"truncated": false}}),
                    ))
                });
                ExecutionResult {
                    status: ExecutionStatus::Succeeded,
                    output: Some(output),
                    error: None,
                    cause: None,
                    history: self.history.events(),
                }
            }
            Err(e) => {
                self.push(&mut prev, "ExecutionFailed", || {
                    Some(("executionFailedEventDetails", error_details(&e)))
                });
                ExecutionResult {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: Some(e.error),
                    cause: Some(e.cause),
                    history: self.history.events(),
                }
            }
        }
    }

    /// Ends an execution that ran past its `TimeoutSeconds`.
    pub fn timed_out(self) -> ExecutionResult {
        let mut prev = self.history.len();
        let e = StatesError::new(
            names::TIMEOUT,
            "The execution ran longer than the state machine's TimeoutSeconds",
        );
        self.push(&mut prev, "ExecutionTimedOut", || {
            Some(("executionTimedOutEventDetails", error_details(&e)))
        });
        ExecutionResult {
            status: ExecutionStatus::TimedOut,
            output: None,
            error: Some(e.error),
            cause: Some(e.cause),
            history: self.history.events(),
        }
    }
}

impl StateRun<'_> {
    fn context(&self) -> Context<'static> {
        Context::new(self.cx.info.clone(), self.name, self.entered_time, 0)
    }

    /// Records `…StateExited` after checking the output's size.
    pub fn exit(&self, prev: &mut u64, out: &Data) -> Result<(), StatesError> {
        self.cx.check_size(out, self.name)?;
        let name = self.name;
        self.cx.push(prev, state_event(&self.state.kind, false), || {
            Some((
                "stateExitedEventDetails",
                json!({"name": name, "output": out.to_json().map(|v| to_text(&v)).unwrap_or_default(), "outputDetails": {"truncated": false}}),
            ))
        });
        Ok(())
    }

    fn fail(&self, e: StatesError) -> StatesError {
        locate(e, self.name, self.entered)
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
        let out = (|| {
            let input = input.into_json()?;
            let result = match (&p.result, &p.parameters) {
                (Some(r), _) => r.clone(),
                (None, Some(t)) => template::evaluate(
                    t,
                    &*paths::input_path(self.state.input_path.as_ref(), &input, &env)?,
                    &env,
                )?,
                (None, None) => {
                    paths::input_path(self.state.input_path.as_ref(), &input, &env)?.into_owned()
                }
            };
            let out = paths::apply_result_path(p.result_path.as_ref(), input, result)?;
            paths::apply_io_path(self.state.output_path.as_ref(), out, &env)
        })()
        .map_err(|e| self.fail(e))?;
        let out = Data::Json(out);
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
        let (which, out) = (|| {
            let input = input.into_json()?;
            let effective = paths::input_path(self.state.input_path.as_ref(), &input, &env)?;
            let mut which = None;
            for (i, rule) in c.choices.iter().enumerate() {
                if choice::evaluate(&rule.condition, &effective, &env)? {
                    which = Some(i);
                    break;
                }
            }
            if which.is_none() && c.default.is_none() {
                return Err(StatesError::new(names::NO_CHOICE_MATCHED, "No Matches!"));
            }
            let effective = effective.into_owned();
            Ok((
                which,
                paths::apply_io_path(self.state.output_path.as_ref(), effective, &env)?,
            ))
        })()
        .map_err(|e| self.fail(e))?;
        let out = Data::Json(out);
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
            let v = input.into_json().map_err(|e| self.fail(e))?;
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
        let input = match input.into_json() {
            Ok(v) => v,
            Err(e) => return self.fail(e),
        };
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
                Template::Path(p) => paths::select(p, &input, &env)?
                    .ok_or_else(|| paths::path_not_found(p, field, &input))?,
                other => template::evaluate(other, &input, &env)?,
            };
            Ok(match v {
                Value::String(s) => s,
                other => to_text(&other),
            })
        };
        let error = match text(&f.error, &f.error_path, "ErrorPath") {
            Ok(e) => e,
            Err(e) => return self.fail(e),
        };
        match text(&f.cause, &f.cause_path, "CausePath") {
            Ok(cause) => StatesError::new(error, cause),
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
                let input = input.into_json()?;
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
        let plain = retriers.is_empty()
            && catchers.is_empty()
            && parameters.is_none()
            && result_selector.is_none()
            && result_path.is_none()
            && self.state.input_path.is_none()
            && self.state.output_path.is_none();
        if plain {
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
        let raw = input.into_json().map_err(|e| self.fail(e))?;
        let mut counters = vec![0u64; retriers.len()];
        let mut retry_count = 0u64;
        let outcome =
            loop {
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
                    let result = result.into_json()?;
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
                let e = self.fail(e);
                if let Some(i) = retry::find_catcher(catchers, &e.error) {
                    let c = &catchers[i];
                    self.on_caught(prev);
                    let error_output = json!({"Error": e.error, "Cause": e.cause});
                    let out = Data::Json(
                        paths::apply_result_path(c.result_path.as_ref(), raw, error_output)
                            .map_err(|e| self.fail(e))?,
                    );
                    self.exit(prev, &out)?;
                    return Ok((Next::Caught(i), out));
                }
                self.on_failed(prev, &e);
                Err(e)
            }
        }
    }

    fn on_caught(&self, prev: &mut u64) {
        match &self.state.kind {
            StateKind::Parallel(_) => self.cx.push(prev, "ParallelStateFailed", || None),
            StateKind::Map(_) => self.cx.push(prev, "MapStateFailed", || None),
            _ => {}
        }
    }

    fn on_failed(&self, prev: &mut u64, e: &StatesError) {
        if e.error == names::RUNTIME {
            return;
        }
        match &self.state.kind {
            StateKind::Parallel(_) => self.cx.push(prev, "ParallelStateFailed", || {
                Some(("parallelStateFailedEventDetails", error_details(e)))
            }),
            StateKind::Map(_) => self.cx.push(prev, "MapStateFailed", || None),
            _ => {}
        }
    }

    /// A Task state whose work is `call` (a typed handler or a registry lookup).
    pub async fn task<F, Fut>(
        &self,
        prev: &mut u64,
        input: Data,
        call: F,
    ) -> Result<(Next, Data), StatesError>
    where
        F: Fn(Data, u64) -> Fut,
        Fut: Future<Output = Result<Data, StatesError>>,
    {
        let StateKind::Task(t) = &self.state.kind else {
            unreachable!("task on a {}", self.state.kind.type_name())
        };
        let t: &Task = t;
        let timeout = match &t.timeout_seconds {
            Some(Expr::Literal(s)) => Some(*s),
            _ => None,
        };
        let cx = self.cx;
        let call = &call;
        let arn = t.resource.as_str();
        self.guarded(prev, input, &t.retry, &t.catch, t.parameters.as_ref(), t.result_selector.as_ref(), t.result_path.as_ref(), |data, attempt, mut p| async move {
            // Event details are built only when the history is kept.
            let details = |extra: Value| {
                let (resource_type, resource) = resource_parts(arn);
                let mut m = json!({"resourceType": resource_type, "resource": resource});
                if let (Some(m), Value::Object(x)) = (m.as_object_mut(), extra) {
                    m.extend(x);
                }
                m
            };
            cx.push(&mut p, "TaskScheduled", || {
                let mut d = details(json!({"region": REGION, "parameters": data.to_json().map(|v| to_text(&v)).unwrap_or_default()}));
                if let (Some(t), Some(m)) = (timeout, d.as_object_mut()) {
                    m.insert("timeoutInSeconds".into(), json!(t));
                }
                Some(("taskScheduledEventDetails", d))
            });
            cx.push(&mut p, "TaskStarted", || Some(("taskStartedEventDetails", details(json!({})))));
            let fut = call(data, attempt);
            let r = match timeout {
                Some(s) => match tokio::time::timeout(Duration::from_secs(s), fut).await {
                    Ok(r) => r,
                    Err(_) => {
                        let e = StatesError::new(names::TIMEOUT, "Task timed out.");
                        cx.push(&mut p, "TaskTimedOut", || Some(("taskTimedOutEventDetails", details(error_details(&e)))));
                        return (p, Err(e));
                    }
                },
                None => fut.await,
            };
            match r {
                Ok(v) => {
                    if let Err(e) = cx.check_size(&v, self.name) {
                        return (p, Err(e));
                    }
                    cx.push(&mut p, "TaskSucceeded", || {
                        Some(("taskSucceededEventDetails", details(json!({"output": v.to_json().map(|v| to_text(&v)).unwrap_or_default(), "outputDetails": {"truncated": false}}))))
                    });
                    (p, Ok(v))
                }
                Err(e) => {
                    cx.push(&mut p, "TaskFailed", || Some(("taskFailedEventDetails", details(error_details(&e)))));
                    (p, Err(e))
                }
            }
        })
        .await
    }

    /// A Parallel state whose branches are compiled scopes.
    pub async fn parallel(
        &self,
        prev: &mut u64,
        input: Data,
        branches: &[Scope],
    ) -> Result<(Next, Data), StatesError> {
        let StateKind::Parallel(p) = &self.state.kind else {
            unreachable!("parallel on a {}", self.state.kind.type_name())
        };
        let p: &Parallel = p;
        let cx = self.cx;
        self.guarded(
            prev,
            input,
            &p.retry,
            &p.catch,
            p.parameters.as_ref(),
            p.result_selector.as_ref(),
            p.result_path.as_ref(),
            |data, _attempt, mut pv| async move {
                cx.push(&mut pv, "ParallelStateStarted", || None);
                let started = pv;
                let eff = match data.into_json() {
                    Ok(v) => v,
                    Err(e) => return (pv, Err(e)),
                };
                let runs = branches.iter().map(|b| {
                    let eff = eff.clone();
                    async move {
                        let mut bprev = started;
                        b(cx, Data::Json(eff), &mut bprev)
                            .await
                            .and_then(Data::into_json)
                    }
                });
                let r = futures::future::try_join_all(runs)
                    .await
                    .map(|v| Data::Json(Value::Array(v)));
                (cx.history.len().max(pv), r)
            },
        )
        .await
    }

    /// An inline Map state whose processor is a compiled scope.
    pub async fn map(
        &self,
        prev: &mut u64,
        input: Data,
        processor: Scope,
    ) -> Result<(Next, Data), StatesError> {
        let StateKind::Map(m) = &self.state.kind else {
            unreachable!("map on a {}", self.state.kind.type_name())
        };
        let m: &MapState = m;
        let cx = self.cx;
        let name = self.name;
        let ctx = self.context();
        let ctx = &ctx;
        // Items, concurrency and ItemSelector read the Map's effective input (Parameters is the
        // legacy ItemSelector here, so it is not applied as a template before the work).
        self.guarded(
            prev,
            input,
            &m.retry,
            &m.catch,
            None,
            m.result_selector.as_ref(),
            m.result_path.as_ref(),
            |data, _attempt, mut pv| async move {
                let env = Env {
                    context: ctx,
                    vars: &NO_VARIABLES,
                };
                let prepared = (|| {
                    let eff = data.into_json()?;
                    let limit = match &m.max_concurrency {
                        Some(Expr::Literal(n)) => *n,
                        _ => 0,
                    };
                    let items = match &m.items_path {
                        Some(p) => paths::select(p, &eff, &env)?
                            .ok_or_else(|| paths::path_not_found(p, "ItemsPath", &eff))?,
                        None => eff.clone(),
                    };
                    match items {
                        Value::Array(a) => Ok((eff, a, limit)),
                        other => Err(StatesError::runtime(format!(
                            "Map state input must be an array but was: {}",
                            to_text(&other)
                        ))),
                    }
                })();
                let (eff, items, limit) = match prepared {
                    Ok(x) => x,
                    Err(e) => return (pv, Err(e)),
                };
                cx.push(&mut pv, "MapStateStarted", || {
                    Some((
                        "mapStateStartedEventDetails",
                        json!({"length": items.len()}),
                    ))
                });
                let started = pv;
                let limit = if limit == 0 {
                    40
                } else {
                    limit.min(40) as usize
                };
                let selector = m.item_selector.as_ref().or(m.parameters.as_ref());
                let eff = &eff;
                let iterations = items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| async move {
                        let item_input = match selector {
                            Some(t) => {
                                let ictx = ctx.with_map_item(index, item);
                                let ienv = Env {
                                    context: &ictx,
                                    vars: &NO_VARIABLES,
                                };
                                template::evaluate(t, eff, &ienv)?
                            }
                            None => item,
                        };
                        let mut ip = started;
                        cx.push(&mut ip, "MapIterationStarted", || {
                            Some((
                                "mapIterationStartedEventDetails",
                                json!({"name": name, "index": index}),
                            ))
                        });
                        let r = processor(cx, Data::Json(item_input), &mut ip)
                            .await
                            .and_then(Data::into_json);
                        let (kind, key) = if r.is_ok() {
                            ("MapIterationSucceeded", "mapIterationSucceededEventDetails")
                        } else {
                            ("MapIterationFailed", "mapIterationFailedEventDetails")
                        };
                        cx.push(&mut ip, kind, || {
                            Some((key, json!({"name": name, "index": index})))
                        });
                        r
                    });
                let mut stream = futures::stream::iter(iterations).buffered(limit);
                let mut results = Vec::new();
                while let Some(r) = stream.next().await {
                    match r {
                        Ok(v) => results.push(v),
                        Err(e) => return (cx.history.len().max(pv), Err(e)),
                    }
                }
                drop(stream);
                let mut p = cx.history.len().max(pv);
                cx.push(&mut p, "MapStateSucceeded", || None);
                (p, Ok(Data::Json(Value::Array(results))))
            },
        )
        .await
    }
}

/// A compiled scope: runs a branch or an iteration from its start to its end.
pub type Scope =
    for<'a> fn(&'a Execution, Data, &'a mut u64) -> BoxFuture<'a, Result<Data, StatesError>>;

/// The state at `index` in the States of `scope` (for generated code).
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

/// True when a workflow's `Next`/`End` is `End` (for generated code's assertions).
pub fn is_end(state: &State) -> bool {
    state.transition() == Some(&Transition::End)
}
