//! TestState: one state run in isolation, through the interpreter.
//!
//! The state (given alone, or as `stateName` of a whole definition) becomes a state machine of
//! its own: its transition targets are stand-in `Succeed` states, so running it shows where it
//! goes (`nextState`) and what it passes on (`output`). Retry is taken off (TestState does not
//! retry; a matching retrier makes the status `RETRIABLE`), Catch stays (`CAUGHT_ERROR`), `mock`
//! answers the Task, and `variables` are assigned by a Pass state run first. The inspection data
//! are what the execution's history shows of each step.

use super::api::{check_role, parse_definition, parse_input, Api};
use super::inspection::{jsonpath_steps, Observed};
use super::protocol::{ApiError, Request};
use crate::engine::retry::{base_delay, find_catcher, find_retrier};
use crate::engine::tasks::{TaskHandler, TaskRegistry, TaskRequest};
use crate::engine::{ExecutionOptions, ExecutionStatus, Interpreter};
use crate::error::StatesError;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use stepfn_asl::model::{Catcher, Retrier, StateKind};

/// How long a tested state may run (a Wait state waits; an activity with no mock waits for a
/// worker).
const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The name of the Pass state that assigns `variables` first.
const PRELUDE: &str = "stepfn.TestState.variables";

/// `inspectionLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum InspectionLevel {
    Info,
    Debug,
    Trace,
}

/// `mock`: the Task's result, or its error.
struct MockAnswer(Result<Value, StatesError>);

impl TaskHandler for MockAnswer {
    fn invoke(&self, _request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> {
        let r = self.0.clone();
        Box::pin(async move { r })
    }

    fn answers_callbacks(&self) -> bool {
        true
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidDefinition", message)
}

fn mock_answer(mock: &Value) -> Result<MockAnswer, ApiError> {
    match (mock.get("result"), mock.get("errorOutput")) {
        (Some(Value::String(text)), None) => {
            let v = serde_json::from_str(text)
                .map_err(|e| ApiError::validation(format!("mock.result is not JSON text: {e}")))?;
            Ok(MockAnswer(Ok(v)))
        }
        (None, Some(Value::Object(e))) => {
            let field = |f: &str| e.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            Ok(MockAnswer(Err(StatesError::new(
                field("error"),
                field("cause"),
            ))))
        }
        _ => Err(ApiError::validation(
            "mock takes exactly one of `result` (JSON text) and `errorOutput` ({error, cause})",
        )),
    }
}

/// Every transition target of a state (JSON).
fn targets(state: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(Value::String(s)) = v {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for list in ["Choices", "Catch"] {
        for c in state
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add(c.get("Next"));
        }
    }
    out
}

/// The Retry and Catch of a state of a parsed machine.
fn retry_catch(kind: &StateKind) -> (Vec<Retrier>, Vec<Catcher>) {
    match kind {
        StateKind::Task(t) => (t.retry.clone(), t.catch.clone()),
        StateKind::Parallel(p) => (p.retry.clone(), p.catch.clone()),
        StateKind::Map(m) => (m.retry.clone(), m.catch.clone()),
        _ => (Vec::new(), Vec::new()),
    }
}

/// The text of a JSON value as the API carries data (JSON text).
fn text(v: &Value) -> Value {
    match v {
        Value::String(s) => json!(s),
        other => json!(other.to_string()),
    }
}

impl Api {
    pub(crate) async fn test_state(&self, req: &Request) -> Result<Value, ApiError> {
        let definition = req.str("definition")?;
        if let Some(role) = req.opt_str("roleArn")? {
            check_role(role)?;
        }
        let input = parse_input(req.opt_str("input")?)?;
        let level = match req.opt_str("inspectionLevel")? {
            None | Some("INFO") => InspectionLevel::Info,
            Some("DEBUG") => InspectionLevel::Debug,
            Some("TRACE") => InspectionLevel::Trace,
            Some(other) => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
                )))
            }
        };
        req.opt_bool("revealSecrets")?;
        let variables = match req.opt_str("variables")? {
            None => None,
            Some(t) => match serde_json::from_str::<Value>(t) {
                Ok(Value::Object(m)) => Some(m),
                _ => {
                    return Err(ApiError::validation(
                        "`variables` must be the JSON text of an object",
                    ))
                }
            },
        };
        let retry_count = match req.0.get("stateConfiguration") {
            None | Some(Value::Null) => 0,
            Some(Value::Object(c)) => {
                if let Some(k) = c.keys().find(|k| *k != "retrierRetryCount") {
                    return Err(ApiError::validation(format!(
                        "stateConfiguration.{k} is not supported by this server (only retrierRetryCount)"
                    )));
                }
                c.get("retrierRetryCount")
                    .map(|v| {
                        v.as_u64().ok_or_else(|| {
                            ApiError::validation(
                                "stateConfiguration.retrierRetryCount must be a whole number",
                            )
                        })
                    })
                    .transpose()?
                    .unwrap_or(0)
            }
            Some(_) => {
                return Err(ApiError::serialization(
                    "`stateConfiguration` must be an object",
                ))
            }
        };
        if req.0.get("context").is_some_and(|v| !v.is_null()) {
            return Err(ApiError::validation(
                "`context` is not supported by this server: the state sees the context object of a fresh execution",
            ));
        }
        let mock = match req.0.get("mock") {
            None | Some(Value::Null) => None,
            Some(m) => Some(mock_answer(m)?),
        };

        // The state, alone or picked from a whole definition.
        let def: Value = serde_json::from_str(definition)
            .map_err(|e| invalid(format!("Invalid State Machine Definition: '{e}'")))?;
        let (name, state, language) = match def.get("States").and_then(Value::as_object) {
            Some(states) => {
                let name = match req.opt_str("stateName")? {
                    Some(n) => n.to_string(),
                    None => def["StartAt"].as_str().unwrap_or_default().to_string(),
                };
                let state = states.get(&name).cloned().ok_or_else(|| {
                    ApiError::validation(format!("the definition has no state `{name}`"))
                })?;
                (name, state, def.get("QueryLanguage").cloned())
            }
            None => (
                req.opt_str("stateName")?.unwrap_or("TestState").to_string(),
                def,
                None,
            ),
        };
        if !state.is_object() {
            return Err(invalid("the state definition must be a JSON object"));
        }
        let targets = targets(&state);
        if targets.contains(&name) {
            return Err(ApiError::validation(format!(
                "state `{name}` transitions to itself; this server tests a state only when its transitions lead elsewhere"
            )));
        }
        let build = |state: &Value| -> Value {
            let mut states = Map::new();
            if let Some(vars) = &variables {
                states.insert(
                    PRELUDE.into(),
                    json!({"Type": "Pass", "Assign": vars, "Next": name}),
                );
            }
            states.insert(name.clone(), state.clone());
            for t in &targets {
                states.insert(t.clone(), json!({"Type": "Succeed"}));
            }
            let mut m = json!({
                "StartAt": if variables.is_some() { PRELUDE } else { name.as_str() },
                "States": states,
            });
            if let Some(l) = &language {
                m["QueryLanguage"] = l.clone();
            }
            m
        };
        let with_retry = parse_definition(&build(&state).to_string())?;
        let (retriers, catchers) = with_retry
            .states
            .get(&name)
            .map(|s| retry_catch(&s.kind))
            .unwrap_or_default();
        let mut bare = state.clone();
        if let Some(m) = bare.as_object_mut() {
            m.remove("Retry");
        }
        let machine = parse_definition(&build(&bare).to_string())?;
        let tested = machine.states.get(&name).cloned();
        let raw_input = input.clone();

        let mut tasks = TaskRegistry::new();
        if let Some(m) = mock {
            tasks.set_fallback(Arc::new(m));
        }
        let interpreter = Interpreter::new(machine, "TestState", tasks);
        let result = tokio::time::timeout(
            TIME_LIMIT,
            interpreter.execute(input, ExecutionOptions::default()),
        )
        .await
        .map_err(|_| {
            ApiError::validation(format!(
                "state `{name}` did not finish within {} seconds",
                TIME_LIMIT.as_secs()
            ))
        })?;
        let events: Vec<Value> = result.history.iter().map(|e| e.to_json()).collect();

        // What the history shows of the tested state.
        let detail = |e: &Value| -> Option<Value> {
            e.as_object()?
                .iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map(|(_, v)| v.clone())
        };
        let mut inspection = Map::new();
        let mut error: Option<(String, String)> = None;
        let mut output = None;
        let mut next_state = None;
        let mut inside = false;
        let mut observed = Observed::default();
        for e in &events {
            let kind = e["type"].as_str().unwrap_or_default();
            let d = detail(e).unwrap_or(Value::Null);
            let state_name = d["name"].as_str();
            if kind.ends_with("StateEntered") && state_name == Some(name.as_str()) {
                inside = true;
                inspection.insert("input".into(), text(&d["input"]));
                continue;
            }
            if !inside {
                continue;
            }
            if kind.ends_with("StateEntered")
                && state_name.is_some_and(|n| targets.iter().any(|t| t == n))
            {
                next_state = state_name.map(str::to_string);
                break;
            }
            if kind.ends_with("StateExited") && state_name == Some(name.as_str()) {
                output = Some(text(&d["output"]));
            }
            let json_of = |v: &Value| v.as_str().and_then(|t| serde_json::from_str(t).ok());
            if kind == "TaskScheduled" {
                if state.get("Arguments").is_some() {
                    inspection.insert("afterArguments".into(), text(&d["parameters"]));
                } else {
                    observed.parameters = json_of(&d["parameters"]);
                }
            }
            if kind == "TaskSucceeded" {
                inspection.insert("result".into(), text(&d["output"]));
                observed.result = json_of(&d["output"]);
            }
            if error.is_none() {
                if let Some(err) = d.get("error").and_then(Value::as_str) {
                    let cause = d["cause"].as_str().unwrap_or_default().to_string();
                    error = Some((err.to_string(), cause));
                }
            }
        }
        if result.status != ExecutionStatus::Succeeded {
            error = Some((
                result.error.clone().unwrap_or_default(),
                result.cause.clone().unwrap_or_default(),
            ));
            output = None;
            next_state = None;
        }

        let mut out = Map::new();
        let status = match &error {
            None => "SUCCEEDED",
            Some((e, _)) => {
                let retrier =
                    find_retrier(&retriers, e).filter(|&i| retry_count < retriers[i].attempts());
                if let Some(i) = retrier {
                    let wait = base_delay(&retriers[i], retry_count + 1);
                    inspection.insert(
                        "errorDetails".into(),
                        json!({"retryIndex": i, "retryBackoffIntervalSeconds": wait.as_secs()}),
                    );
                    output = None;
                    next_state = None;
                    "RETRIABLE"
                } else if result.status == ExecutionStatus::Succeeded {
                    if let Some(i) = find_catcher(&catchers, e) {
                        inspection.insert("errorDetails".into(), json!({"catchIndex": i}));
                    }
                    "CAUGHT_ERROR"
                } else {
                    "FAILED"
                }
            }
        };
        out.insert("status".into(), json!(status));
        if let Some(o) = output.or_else(|| {
            (status == "SUCCEEDED" || status == "CAUGHT_ERROR")
                .then(|| result.output.as_ref().map(text))
                .flatten()
        }) {
            out.insert("output".into(), o);
        }
        if let Some((e, c)) = error {
            out.insert("error".into(), json!(e));
            out.insert("cause".into(), json!(c));
        }
        if let Some(n) = next_state {
            out.insert("nextState".into(), json!(n));
        }
        if level >= InspectionLevel::Debug {
            if let Some(st) = &tested {
                let steps = jsonpath_steps(&name, st, &raw_input, variables.as_ref(), observed);
                inspection.extend(steps);
            }
            out.insert("inspectionData".into(), Value::Object(inspection));
        }
        Ok(Value::Object(out))
    }
}
