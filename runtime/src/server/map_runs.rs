//! Distributed Map runs: ListMapRuns, DescribeMapRun and UpdateMapRun, read from the execution's
//! history (`MapRunStarted` … `MapRunSucceeded`/`MapRunFailed`).
//!
//! A run's items execute inside its execution here (not as child executions). Item counts are
//! the engine's live ones (`engine::map_progress`) in the process that ran the run; elsewhere
//! (another process, after a restart) they follow from the history: the total, and on the run's
//! end all succeeded, or all failed (or aborted).

use super::api::{page_of, Api};
use super::arns;
use super::machines::RecordKind;
use super::protocol::{epoch_seconds, ApiError, Request};
use crate::engine::map_progress::{self, ItemCounts};
use serde_json::{json, Value};

/// What the history says about one Map run.
#[derive(Debug, Clone)]
pub(crate) struct MapRun {
    arn: String,
    /// The id of its `MapRunStarted` event.
    run_event: u64,
    execution_arn: String,
    state_machine_arn: String,
    start: Value,
    stop: Option<Value>,
    status: &'static str,
    total: u64,
    /// The Map state's `MaxConcurrency`, `ToleratedFailurePercentage` and `ToleratedFailureCount`.
    settings: (u64, f64, u64),
}

/// The Map runs of an execution's history, in order.
fn runs_of(
    events: &[Value],
    execution_arn: &str,
    state_machine_arn: &str,
    definition: Option<&Value>,
) -> Vec<MapRun> {
    let mut runs: Vec<MapRun> = Vec::new();
    // (state name, MapStateStarted length) of the Map states entered, innermost last.
    let mut entered: Vec<(String, u64)> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for e in events {
        let kind = e["type"].as_str().unwrap_or_default();
        match kind {
            "MapStateEntered" => entered.push((
                e["stateEnteredEventDetails"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                0,
            )),
            "MapStateStarted" => {
                if let Some(last) = entered.last_mut() {
                    last.1 = e["mapStateStartedEventDetails"]["length"]
                        .as_u64()
                        .unwrap_or(0);
                }
            }
            "MapRunStarted" => {
                let (state, total) = entered.last().cloned().unwrap_or_default();
                let settings = definition
                    .and_then(|d| find_state(d, &state))
                    .map(|s| {
                        (
                            s["MaxConcurrency"].as_u64().unwrap_or(0),
                            s["ToleratedFailurePercentage"].as_f64().unwrap_or(0.0),
                            s["ToleratedFailureCount"].as_u64().unwrap_or(0),
                        )
                    })
                    .unwrap_or((0, 0.0, 0));
                open.push(runs.len());
                runs.push(MapRun {
                    arn: e["mapRunStartedEventDetails"]["mapRunArn"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    run_event: e["id"].as_u64().unwrap_or(0),
                    execution_arn: execution_arn.to_string(),
                    state_machine_arn: state_machine_arn.to_string(),
                    start: epoch_seconds(e["timestamp"].as_str().unwrap_or_default()),
                    stop: None,
                    status: "RUNNING",
                    total,
                    settings,
                });
            }
            "MapRunSucceeded" | "MapRunFailed" | "MapRunAborted" => {
                if let Some(i) = open.pop() {
                    runs[i].stop = Some(epoch_seconds(e["timestamp"].as_str().unwrap_or_default()));
                    runs[i].status = match kind {
                        "MapRunSucceeded" => "SUCCEEDED",
                        "MapRunFailed" => "FAILED",
                        _ => "ABORTED",
                    };
                }
            }
            "MapStateExited" => {
                entered.pop();
            }
            "ExecutionAborted" | "ExecutionTimedOut" | "ExecutionFailed" => {
                for i in open.drain(..) {
                    runs[i].status = "ABORTED";
                    runs[i].stop = Some(epoch_seconds(e["timestamp"].as_str().unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    runs
}

/// The definition of state `name`, anywhere in a definition (branches and processors too).
fn find_state<'d>(def: &'d Value, name: &str) -> Option<&'d Value> {
    let states = def.get("States")?.as_object()?;
    if let Some(s) = states.get(name) {
        return Some(s);
    }
    states.values().find_map(|s| {
        let nested = s
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(s.get("ItemProcessor"))
            .chain(s.get("Iterator"));
        nested.into_iter().find_map(|d| find_state(d, name))
    })
}

impl Api {
    async fn runs(&self, execution_arn: &str) -> Result<Vec<MapRun>, ApiError> {
        let d = self.runtime.describe(execution_arn).await?;
        let events = self.runtime.full_history(execution_arn).await?;
        let machine = super::api::base_name(&d.record.state_machine);
        let definition = self
            .machines
            .get(machine)
            .and_then(|row| serde_json::from_str::<Value>(&row.definition).ok());
        Ok(runs_of(
            &events,
            execution_arn,
            &crate::runtime::state_machine_arn(machine),
            definition.as_ref(),
        ))
    }

    /// The Map run an ARN names; `ResourceNotFound` otherwise.
    pub(crate) async fn map_run(&self, arn: &str) -> Result<MapRun, ApiError> {
        let execution = arns::map_run_execution(arn)?;
        let missing = || ApiError::not_found(format!("Map Run Does Not Exist: '{arn}'"));
        self.runs(&execution)
            .await
            .map_err(|_| missing())?
            .into_iter()
            .find(|r| r.arn == arn)
            .ok_or_else(missing)
    }

    pub(crate) async fn list_map_runs(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        arns::execution(arn)?;
        let items: Vec<Value> = self
            .runs(arn)
            .await?
            .into_iter()
            .map(|r| {
                let mut v = json!({
                    "executionArn": r.execution_arn,
                    "mapRunArn": r.arn,
                    "stateMachineArn": r.state_machine_arn,
                    "startDate": r.start,
                });
                if let Some(s) = r.stop {
                    v["stopDate"] = s;
                }
                v
            })
            .collect();
        page_of(req, "mapRuns", "mapRuns", items)
    }

    pub(crate) async fn describe_map_run(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("mapRunArn")?;
        let r = self.map_run(arn).await?;
        let (mut concurrency, mut percentage, mut count) = r.settings;
        if let Some(u) = self.machines.record(RecordKind::MapRun, arn) {
            concurrency = u["maxConcurrency"].as_u64().unwrap_or(concurrency);
            percentage = u["toleratedFailurePercentage"]
                .as_f64()
                .unwrap_or(percentage);
            count = u["toleratedFailureCount"].as_u64().unwrap_or(count);
        }
        let c = match map_progress::counts(&r.execution_arn, r.run_event) {
            Some(c) if r.status == "RUNNING" => c,
            Some(c) => c.ended(),
            None => {
                let t = r.total;
                let (pending, succeeded, failed, aborted) = match r.status {
                    "RUNNING" => (t, 0, 0, 0),
                    "SUCCEEDED" => (0, t, 0, 0),
                    "FAILED" => (0, 0, t, 0),
                    _ => (0, 0, 0, t),
                };
                ItemCounts {
                    pending,
                    succeeded,
                    failed,
                    aborted,
                    total: t,
                    ..ItemCounts::default()
                }
            }
        };
        let counts = json!({
            "pending": c.pending, "running": c.running, "succeeded": c.succeeded,
            "failed": c.failed, "timedOut": c.timed_out, "aborted": c.aborted, "total": c.total,
            "resultsWritten": c.succeeded, "failuresNotRedrivable": 0, "pendingRedrive": 0,
        });
        let mut out = json!({
            "mapRunArn": r.arn,
            "executionArn": r.execution_arn,
            "status": r.status,
            "startDate": r.start,
            "maxConcurrency": concurrency,
            "toleratedFailurePercentage": percentage,
            "toleratedFailureCount": count,
            "itemCounts": counts,
            "executionCounts": counts,
            "redriveCount": 0,
        });
        if let Some(s) = r.stop {
            out["stopDate"] = s;
        }
        Ok(out)
    }

    pub(crate) async fn update_map_run(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("mapRunArn")?;
        let concurrency = req.opt_int("maxConcurrency", 0, i64::MAX)?;
        let count = req.opt_int("toleratedFailureCount", 0, i64::MAX)?;
        let percentage = match req.0.get("toleratedFailurePercentage") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64() {
                Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                _ => {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value '{v}' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100"
                    )))
                }
            },
        };
        if concurrency.is_none() && count.is_none() && percentage.is_none() {
            return Err(ApiError::validation(
                "At least one of maxConcurrency, toleratedFailurePercentage and toleratedFailureCount must be specified",
            ));
        }
        self.map_run(arn).await?;
        let mut settings = self
            .machines
            .record(RecordKind::MapRun, arn)
            .unwrap_or_else(|| json!({}));
        if let Some(c) = concurrency {
            settings["maxConcurrency"] = json!(c);
        }
        if let Some(c) = count {
            settings["toleratedFailureCount"] = json!(c);
        }
        if let Some(p) = percentage {
            settings["toleratedFailurePercentage"] = json!(p);
        }
        self.machines
            .put_record(RecordKind::MapRun, arn, settings)?;
        Ok(json!({}))
    }
}
