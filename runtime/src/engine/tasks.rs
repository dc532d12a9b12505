//! Task handlers: Rust functions registered for a Task state's `Resource`, and mocked responses in
//! the format of Step Functions Local's mock configuration file.

use crate::error::{names, StatesError};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// What a task handler is given for one attempt.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The Task state's name.
    pub state_name: String,
    /// The `Resource` ARN.
    pub resource: String,
    /// The effective input (after InputPath and Parameters).
    pub input: Value,
    /// 0 for the first attempt, then 1, 2, … for retries.
    pub attempt: u64,
    /// Stable across a crash and re-invocation of the same attempt, distinct per attempt:
    /// handlers with side effects use it to deduplicate.
    pub idempotency_key: String,
    /// `$$.Task.Token` when the task has one.
    pub task_token: Option<String>,
}

/// Something that performs Task states.
pub trait TaskHandler: Send + Sync {
    /// Performs one attempt; an `Err` carries the error name Retry and Catch match on.
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>>;

    /// True when the handler's result is the whole task's result even for activities and
    /// `.waitForTaskToken` resources (mocks do this, as in Step Functions Local); false (the
    /// default) when it only performs the request and the task then waits for its callback.
    fn answers_callbacks(&self) -> bool {
        false
    }
}

/// An error returned by a typed task handler: an error name and a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name, e.g. `Payment.Declined`.
    pub error: String,
    /// The cause.
    pub cause: String,
}

impl TaskError {
    /// A new task error.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

impl From<TaskError> for StatesError {
    fn from(e: TaskError) -> Self {
        StatesError::new(e.error, e.cause)
    }
}

impl From<StatesError> for TaskError {
    fn from(e: StatesError) -> Self {
        TaskError::new(e.error, e.cause)
    }
}

struct FnHandler<F>(F);

impl<F, Fut> TaskHandler for FnHandler<F>
where
    F: Fn(TaskRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Value, StatesError>> + Send + 'static,
{
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> {
        Box::pin((self.0)(request))
    }
}

/// The handlers of a runtime, by `Resource` as written; a `.waitForTaskToken` resource is also
/// found under its resource without the suffix (the usual key), a `.sync` one only as written
/// (see [`Runtime::register`](crate::Runtime::register)).
#[derive(Clone, Default)]
pub struct TaskRegistry {
    by_resource: HashMap<String, Arc<dyn TaskHandler>>,
    fallback: Option<Arc<dyn TaskHandler>>,
}

impl std::fmt::Debug for TaskRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRegistry")
            .field("resources", &self.by_resource.keys().collect::<Vec<_>>())
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl TaskRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a handler object for a resource.
    pub fn register_handler(
        &mut self,
        resource: impl Into<String>,
        handler: Arc<dyn TaskHandler>,
    ) -> &mut Self {
        self.by_resource.insert(resource.into(), handler);
        self
    }

    /// Registers an async function over JSON values for a resource.
    pub fn register_json<F, Fut>(&mut self, resource: impl Into<String>, f: F) -> &mut Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
    {
        let f = Arc::new(f);
        self.register_handler(
            resource,
            Arc::new(FnHandler(move |req: TaskRequest| {
                let fut = f(req.input);
                async move { fut.await.map_err(StatesError::from) }
            })),
        )
    }

    /// Registers a typed async function: the input is deserialized from the effective input, the
    /// output serialized as the result. An input that does not deserialize fails the task with
    /// `States.TaskFailed`, naming the state, the handler, the expected type and serde's message.
    pub fn register<I, O, E, F, Fut>(&mut self, resource: impl Into<String>, f: F) -> &mut Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<TaskError> + Send + 'static,
        F: Fn(I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
    {
        let f = Arc::new(f);
        let resource = resource.into();
        let res_name = resource.clone();
        self.register_handler(
            resource,
            Arc::new(FnHandler(move |req: TaskRequest| {
                let input = serde_json::from_value::<I>(req.input).map_err(|e| {
                    input_mismatch::<I>(&req.state_name, std::any::type_name::<F>(), &e)
                });
                let f = f.clone();
                let res_name = res_name.clone();
                async move {
                    let input = input?;
                    let out = f(input).await.map_err(|e| StatesError::from(e.into()))?;
                    serde_json::to_value(out).map_err(|e| {
                        StatesError::new(
                            names::TASK_FAILED,
                            format!("the output of `{res_name}` could not be serialized: {e}"),
                        )
                    })
                }
            })),
        )
    }

    /// A handler used for every resource without its own (mocks use this).
    pub fn set_fallback(&mut self, handler: Arc<dyn TaskHandler>) -> &mut Self {
        self.fallback = Some(handler);
        self
    }

    /// The handler for a resource.
    pub fn get(&self, resource: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.by_resource.get(resource).or(self.fallback.as_ref())
    }

    /// The handler registered for exactly this resource (not the fallback).
    pub fn get_exact(&self, resource: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.by_resource.get(resource)
    }

    /// The resources that have a handler of their own.
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.by_resource.keys().map(String::as_str)
    }

    /// The fallback handler.
    pub fn fallback(&self) -> Option<&Arc<dyn TaskHandler>> {
        self.fallback.as_ref()
    }
}

/// The error of a task whose input does not deserialize into its typed handler's input `I`
/// (the interpreter's registered handlers and the compiled form alike): `States.TaskFailed`,
/// naming the state, the handler, the expected type and serde's message.
pub(crate) fn input_mismatch<I>(
    state: &str,
    handler: &str,
    error: &serde_json::Error,
) -> StatesError {
    StatesError::new(
        names::TASK_FAILED,
        format!(
            "the input of state `{state}` does not match the input type `{}` of its handler `{handler}`: {error}",
            std::any::type_name::<I>()
        ),
    )
}

/// The name of a handler (a function item's path; the closure's for a closure), for errors.
pub fn handler_name<F>(_handler: &F) -> &'static str {
    std::any::type_name::<F>()
}

#[cfg_attr(
    not(any(feature = "cli", feature = "server", feature = "fuzzing")),
    allow(dead_code)
)]
/// Mocked responses from a Step Functions Local mock configuration file, for one test case.
///
/// ```json
/// { "StateMachines": { "Orders": { "TestCases": { "HappyPath": { "Charge": "ChargeOk" } } } },
///   "MockedResponses": { "ChargeOk": { "0": { "Return": {"ok": true} },
///                                      "1-2": { "Throw": { "Error": "E", "Cause": "c" } } } } }
/// ```
#[derive(Debug, Clone)]
pub struct MockResponses {
    /// State name → ordered responses (one per invocation; the last one repeats).
    by_state: HashMap<String, Vec<MockResponse>>,
}

#[cfg_attr(
    not(any(feature = "cli", feature = "server", feature = "fuzzing")),
    allow(dead_code)
)]
/// One mocked response.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    /// `Return`: the task succeeds with this result.
    Return(Value),
    /// `Throw`: the task fails.
    Throw {
        /// `Error`.
        error: String,
        /// `Cause`.
        cause: String,
    },
}

#[cfg_attr(
    not(any(feature = "cli", feature = "server", feature = "fuzzing")),
    allow(dead_code)
)]
impl MockResponses {
    /// Reads the test case `test_case` (of `state_machine`, or of whichever state machine has it).
    pub fn from_config(
        config: &Value,
        state_machine: Option<&str>,
        test_case: &str,
    ) -> Result<Self, String> {
        let machines = config
            .get("StateMachines")
            .and_then(Value::as_object)
            .ok_or("the mock configuration has no `StateMachines` object")?;
        let case = machines
            .iter()
            .filter(|(name, _)| state_machine.is_none_or(|s| s == name.as_str()))
            .find_map(|(_, sm)| sm.get("TestCases").and_then(|t| t.get(test_case)))
            .ok_or_else(|| format!("no test case `{test_case}` in the mock configuration"))?;
        let case = case
            .as_object()
            .ok_or_else(|| format!("test case `{test_case}` must be an object"))?;
        let responses = config.get("MockedResponses").and_then(Value::as_object);
        let mut by_state = HashMap::new();
        for (state, resp_name) in case {
            let resp_name = resp_name.as_str().ok_or_else(|| {
                format!(
                    "test case `{test_case}`: the value for `{state}` must name a mocked response"
                )
            })?;
            let resp = responses
                .and_then(|r| r.get(resp_name))
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    format!("mocked response `{resp_name}` (for state `{state}`) is not defined")
                })?;
            let mut seq: Vec<(u64, u64, MockResponse)> = Vec::new();
            for (range, r) in resp {
                let (lo, hi) = match range.split_once('-') {
                    Some((a, b)) => (a.trim().parse::<u64>(), b.trim().parse::<u64>()),
                    None => (range.trim().parse::<u64>(), range.trim().parse::<u64>()),
                };
                let (Ok(lo), Ok(hi)) = (lo, hi) else {
                    return Err(format!("mocked response `{resp_name}`: `{range}` is not an invocation index or range like `1-3`"));
                };
                if hi < lo || hi - lo > 10_000 {
                    return Err(format!(
                        "mocked response `{resp_name}`: bad range `{range}`"
                    ));
                }
                let resp = if let Some(v) = r.get("Return") {
                    MockResponse::Return(v.clone())
                } else if let Some(t) = r.get("Throw") {
                    MockResponse::Throw {
                        error: t
                            .get("Error")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        cause: t
                            .get("Cause")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    }
                } else {
                    return Err(format!(
                        "mocked response `{resp_name}` `{range}` needs `Return` or `Throw`"
                    ));
                };
                seq.push((lo, hi, resp));
            }
            seq.sort_by_key(|(lo, _, _)| *lo);
            let mut list = Vec::new();
            for (lo, hi, r) in seq {
                if lo as usize != list.len() {
                    return Err(format!(
                        "mocked response `{resp_name}`: invocation {} has no response",
                        list.len()
                    ));
                }
                for _ in lo..=hi {
                    list.push(r.clone());
                }
            }
            by_state.insert(state.clone(), list);
        }
        Ok(Self { by_state })
    }

    /// A handler that answers by state name, counting invocations per state.
    pub fn into_handler(self) -> Arc<dyn TaskHandler> {
        Arc::new(MockHandler {
            responses: self,
            calls: std::sync::Mutex::new(HashMap::new()),
        })
    }
}

#[cfg_attr(
    not(any(feature = "cli", feature = "server", feature = "fuzzing")),
    allow(dead_code)
)]
struct MockHandler {
    responses: MockResponses,
    calls: std::sync::Mutex<HashMap<String, usize>>,
}

impl TaskHandler for MockHandler {
    fn answers_callbacks(&self) -> bool {
        true
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> {
        let n = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            let c = calls.entry(request.state_name.clone()).or_insert(0);
            *c += 1;
            *c - 1
        };
        let r = match self.responses.by_state.get(&request.state_name) {
            None => Err(StatesError::new(
                names::TASK_FAILED,
                format!(
                    "no mocked response for the state `{}` in this test case",
                    request.state_name
                ),
            )),
            Some(list) => match list.get(n).or(list.last()) {
                Some(MockResponse::Return(v)) => Ok(v.clone()),
                Some(MockResponse::Throw { error, cause }) => {
                    Err(StatesError::new(error.clone(), cause.clone()))
                }
                None => Err(StatesError::new(
                    names::TASK_FAILED,
                    "empty mocked response",
                )),
            },
        };
        Box::pin(async move { r })
    }
}

/// Whether an execution can hand out task tokens (for activities and `.waitForTaskToken`
/// resources): a durable [`crate::Runtime`]'s can, one in memory cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskTokens {
    /// In memory ([`crate::run`], [`crate::engine::Interpreter`]).
    Unavailable,
    /// A durable execution of a [`crate::Runtime`].
    Available,
}

/// Why an execution in memory cannot run its Task states; see [`start_problem_with`].
pub(crate) fn start_problem(
    states: &indexmap::IndexMap<String, stepfn_asl::State>,
    tasks: &TaskRegistry,
) -> Option<StatesError> {
    start_problem_with(states, tasks, TaskTokens::Unavailable)
}

/// Why an execution cannot run its Task states, found before any state runs: the first one (in
/// definition order, branches and item processors included) whose `${…}` placeholder resource
/// (a `workflow!` handler, an unsubstituted name; `.waitForTaskToken` aside) has no handler, or,
/// when `tokens` are unavailable, that waits for a task token (an activity or a
/// `.waitForTaskToken` resource with no handler). A real ARN without a handler fails when it is
/// reached, as on AWS.
pub(crate) fn start_problem_with(
    states: &indexmap::IndexMap<String, stepfn_asl::State>,
    tasks: &TaskRegistry,
    tokens: TaskTokens,
) -> Option<StatesError> {
    for (name, st) in states {
        let problem = match &st.kind {
            stepfn_asl::StateKind::Task(t) => {
                let r = t.resource.as_str();
                let base = r.strip_suffix(".waitForTaskToken");
                let handled =
                    tasks.get(r).is_some() || base.is_some_and(|b| tasks.get(b).is_some());
                let waits = base.is_some() || super::callbacks::is_activity(r);
                let placeholder = |r: &str| r.starts_with("${") && r.ends_with('}');
                if handled {
                    None
                } else if waits && tokens == TaskTokens::Unavailable {
                    Some(format!(
                        "the state `{name}` waits for a task token (resource `{r}`): task tokens \
                         need a durable `stepfn::Runtime`; this execution runs in memory"
                    ))
                } else if placeholder(base.unwrap_or(r)) {
                    Some(format!(
                        "the state `{name}` calls the resource `{r}`, which has no registered handler"
                    ))
                } else {
                    None
                }
            }
            stepfn_asl::StateKind::Parallel(p) => p
                .branches
                .iter()
                .find_map(|b| start_problem_with(&b.states, tasks, tokens).map(|e| e.cause)),
            stepfn_asl::StateKind::Map(m) => {
                start_problem_with(&m.processor.states, tasks, tokens).map(|e| e.cause)
            }
            _ => None,
        };
        if let Some(cause) = problem {
            return Some(StatesError::runtime(cause));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mock_config_ranges() {
        let cfg = json!({
            "StateMachines": {"M": {"TestCases": {"T": {"Charge": "R"}}}},
            "MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1-2": {"Return": {"ok": 1}}}}
        });
        let m = MockResponses::from_config(&cfg, None, "T").unwrap();
        assert_eq!(m.by_state["Charge"].len(), 3);
        assert!(MockResponses::from_config(&cfg, None, "Nope").is_err());
        let bad = json!({"StateMachines": {"M": {"TestCases": {"T": {"Charge": "X"}}}}, "MockedResponses": {}});
        assert!(MockResponses::from_config(&bad, None, "T")
            .unwrap_err()
            .contains("`X`"));
    }
}
