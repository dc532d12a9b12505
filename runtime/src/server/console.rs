//! The web console: one HTML page (`console.html`, served at `GET /`, no external resources) and
//! the three JSON endpoints it polls:
//!
//! - `GET /console/api/state-machines`: `{"stateMachines": [{name, arn, type, definition}]}`;
//! - `GET /console/api/executions?stateMachine=NAME&status=STATUS`: `{"executions": [...]}`;
//! - `GET /console/api/execution?arn=ARN`: the execution, its state machine's definition, its
//!   events and what happened to each state ([`state_outcomes`]).

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
    let base = d
        .record
        .state_machine
        .split('#')
        .next()
        .unwrap_or_default()
        .to_string();
    let definition = app
        .api
        .machines
        .get(&base)
        .and_then(|m| serde_json::from_str::<Value>(&m.definition).ok())
        .unwrap_or(Value::Null);
    let states = state_outcomes(&events, d.status());
    let r = &d.record;
    json_ok(json!({
        "execution": {
            "arn": r.arn,
            "name": r.name,
            "stateMachine": r.state_machine,
            "status": r.status.as_str(),
            "startDate": r.start_ms,
            "stopDate": r.stop_ms,
            "input": r.input,
            "output": r.output,
            "error": r.error,
            "cause": r.cause,
        },
        "definition": definition,
        "events": events,
        "states": states,
    }))
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
}
