//! The Step Functions API over one runtime ([`Api`]), the helpers every action family shares,
//! and the state machine actions (Create/Describe/Update/Delete/List, validation).
//!
//! The other families add their actions to [`Api`] in their own modules: `executions`,
//! `activities`, `versions` (versions and aliases), `tags`, `map_runs`, `test_state`.

use super::arns::{self, MachineRef, Qualifier};
use super::machines::{MachineRow, Machines, RecordKind};
use super::protocol::{millis_to_epoch, paginate, ApiError, Request};
use crate::engine::tasks::{MockResponses, TaskRegistry};
use crate::engine::Interpreter;
use crate::runtime::{check_name, state_machine_arn, Runtime};
use serde_json::{json, Value};
use stepfn_asl::diagnostic::Segment;
use stepfn_asl::StateMachine;

/// The Step Functions API over one runtime.
pub struct Api {
    pub(crate) runtime: Runtime,
    pub(crate) machines: Machines,
    /// The Step Functions Local mock configuration, if any.
    pub(crate) mocks: Option<Value>,
    /// The task handlers of every state machine.
    pub(crate) tasks: TaskRegistry,
    /// RedriveExecution's recent `clientToken`s: (execution ARN, token, redrive time).
    pub(crate) redrive_tokens: std::sync::Mutex<std::collections::VecDeque<(String, String, i64)>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

/// The state machine a runtime key (`Name`, `Name:3`, `Name#Case`) belongs to.
pub(crate) fn base_name(key: &str) -> &str {
    key.split([':', '#']).next().unwrap_or(key)
}

/// The version a runtime key names, if any.
pub(crate) fn key_version(key: &str) -> Option<u64> {
    let rest = key.split('#').next()?.split_once(':')?.1;
    rest.parse().ok()
}

/// `includedData`: `ALL_DATA` (default) or `METADATA_ONLY`; true when data is to be included.
pub(crate) fn included_data(req: &Request) -> Result<bool, ApiError> {
    match req.opt_str("includedData")? {
        None | Some("ALL_DATA") => Ok(true),
        Some("METADATA_ONLY") => Ok(false),
        Some(other) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{other}' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]"
        ))),
    }
}

/// A List action's page: `{field: items, nextToken?}`.
pub(crate) fn page_of(
    req: &Request,
    kind: &str,
    field: &str,
    items: Vec<Value>,
) -> Result<Value, ApiError> {
    let page = req.page_size(100)?;
    let (items, next) = paginate(kind, items, req.opt_str("nextToken")?, page)?;
    let mut out = json!({ field: items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

pub(crate) fn express_arn(key: &str, name: &str) -> String {
    state_machine_arn(base_name(key)).replacen(":stateMachine:", ":express:", 1)
        + &format!(":{name}:{}", uuid::Uuid::new_v4())
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// `InvalidDefinition` with every problem of the definition.
fn invalid_definition(diags: &[stepfn_asl::Diagnostic]) -> ApiError {
    let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    ApiError::new(
        "InvalidDefinition",
        format!("Invalid State Machine Definition: '{}'", text.join("; ")),
    )
}

pub(crate) fn parse_definition(text: &str) -> Result<StateMachine, ApiError> {
    StateMachine::from_json_str(text).map_err(|d| invalid_definition(&d))
}

pub(crate) fn parse_input(text: Option<&str>) -> Result<Value, ApiError> {
    let text = text.unwrap_or("{}");
    if text.len() > crate::io::size::PAYLOAD_LIMIT {
        return Err(ApiError::new(
            "InvalidExecutionInput",
            format!(
                "the input is {} bytes; the limit is {}",
                text.len(),
                crate::io::size::PAYLOAD_LIMIT
            ),
        ));
    }
    crate::quotas::read_json(text).map_err(|e| {
        ApiError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })
}

fn machine_type(req: &Request) -> Result<String, ApiError> {
    match req.opt_str("type")? {
        None | Some("STANDARD") => Ok("STANDARD".into()),
        Some("EXPRESS") => Ok("EXPRESS".into()),
        Some(other) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))),
    }
}

pub(crate) fn check_role(role: &str) -> Result<(), ApiError> {
    if role.starts_with("arn:") && role.split(':').count() >= 6 {
        Ok(())
    } else {
        Err(ApiError::invalid_arn(format!("Invalid Arn: '{role}'")))
    }
}

/// The JSON pointer form (`/States/Charge/Next`) AWS uses for diagnostic locations.
fn pointer(loc: &stepfn_asl::Location) -> String {
    let mut s = String::new();
    for seg in loc.segments() {
        s.push('/');
        match seg {
            Segment::Key(k) => s.push_str(k),
            Segment::Index(i) => s.push_str(&i.to_string()),
        }
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

fn diagnostic_code(kind: stepfn_asl::DiagnosticKind) -> &'static str {
    use stepfn_asl::DiagnosticKind as K;
    match kind {
        K::Schema => "SCHEMA_VALIDATION_FAILED",
        K::UnknownState => "MISSING_TRANSITION_TARGET",
        K::Unreachable => "UNREACHABLE_STATE",
        K::NoTerminal => "NO_TERMINAL_STATE",
        K::DuplicateState => "DUPLICATE_STATE_NAME",
        K::Expression => "INVALID_EXPRESSION",
        K::Range => "VALUE_OUT_OF_RANGE",
        K::Rule => "SCHEMA_VALIDATION_FAILED",
    }
}

impl Api {
    /// Registers a state machine's definition with the runtime under `key`, with one variant per
    /// mocked test case of `name` (`key#Case`). Executions are named after `name`.
    pub(crate) fn register_variants(
        &self,
        key: &str,
        name: &str,
        definition: &str,
        role_arn: &str,
    ) -> Result<(), ApiError> {
        let machine = parse_definition(definition)?;
        self.runtime.register_interpreter(
            key,
            Interpreter::new(machine.clone(), name, self.tasks.clone()).with_role_arn(role_arn),
        );
        if let Some(cfg) = &self.mocks {
            for case in mock_cases(cfg, name) {
                let mocks = MockResponses::from_config(cfg, Some(name), &case)
                    .map_err(|e| ApiError::validation(format!("mock configuration: {e}")))?;
                let mut tasks = TaskRegistry::new();
                tasks.set_fallback(mocks.into_handler());
                self.runtime.register_interpreter(
                    &format!("{key}#{case}"),
                    Interpreter::new(machine.clone(), name, tasks).with_role_arn(role_arn),
                );
            }
        }
        Ok(())
    }

    /// Registers a stored state machine (and its mocked test cases) with the runtime.
    pub(crate) fn register(&self, row: &MachineRow) -> Result<(), ApiError> {
        check_name(&row.name)?;
        self.register_variants(&row.name, &row.name, &row.definition, &row.role_arn)
    }

    /// The state machine an ARN names (its base row, whatever the qualifier), checking the mock
    /// test case. A state machine deleted while executions ran stays (`DELETING`, see
    /// [`Api::deleting`]) until they end, then is gone.
    pub(crate) async fn machine(&self, r: &MachineRef, arn: &str) -> Result<MachineRow, ApiError> {
        let missing = || {
            ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        };
        let row = self.machines.get(&r.name).ok_or_else(missing)?;
        self.deleting(&r.name).await?;
        if let Some(case) = &r.test_case {
            let known = self
                .mocks
                .as_ref()
                .is_some_and(|cfg| mock_cases(cfg, &r.name).contains(case));
            if !known {
                return Err(ApiError::validation(format!(
                    "no test case `{case}` for state machine `{}` in the mock configuration",
                    r.name
                )));
            }
        }
        Ok(row)
    }

    /// True while a deleted state machine's executions still run; when the last has ended, the
    /// state machine's row goes.
    pub(crate) async fn deleting(&self, name: &str) -> Result<bool, ApiError> {
        if self.machines.record(RecordKind::Deleting, name).is_none() {
            return Ok(false);
        }
        let running = self
            .runtime
            .list(None, Some(crate::engine::ExecutionStatus::Running))
            .await?
            .iter()
            .any(|d| base_name(&d.record.state_machine) == name);
        if running {
            return Ok(true);
        }
        self.machines.delete(name)?;
        self.machines.delete_record(RecordKind::Deleting, name)?;
        Err(ApiError::new(
            "StateMachineDoesNotExist",
            format!(
                "State Machine Does Not Exist: '{}'",
                state_machine_arn(name)
            ),
        ))
    }

    pub(crate) async fn create_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let name = req.str("name")?;
        check_name(name)?;
        let definition = req.str("definition")?;
        let role = req.str("roleArn")?;
        check_role(role)?;
        let kind = machine_type(req)?;
        let logging = req.0.get("loggingConfiguration").map(Value::to_string);
        let tags = req.tags()?;
        let (publish, description) = publish_fields(req)?;
        parse_definition(definition)?;
        let arn = state_machine_arn(name);
        if let Some(existing) = self.machines.get(name) {
            let same = existing.definition == definition
                && existing.role_arn == role
                && existing.kind == kind;
            if !same || self.machines.record(RecordKind::Deleting, name).is_some() {
                return Err(ApiError::new(
                    "StateMachineAlreadyExists",
                    format!("State Machine Already Exists: '{arn}'"),
                ));
            }
            let mut out = json!({
                "stateMachineArn": arn,
                "creationDate": millis_to_epoch(existing.created_ms),
            });
            if publish {
                let v = self.publish_version(&existing, description, None)?;
                out["stateMachineVersionArn"] = json!(v);
            }
            return Ok(out);
        }
        let now = now_ms();
        let row = MachineRow {
            name: name.to_string(),
            definition: definition.to_string(),
            role_arn: role.to_string(),
            kind,
            created_ms: now,
            updated_ms: now,
            revision_id: uuid::Uuid::new_v4().to_string(),
            logging,
        };
        self.register(&row)?;
        self.machines.put(row.clone())?;
        self.put_tags(&arn, tags)?;
        let mut out = json!({
            "stateMachineArn": arn,
            "creationDate": millis_to_epoch(now),
        });
        if publish {
            out["stateMachineVersionArn"] = json!(self.publish_version(&row, description, None)?);
        }
        Ok(out)
    }

    pub(crate) async fn describe_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let with_data = included_data(req)?;
        let r = arns::machine(arn)?;
        let row = self.machine(&r, arn).await?;
        let mut out = match &r.qualifier {
            Qualifier::Latest => {
                let mut out = machine_json(&row);
                if self.deleting(&row.name).await? {
                    out["status"] = json!("DELETING");
                }
                out
            }
            Qualifier::Version(v) => {
                let version = self.version(&row.name, *v, arn)?;
                let mut out = machine_json(&version.as_row(&row));
                out["stateMachineArn"] = json!(arn);
                if let Some(d) = &version.description {
                    out["description"] = json!(d);
                }
                out
            }
            Qualifier::Alias(_) => {
                return Err(ApiError::validation(format!(
                    "'{arn}' is an alias; describe it with DescribeStateMachineAlias"
                )))
            }
        };
        if !with_data {
            if let Some(m) = out.as_object_mut() {
                m.remove("definition");
            }
        }
        Ok(out)
    }

    pub(crate) async fn update_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = arns::machine(arn)?;
        if r.qualifier != Qualifier::Latest {
            return Err(ApiError::validation(format!(
                "'{arn}' names a version or an alias; UpdateStateMachine takes the state machine's ARN"
            )));
        }
        let mut row = self.machine(&r, arn).await?;
        let definition = req.opt_str("definition")?;
        let role = req.opt_str("roleArn")?;
        let logging = req.0.get("loggingConfiguration").map(Value::to_string);
        let (publish, description) = publish_fields(req)?;
        if definition.is_none() && role.is_none() && logging.is_none() && !publish {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition, the roleArn or the loggingConfiguration must be specified",
            ));
        }
        if let Some(d) = definition {
            parse_definition(d)?;
            row.definition = d.to_string();
        }
        if let Some(role) = role {
            check_role(role)?;
            row.role_arn = role.to_string();
        }
        if logging.is_some() {
            row.logging = logging;
        }
        if definition.is_some() || role.is_some() || row.logging.is_some() {
            row.updated_ms = now_ms();
            row.revision_id = uuid::Uuid::new_v4().to_string();
        }
        self.register(&row)?;
        self.machines.put(row.clone())?;
        let mut out = json!({
            "updateDate": millis_to_epoch(row.updated_ms),
            "revisionId": row.revision_id,
        });
        if publish {
            out["stateMachineVersionArn"] = json!(self.publish_version(&row, description, None)?);
        }
        Ok(out)
    }

    pub(crate) async fn delete_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = arns::machine(arn)?;
        if r.qualifier != Qualifier::Latest {
            return Err(ApiError::validation(format!(
                "'{arn}' names a version or an alias; delete it with DeleteStateMachineVersion or DeleteStateMachineAlias"
            )));
        }
        let name = &r.name;
        if self.machines.get(name).is_none() {
            return Ok(json!({}));
        }
        self.delete_versions_and_aliases(name)?;
        self.machines
            .delete_record(RecordKind::Tags, &state_machine_arn(name))?;
        self.runtime.unregister(name);
        if let Some(cfg) = &self.mocks {
            for case in mock_cases(cfg, name) {
                self.runtime.unregister(&format!("{name}#{case}"));
            }
        }
        // Gone once its executions have ended; DELETING until then.
        self.machines
            .put_record(RecordKind::Deleting, name, json!(now_ms()))?;
        let _ = self.deleting(name).await;
        Ok(json!({}))
    }

    pub(crate) async fn list_state_machines(&self, req: &Request) -> Result<Value, ApiError> {
        let mut items = Vec::new();
        for row in self.machines.all() {
            if self.deleting(&row.name).await.is_err() {
                continue;
            }
            items.push(json!({
                "stateMachineArn": state_machine_arn(&row.name),
                "name": row.name,
                "type": row.kind,
                "creationDate": millis_to_epoch(row.created_ms),
            }));
        }
        page_of(req, "machines", "stateMachines", items)
    }

    pub(crate) fn validate_definition(&self, req: &Request) -> Result<Value, ApiError> {
        let definition = req.str("definition")?;
        machine_type(req)?;
        match req.opt_str("severity")? {
            None | Some("ERROR" | "WARNING") => {}
            Some(other) => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]"
                )))
            }
        }
        let max = match req.opt_int("maxResults", 0, 100)? {
            None | Some(0) => 100,
            Some(n) => n as usize,
        };
        let diags = match StateMachine::from_json_str(definition) {
            Ok(_) => Vec::new(),
            Err(d) => d,
        };
        let truncated = diags.len() > max;
        let items: Vec<Value> = diags
            .iter()
            .take(max)
            .map(|d| {
                json!({
                    "severity": "ERROR",
                    "code": diagnostic_code(d.kind),
                    "message": d.to_string(),
                    "location": pointer(&d.location),
                })
            })
            .collect();
        Ok(json!({
            "result": if diags.is_empty() { "OK" } else { "FAIL" },
            "diagnostics": items,
            "truncated": truncated,
        }))
    }
}

/// The names of the mocked test cases of state machine `name`.
fn mock_cases(cfg: &Value, name: &str) -> Vec<String> {
    cfg.get("StateMachines")
        .and_then(|m| m.get(name))
        .and_then(|m| m.get("TestCases"))
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default()
}

/// `publish` and `versionDescription` (which needs `publish`).
fn publish_fields(req: &Request) -> Result<(bool, Option<&str>), ApiError> {
    let publish = req.opt_bool("publish")?.unwrap_or(false);
    let description = req.opt_str_max("versionDescription", 256)?;
    if description.is_some() && !publish {
        return Err(ApiError::validation(
            "versionDescription can only be set when publish is true",
        ));
    }
    Ok((publish, description))
}

/// DescribeStateMachine's fields of a row.
fn machine_json(row: &MachineRow) -> Value {
    let logging = row
        .logging
        .as_deref()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}));
    json!({
        "stateMachineArn": state_machine_arn(&row.name),
        "name": row.name,
        "status": "ACTIVE",
        "definition": row.definition,
        "roleArn": row.role_arn,
        "type": row.kind,
        "creationDate": millis_to_epoch(row.created_ms),
        "loggingConfiguration": logging,
        "tracingConfiguration": {"enabled": false},
        "revisionId": row.revision_id,
    })
}
