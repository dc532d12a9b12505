//! The web console: one HTML page (`console.html`, served at `GET /`, no external resources) and
//! the JSON endpoints it uses:
//!
//! - `GET /console/api/state-machines`: `{"stateMachines": [{name, arn, type, definition}]}`;
//! - `GET /console/api/state-machine?name=NAME`: DescribeStateMachine's answer, its versions and
//!   aliases;
//! - `GET /console/api/executions?stateMachine=NAME&status=STATUS`: `{"executions": [...]}`;
//! - `GET /console/api/execution?arn=ARN&page=N&pageSize=M&type=TEXT`: the execution, its state
//!   machine's definition, one page of its events (filtered by type), what happened to each
//!   state ([`state_outcomes`]) and what each state saw ([`state_details`]);
//! - `POST /console/api/action` `{"action": "StartExecution" | "StopExecution" |
//!   "RedriveExecution", "request": {…}}`: the API action, answered as the API answers it.
//!
//! Every endpoint is behind the same check as the page (with credentials, HTTP Basic with the
//! API's access key id and secret key).

use super::protocol::{Action, Request};
use super::App;
use crate::engine::ExecutionStatus;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

const PAGE: &str = include_str!("console.html");

fn json_ok(v: Value) -> Response {
    let mut resp = v.to_string().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn json_err(status: StatusCode, message: String) -> Response {
    let mut resp = json_ok(json!({ "message": message }));
    *resp.status_mut() = status;
    resp
}

/// `GET /`: the console page.
pub(crate) async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    let mut resp = PAGE.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        ),
    );
    resp
}

/// `GET /console/api/state-machines`.
pub(crate) async fn state_machines(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    let items: Vec<Value> = app
        .api
        .machines
        .all()
        .into_iter()
        .map(|m| {
            json!({
                "name": m.name,
                "arn": crate::runtime::state_machine_arn(&m.name),
                "type": m.kind,
                "creationDate": m.created_ms,
            })
        })
        .collect();
    json_ok(json!({ "stateMachines": items }))
}

/// `GET /console/api/executions`: newest first, at most 500.
pub(crate) async fn executions(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    let status = match q.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(s) => match ExecutionStatus::parse(s) {
            Some(s) => Some(s),
            None => return json_err(StatusCode::BAD_REQUEST, format!("unknown status `{s}`")),
        },
    };
    let machine = q.get("stateMachine").filter(|s| !s.is_empty());
    let list = match app.api.runtime.list(None, status).await {
        Ok(l) => l,
        Err(e) => return json_err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let items: Vec<Value> = list
        .iter()
        .filter(|d| {
            machine.is_none_or(|m| {
                let sm = &d.record.state_machine;
                sm == m
                    || sm
                        .strip_prefix(m.as_str())
                        .is_some_and(|s| s.starts_with('#'))
            })
        })
        .take(500)
        .map(|d| {
            let r = &d.record;
            json!({
                "arn": r.arn,
                "name": r.name,
                "stateMachine": r.state_machine,
                "status": r.status.as_str(),
                "startDate": r.start_ms,
                "stopDate": r.stop_ms,
            })
        })
        .collect();
    json_ok(json!({ "executions": items }))
}

/// `GET /console/api/execution?arn=ARN`.
pub(crate) async fn execution(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    let Some(arn) = q.get("arn") else {
        return json_err(StatusCode::BAD_REQUEST, "missing `arn`".into());
    };
    let d = match app.api.runtime.describe(arn).await {
        Ok(d) => d,
        Err(e) => return json_err(StatusCode::NOT_FOUND, e.to_string()),
    };
    let events = match app.api.runtime.full_history(arn).await {
        Ok(e) => e,
        Err(e) => return json_err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let base = super::api::base_name(&d.record.state_machine).to_string();
    let definition = app
        .api
        .machines
        .get(&base)
        .and_then(|m| serde_json::from_str::<Value>(&m.definition).ok())
        .unwrap_or(Value::Null);
    let states = state_outcomes(&events, d.status());
    let details = state_details(&events);
    let filter = q.get("type").map(|t| t.to_ascii_lowercase());
    let matching: Vec<&Value> = events
        .iter()
        .filter(|e| {
            filter.as_ref().is_none_or(|f| {
                e["type"]
                    .as_str()
                    .is_some_and(|t| t.to_ascii_lowercase().contains(f.as_str()))
            })
        })
        .collect();
    let page_size = q
        .get("pageSize")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, 1000);
    let pages = matching.len().div_ceil(page_size).max(1);
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        .min(pages - 1);
    let shown: Vec<&Value> = matching
        .iter()
        .skip(page * page_size)
        .take(page_size)
        .copied()
        .collect();
    let r = &d.record;
    json_ok(json!({
        "execution": {
            "arn": r.arn,
            "name": r.name,
            "stateMachine": base,
            "status": r.status.as_str(),
            "startDate": r.start_ms,
            "stopDate": r.stop_ms,
            "input": r.input,
            "output": r.output,
            "error": r.error,
            "cause": r.cause,
            "redrivable": d.redrivable(),
            "redriveCount": r.redrive_count,
        },
        "definition": definition,
        "events": shown,
        "eventCount": matching.len(),
        "totalEvents": events.len(),
        "page": page,
        "pages": pages,
        "pageSize": page_size,
        "states": states,
        "details": details,
    }))
}

/// History events per page of the console, unless the page asks for another size.
const DEFAULT_PAGE: usize = 100;

/// `GET /console/api/state-machine?name=NAME`.
pub(crate) async fn state_machine(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    let Some(name) = q.get("name") else {
        return json_err(StatusCode::BAD_REQUEST, "missing `name`".into());
    };
    let arn = crate::runtime::state_machine_arn(name);
    let req = |v: Value| Request(v.as_object().cloned().unwrap_or_default());
    let api = &app.api;
    let machine = match api
        .dispatch(
            Action::DescribeStateMachine,
            req(json!({"stateMachineArn": arn})),
        )
        .await
    {
        Ok(m) => m,
        Err(e) => return json_err(StatusCode::NOT_FOUND, e.message),
    };
    let versions = api
        .dispatch(
            Action::ListStateMachineVersions,
            req(json!({"stateMachineArn": arn, "maxResults": 1000})),
        )
        .await
        .map(|v| v["stateMachineVersions"].clone())
        .unwrap_or_default();
    let aliases = api
        .dispatch(
            Action::ListStateMachineAliases,
            req(json!({"stateMachineArn": arn, "maxResults": 1000})),
        )
        .await
        .map(|v| v["stateMachineAliases"].clone())
        .unwrap_or_default();
    json_ok(json!({"stateMachine": machine, "versions": versions, "aliases": aliases}))
}

/// `POST /console/api/action`: StartExecution, StopExecution or RedriveExecution.
pub(crate) async fn action(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = super::console_refusal(&app, &headers) {
        return r;
    }
    // A JSON content type cannot be sent cross-site without a preflight, which is not answered.
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return json_err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send `Content-Type: application/json`".into(),
        );
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return json_err(StatusCode::BAD_REQUEST, format!("not JSON: {e}")),
    };
    let action = match parsed["action"].as_str() {
        Some("StartExecution") => Action::StartExecution,
        Some("StopExecution") => Action::StopExecution,
        Some("RedriveExecution") => Action::RedriveExecution,
        other => {
            return json_err(
                StatusCode::BAD_REQUEST,
                format!(
                "`action` must be StartExecution, StopExecution or RedriveExecution, not {other:?}"
            ),
            )
        }
    };
    let request = Request(parsed["request"].as_object().cloned().unwrap_or_default());
    match app.api.dispatch(action, request).await {
        Ok(v) => json_ok(v),
        Err(e) => {
            let mut resp = json_ok(json!({"__type": e.kind, "message": e.message}));
            *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            resp
        }
    }
}

fn millis(e: &Value) -> Option<i64> {
    e["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
}

/// What each state saw on its last visit, from the events: `input`, `output`, `enteredMs`,
/// `exitedMs`, `durationMs`, `visits`, `retries` (attempts after the first), `error` and
/// `cause` (its last failure), and for a Map state its `iterations`
/// (`[{index, status, durationMs}]`, inline Maps).
pub fn state_details(events: &[Value]) -> Map<String, Value> {
    let mut owner: HashMap<u64, String> = HashMap::new();
    let mut out: Map<String, Value> = Map::new();
    let mut attempts: HashMap<String, u64> = HashMap::new();
    let mut iteration_start: HashMap<(String, u64), i64> = HashMap::new();
    for e in events {
        let id = e["id"].as_u64().unwrap_or(0);
        let prev = e["previousEventId"].as_u64().unwrap_or(0);
        let kind = e["type"].as_str().unwrap_or("");
        let at = millis(e);
        if let Some(d) = e.get("stateEnteredEventDetails") {
            let Some(name) = d["name"].as_str() else {
                continue;
            };
            owner.insert(id, name.to_string());
            attempts.insert(name.to_string(), 0);
            let visits = out
                .get(name)
                .and_then(|s| s["visits"].as_u64())
                .unwrap_or(0);
            let iterations = out.get(name).map(|s| s["iterations"].clone());
            out.insert(
                name.to_string(),
                json!({"type": kind.trim_end_matches("StateEntered"), "input": d["input"], "enteredMs": at,
                       "visits": visits + 1, "retries": 0, "iterations": iterations.unwrap_or(json!([]))}),
            );
            continue;
        }
        if let Some(d) = e.get("stateExitedEventDetails") {
            let Some(name) = d["name"].as_str() else {
                continue;
            };
            owner.insert(id, name.to_string());
            if let Some(s) = out.get_mut(name) {
                s["output"] = d["output"].clone();
                s["exitedMs"] = json!(at);
                if let (Some(a), Some(b)) = (s["enteredMs"].as_i64(), at) {
                    s["durationMs"] = json!(b - a);
                }
            }
            continue;
        }
        if kind.starts_with("MapIteration") {
            let d = e
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if let (Some(name), Some(index)) = (d["name"].as_str(), d["index"].as_u64()) {
                owner.insert(id, name.to_string());
                let status = kind.trim_start_matches("MapIteration").to_ascii_uppercase();
                if kind == "MapIterationStarted" {
                    if let Some(t) = at {
                        iteration_start.insert((name.to_string(), index), t);
                    }
                }
                if let Some(list) = out
                    .get_mut(name)
                    .and_then(|s| s["iterations"].as_array_mut())
                {
                    let started = iteration_start.get(&(name.to_string(), index)).copied();
                    let duration = match (started, at) {
                        (Some(a), Some(b)) if kind != "MapIterationStarted" => json!(b - a),
                        _ => Value::Null,
                    };
                    let item = json!({"index": index, "status": status, "durationMs": duration});
                    match list.iter_mut().find(|i| i["index"] == index) {
                        Some(existing) => *existing = item,
                        None => list.push(item),
                    }
                }
                continue;
            }
        }
        let Some(name) = owner.get(&prev).cloned() else {
            continue;
        };
        owner.insert(id, name.clone());
        if kind.ends_with("Scheduled")
            || kind == "ParallelStateStarted"
            || kind == "MapStateStarted"
        {
            let n = attempts.entry(name.clone()).or_insert(0);
            *n += 1;
            if let Some(s) = out.get_mut(&name) {
                s["retries"] = json!(n.saturating_sub(1));
            }
        }
        let failure = !kind.starts_with("Execution")
            && (kind.ends_with("Failed") || kind.ends_with("TimedOut"));
        if failure {
            let d = e
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if let Some(s) = out.get_mut(&name) {
                s["error"] = d["error"].clone();
                s["cause"] = d["cause"].clone();
            }
        }
    }
    out
}

/// What happened to each state, from the events: `running` (entered, not left yet),
/// `succeeded` (left), `recovered` (left after an error it retried or caught), `failed` (a Fail
/// state, or the state the execution failed in) or `aborted`.
///
/// Events that name no state (e.g. `TaskFailed`) are attributed by following `previousEventId`
/// back to the nearest `…StateEntered`.
pub fn state_outcomes(events: &[Value], status: ExecutionStatus) -> Map<String, Value> {
    let mut owner: HashMap<u64, String> = HashMap::new();
    let mut out: Map<String, Value> = Map::new();
    let mut errored: HashMap<String, bool> = HashMap::new();
    for e in events {
        let id = e["id"].as_u64().unwrap_or(0);
        let prev = e["previousEventId"].as_u64().unwrap_or(0);
        let kind = e["type"].as_str().unwrap_or("");
        if let Some(name) = e["stateEnteredEventDetails"]["name"].as_str() {
            owner.insert(id, name.to_string());
            let outcome = if kind == "FailStateEntered" {
                "failed"
            } else {
                "running"
            };
            out.insert(name.to_string(), json!(outcome));
            continue;
        }
        if let Some(name) = e["stateExitedEventDetails"]["name"].as_str() {
            owner.insert(id, name.to_string());
            let outcome = if errored.remove(name).unwrap_or(false) {
                "recovered"
            } else {
                "succeeded"
            };
            out.insert(name.to_string(), json!(outcome));
            continue;
        }
        let Some(name) = owner.get(&prev).cloned() else {
            continue;
        };
        owner.insert(id, name.clone());
        let failure = !kind.starts_with("Execution")
            && (kind.ends_with("Failed")
                || kind.ends_with("TimedOut")
                || kind.ends_with("Aborted"));
        if failure {
            errored.insert(name, true);
        }
    }
    let end = match status {
        ExecutionStatus::Running => None,
        ExecutionStatus::Aborted => Some("aborted"),
        ExecutionStatus::Succeeded => Some("succeeded"),
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => Some("failed"),
    };
    if let Some(end) = end {
        for v in out.values_mut() {
            if v == "running" {
                *v = json!(end);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_history() {
        let ev = |id: u64, prev: u64, kind: &str, details: Value| {
            let mut v = json!({"id": id, "previousEventId": prev, "type": kind});
            if let (Some(m), Value::Object(d)) = (v.as_object_mut(), details) {
                m.extend(d);
            }
            v
        };
        let events = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            ev(
                2,
                1,
                "TaskStateEntered",
                json!({"stateEnteredEventDetails": {"name": "A"}}),
            ),
            ev(3, 2, "TaskScheduled", json!({})),
            ev(4, 3, "TaskFailed", json!({})),
            ev(5, 4, "TaskScheduled", json!({})),
            ev(6, 5, "TaskSucceeded", json!({})),
            ev(
                7,
                6,
                "TaskStateExited",
                json!({"stateExitedEventDetails": {"name": "A"}}),
            ),
            ev(
                8,
                7,
                "PassStateEntered",
                json!({"stateEnteredEventDetails": {"name": "B"}}),
            ),
            ev(
                9,
                8,
                "PassStateExited",
                json!({"stateExitedEventDetails": {"name": "B"}}),
            ),
            ev(
                10,
                9,
                "TaskStateEntered",
                json!({"stateEnteredEventDetails": {"name": "C"}}),
            ),
        ];
        let s = state_outcomes(&events, ExecutionStatus::Running);
        assert_eq!(s["A"], "recovered");
        assert_eq!(s["B"], "succeeded");
        assert_eq!(s["C"], "running");
        let s = state_outcomes(&events, ExecutionStatus::Failed);
        assert_eq!(s["C"], "failed");
        assert!(!s.contains_key("D"));
    }

    #[test]
    fn details_follow_the_history() {
        let events = vec![
            json!({"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2026-01-01T00:00:00Z"}),
            json!({"id": 2, "previousEventId": 1, "type": "TaskStateEntered", "timestamp": "2026-01-01T00:00:01Z",
                   "stateEnteredEventDetails": {"name": "A", "input": "{\"x\":1}"}}),
            json!({"id": 3, "previousEventId": 2, "type": "TaskScheduled", "timestamp": "2026-01-01T00:00:01Z"}),
            json!({"id": 4, "previousEventId": 3, "type": "TaskFailed", "timestamp": "2026-01-01T00:00:02Z",
                   "taskFailedEventDetails": {"error": "Boom", "cause": "why"}}),
            json!({"id": 5, "previousEventId": 4, "type": "TaskScheduled", "timestamp": "2026-01-01T00:00:03Z"}),
            json!({"id": 6, "previousEventId": 5, "type": "TaskSucceeded", "timestamp": "2026-01-01T00:00:03Z"}),
            json!({"id": 7, "previousEventId": 6, "type": "TaskStateExited", "timestamp": "2026-01-01T00:00:04.500Z",
                   "stateExitedEventDetails": {"name": "A", "output": "{\"y\":2}"}}),
            json!({"id": 8, "previousEventId": 7, "type": "MapStateEntered", "timestamp": "2026-01-01T00:00:05Z",
                   "stateEnteredEventDetails": {"name": "M", "input": "[1]"}}),
            json!({"id": 9, "previousEventId": 8, "type": "MapIterationStarted", "timestamp": "2026-01-01T00:00:05Z",
                   "mapIterationStartedEventDetails": {"name": "M", "index": 0}}),
            json!({"id": 10, "previousEventId": 9, "type": "MapIterationFailed", "timestamp": "2026-01-01T00:00:06Z",
                   "mapIterationFailedEventDetails": {"name": "M", "index": 0}}),
        ];
        let d = state_details(&events);
        assert_eq!(d["A"]["input"], "{\"x\":1}");
        assert_eq!(d["A"]["output"], "{\"y\":2}");
        assert_eq!(d["A"]["durationMs"], 3500);
        assert_eq!(d["A"]["retries"], 1);
        assert_eq!(d["A"]["error"], "Boom");
        assert_eq!(
            d["M"]["iterations"],
            json!([{"index": 0, "status": "FAILED", "durationMs": 1000}])
        );
    }
}
