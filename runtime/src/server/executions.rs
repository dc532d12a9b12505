//! The execution actions: StartExecution (on a state machine, a version or an alias),
//! StartSyncExecution, DescribeExecution, DescribeStateMachineForExecution, StopExecution,
//! ListExecutions and GetExecutionHistory.

use super::api::{
    base_name, express_arn, included_data, key_version, now_ms, page_of, parse_input, Api,
};
use super::arns::{self, Qualifier};
use super::machines::RecordKind;
use super::protocol::{epoch_seconds, millis_to_epoch, ApiError, Request};
use crate::engine::ExecutionStatus;
use crate::runtime::{check_name, state_machine_arn, ExecutionDescription, HistoryQuery};
use serde_json::{json, Map, Value};

impl Api {
    /// The execution fields of DescribeExecution (`full`) and ListExecutions.
    fn execution_json(&self, d: &ExecutionDescription, full: bool, with_data: bool) -> Value {
        let r = &d.record;
        let mut m = Map::new();
        m.insert("executionArn".into(), json!(r.arn));
        let machine = base_name(&r.state_machine);
        m.insert("stateMachineArn".into(), json!(state_machine_arn(machine)));
        if let Some(v) = key_version(&r.state_machine) {
            m.insert(
                "stateMachineVersionArn".into(),
                json!(arns::version_arn(machine, v)),
            );
        }
        if let Some(alias) = self.machines.record(RecordKind::ExecutionAlias, &r.arn) {
            m.insert("stateMachineAliasArn".into(), alias);
        }
        m.insert("name".into(), json!(r.name));
        m.insert("status".into(), json!(r.status.as_str()));
        m.insert("startDate".into(), millis_to_epoch(r.start_ms));
        if let Some(s) = r.stop_ms {
            m.insert("stopDate".into(), millis_to_epoch(s));
        }
        if r.redrive_count > 0 || full {
            m.insert("redriveCount".into(), json!(r.redrive_count));
        }
        if let Some(t) = r.redrive_ms {
            m.insert("redriveDate".into(), millis_to_epoch(t));
        }
        if !full {
            return Value::Object(m);
        }
        if with_data {
            m.insert("input".into(), json!(r.input));
            if let Some(o) = &r.output {
                m.insert("output".into(), json!(o));
            }
        }
        m.insert("inputDetails".into(), json!({"included": with_data}));
        if r.output.is_some() {
            m.insert("outputDetails".into(), json!({"included": with_data}));
        }
        if let Some(e) = &r.error {
            m.insert("error".into(), json!(e));
        }
        if let Some(c) = &r.cause {
            m.insert("cause".into(), json!(c));
        }
        if d.redrivable() {
            m.insert("redriveStatus".into(), json!("REDRIVABLE"));
        } else {
            m.insert("redriveStatus".into(), json!("NOT_REDRIVABLE"));
            m.insert(
                "redriveStatusReason".into(),
                json!(format!(
                    "Execution is {} and cannot be redriven",
                    r.status.as_str()
                )),
            );
        }
        Value::Object(m)
    }

    /// The runtime key an execution of `arn` starts under (an alias picks one of its versions by
    /// weight), the state machine's type, and the alias ARN when there was one.
    async fn start_target(&self, arn: &str) -> Result<(String, String, Option<String>), ApiError> {
        let mut r = arns::machine(arn)?;
        let row = self.machine(&r, arn).await?;
        if self.deleting(&row.name).await? {
            return Err(ApiError::new(
                "StateMachineDeleting",
                format!("State Machine is being deleted: '{arn}'"),
            ));
        }
        let mut alias = None;
        let kind = match r.qualifier.clone() {
            Qualifier::Latest => row.kind,
            Qualifier::Version(v) => self.version(&r.name, v, arn)?.kind,
            Qualifier::Alias(a) => {
                let v = self.pick_alias_version(&r.name, &a, arn)?;
                alias = Some(arn.split('#').next().unwrap_or(arn).to_string());
                r.qualifier = Qualifier::Version(v);
                self.version(&r.name, v, arn)?.kind
            }
        };
        Ok((r.key(), kind, alias))
    }

    pub(crate) async fn start_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let name = req.opt_str("name")?;
        let input = parse_input(req.opt_str("input")?)?;
        req.opt_str_max("traceHeader", 256)?;
        let (key, kind, alias) = self.start_target(arn).await?;
        if kind == "EXPRESS" {
            let name = match name {
                Some(n) => {
                    check_name(n)?;
                    n.to_string()
                }
                None => uuid::Uuid::new_v4().to_string(),
            };
            let runtime = self.runtime.clone();
            let run_key = key.clone();
            tokio::spawn(async move {
                let _ = runtime.start_sync_express(&run_key, input).await;
            });
            return Ok(json!({
                "executionArn": express_arn(&key, &name),
                "startDate": millis_to_epoch(now_ms()),
            }));
        }
        let exec_arn = self.runtime.start(&key, input, name).await?;
        if let Some(a) = alias {
            self.machines
                .put_record(RecordKind::ExecutionAlias, &exec_arn, json!(a))?;
        }
        let d = self.runtime.describe(&exec_arn).await?;
        Ok(json!({
            "executionArn": exec_arn,
            "startDate": millis_to_epoch(d.record.start_ms),
        }))
    }

    pub(crate) async fn start_sync_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let (key, kind, _) = self.start_target(arn).await?;
        if kind != "EXPRESS" {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is only supported by EXPRESS state machines",
            ));
        }
        let name = match req.opt_str("name")? {
            Some(n) => {
                check_name(n)?;
                n.to_string()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let input_text = req.opt_str("input")?.unwrap_or("{}").to_string();
        let input = parse_input(Some(&input_text))?;
        let start = now_ms();
        let result = self.runtime.start_sync_express(&key, input).await?;
        let stop = now_ms();
        let mut m = Map::new();
        m.insert("executionArn".into(), json!(express_arn(&key, &name)));
        m.insert(
            "stateMachineArn".into(),
            json!(state_machine_arn(base_name(&key))),
        );
        m.insert("name".into(), json!(name));
        m.insert("startDate".into(), millis_to_epoch(start));
        m.insert("stopDate".into(), millis_to_epoch(stop));
        m.insert("status".into(), json!(result.status.as_str()));
        m.insert("input".into(), json!(input_text));
        m.insert("inputDetails".into(), json!({"included": true}));
        if let Some(o) = &result.output {
            m.insert("output".into(), json!(o.to_string()));
            m.insert("outputDetails".into(), json!({"included": true}));
        }
        if let Some(e) = result.error {
            m.insert("error".into(), json!(e));
        }
        if let Some(c) = result.cause {
            m.insert("cause".into(), json!(c));
        }
        m.insert(
            "billingDetails".into(),
            json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": (stop - start).max(100)}),
        );
        Ok(Value::Object(m))
    }

    pub(crate) async fn describe_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        let with_data = included_data(req)?;
        arns::execution(arn)?;
        let d = self.runtime.describe(arn).await?;
        Ok(self.execution_json(&d, true, with_data))
    }

    pub(crate) async fn describe_state_machine_for_execution(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        let with_data = included_data(req)?;
        arns::execution(arn)?;
        let d = self.runtime.describe(arn).await?;
        let key = &d.record.state_machine;
        let name = base_name(key);
        let gone = || {
            ApiError::new(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{arn}' (its state machine was deleted)"),
            )
        };
        let row = self.machines.get(name).ok_or_else(gone)?;
        let (definition, role, revision, updated) = match key_version(key) {
            Some(v) => {
                let version = self.version(name, v, arn).map_err(|_| gone())?;
                (
                    version.definition,
                    version.role_arn,
                    version.revision_id,
                    version.created_ms,
                )
            }
            None => (
                row.definition,
                row.role_arn,
                row.revision_id,
                row.updated_ms,
            ),
        };
        let logging = row
            .logging
            .as_deref()
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}));
        let mut out = json!({
            "stateMachineArn": match key_version(key) {
                Some(v) => arns::version_arn(name, v),
                None => state_machine_arn(name),
            },
            "name": name,
            "roleArn": role,
            "updateDate": millis_to_epoch(updated),
            "loggingConfiguration": logging,
            "tracingConfiguration": {"enabled": false},
            "revisionId": revision,
        });
        if with_data {
            out["definition"] = json!(definition);
        }
        Ok(out)
    }

    pub(crate) async fn stop_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        arns::execution(arn)?;
        let error = req.opt_str_max("error", 256)?;
        let cause = req.opt_str_max("cause", 32768)?;
        self.runtime.describe(arn).await?;
        let d = self.runtime.stop(arn, error, cause).await?;
        Ok(json!({
            "stopDate": millis_to_epoch(d.record.stop_ms.unwrap_or_else(now_ms)),
        }))
    }

    pub(crate) async fn list_executions(&self, req: &Request) -> Result<Value, ApiError> {
        let machine_arn = req.opt_str("stateMachineArn")?;
        let map_run = req.opt_str("mapRunArn")?;
        let arn = match (machine_arn, map_run) {
            (Some(a), None) => a,
            (None, Some(run)) => {
                // A Distributed Map's items run inside its execution here, not as child
                // executions: the run is checked, and has none to list.
                self.map_run(run).await?;
                return Ok(json!({"executions": []}));
            }
            _ => {
                return Err(ApiError::validation(
                    "exactly one of stateMachineArn and mapRunArn must be given",
                ))
            }
        };
        let r = arns::machine(arn)?;
        let row = self.machine(&r, arn).await?;
        let kind = match &r.qualifier {
            Qualifier::Version(v) => self.version(&r.name, *v, arn)?.kind,
            Qualifier::Alias(a) => {
                self.alias(&r.name, a, arn)?;
                row.kind
            }
            Qualifier::Latest => row.kind,
        };
        if kind == "EXPRESS" {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by EXPRESS state machines",
            ));
        }
        let status = match req.opt_str("statusFilter")? {
            None => None,
            Some("PENDING_REDRIVE") => {
                return Ok(json!({"executions": []}));
            }
            Some(s) => Some(ExecutionStatus::parse(s).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{s}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
                ))
            })?),
        };
        let redriven = match req.opt_str("redriveFilter")? {
            None => None,
            Some("REDRIVEN") => Some(true),
            Some("NOT_REDRIVEN") => Some(false),
            Some(other) => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
                )))
            }
        };
        let alias_arn = arn.split('#').next().unwrap_or(arn);
        let all = self.runtime.list(None, status).await?;
        let items: Vec<Value> = all
            .iter()
            .filter(|d| {
                let sm = &d.record.state_machine;
                let mine = base_name(sm) == r.name
                    && match &r.qualifier {
                        Qualifier::Latest => true,
                        Qualifier::Version(v) => key_version(sm) == Some(*v),
                        Qualifier::Alias(_) => self
                            .machines
                            .record(RecordKind::ExecutionAlias, &d.record.arn)
                            .is_some_and(|a| a == alias_arn),
                    }
                    && r.test_case
                        .as_ref()
                        .is_none_or(|c| sm.ends_with(&format!("#{c}")));
                mine && redriven.is_none_or(|want| (d.record.redrive_count > 0) == want)
            })
            .map(|d| self.execution_json(d, false, false))
            .collect();
        page_of(req, "executions", "executions", items)
    }

    pub(crate) async fn get_execution_history(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        arns::execution(arn)?;
        let page = req.page_size(100)?;
        let reverse = req.opt_bool("reverseOrder")?.unwrap_or(false);
        let include_data = req.opt_bool("includeExecutionData")?.unwrap_or(true);
        let token = req.opt_str("nextToken")?;
        if let Some(t) = token {
            if t.parse::<u64>().is_err() {
                return Err(ApiError::new(
                    "InvalidToken",
                    format!("invalid pagination token `{t}`"),
                ));
            }
        }
        let p = self
            .runtime
            .history(
                arn,
                HistoryQuery {
                    max_results: page,
                    reverse_order: reverse,
                    next_token: token.map(str::to_string),
                },
            )
            .await?;
        let events: Vec<Value> = p
            .events
            .into_iter()
            .map(|e| wire_event(e, include_data))
            .collect();
        let mut out = json!({ "events": events });
        if let Some(n) = p.next_token {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }
}

/// A stored event as the wire carries it: epoch-seconds timestamp, and without inputs and outputs
/// when `includeExecutionData` is false.
pub(crate) fn wire_event(mut e: Value, include_data: bool) -> Value {
    if let Some(m) = e.as_object_mut() {
        if let Some(ts) = m.get("timestamp").and_then(Value::as_str) {
            let t = epoch_seconds(ts);
            m.insert("timestamp".into(), t);
        }
        if !include_data {
            for (k, v) in m.iter_mut() {
                if k.ends_with("EventDetails") {
                    if let Some(d) = v.as_object_mut() {
                        d.remove("input");
                        d.remove("output");
                        d.remove("parameters");
                    }
                }
            }
        }
    }
    e
}
