//! The actions: one function per Step Functions action, from a decoded [`Request`] to the
//! response object, over the durable [`Runtime`] and the server's state machine table.

use super::machines::{MachineRow, Machines};
use super::protocol::{epoch_seconds, millis_to_epoch, paginate, Action, ApiError, Request};
use crate::engine::tasks::{MockResponses, TaskRegistry};
use crate::engine::{ExecutionStatus, Interpreter};
use crate::runtime::{check_name, state_machine_arn, ExecutionDescription, HistoryQuery, Runtime};
use serde_json::{json, Map, Value};
use stepfn_asl::diagnostic::Segment;
use stepfn_asl::StateMachine;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

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

/// A state machine ARN taken apart: the name and the mock test case after `#`.
struct MachineRef {
    name: String,
    test_case: Option<String>,
}

impl MachineRef {
    /// The name the runtime knows the machine (or its mocked variant) by.
    fn key(&self) -> String {
        match &self.test_case {
            Some(c) => format!("{}#{c}", self.name),
            None => self.name.clone(),
        }
    }
}

fn arn_parts(arn: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() >= 7 && parts[0] == "arn" && parts[2] == "states" && parts.len() <= 9)
        .then_some(parts)
}

fn parse_machine_arn(arn: &str) -> Result<MachineRef, ApiError> {
    let invalid = || {
        ApiError::invalid_arn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {arn}'"
        ))
    };
    let parts = arn_parts(arn).ok_or_else(invalid)?;
    if parts[5] != "stateMachine" {
        return Err(invalid());
    }
    if parts.len() > 7 {
        // A version or alias qualifier: versions are not kept here.
        return Err(ApiError::new(
            "StateMachineDoesNotExist",
            format!(
                "State Machine Does Not Exist: '{arn}' (versions and aliases are not supported)"
            ),
        ));
    }
    let (name, case) = match parts[6].split_once('#') {
        Some((n, c)) => (n, Some(c.to_string())),
        None => (parts[6], None),
    };
    Ok(MachineRef {
        name: name.to_string(),
        test_case: case,
    })
}

pub(crate) fn check_execution_arn(arn: &str) -> Result<(), ApiError> {
    let parts = arn_parts(arn).ok_or_else(|| {
        ApiError::invalid_arn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {arn}'"
        ))
    })?;
    match parts[5] {
        "execution" if parts.len() == 8 => Ok(()),
        "express" => Err(ApiError::new(
            "ExecutionDoesNotExist",
            format!("Express executions are not recorded: '{arn}'"),
        )),
        _ => Err(ApiError::invalid_arn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {arn}'"
        ))),
    }
}

fn express_arn(key: &str, name: &str) -> String {
    format!(
        "arn:aws:states:{REGION}:{ACCOUNT}:express:{key}:{name}:{}",
        uuid::Uuid::new_v4()
    )
}

fn now_ms() -> i64 {
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

fn parse_definition(text: &str) -> Result<StateMachine, ApiError> {
    StateMachine::from_json_str(text).map_err(|d| invalid_definition(&d))
}

fn parse_input(text: Option<&str>) -> Result<Value, ApiError> {
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

fn check_role(role: &str) -> Result<(), ApiError> {
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

/// The execution fields shared by DescribeExecution and ListExecutions.
fn execution_json(d: &ExecutionDescription, full: bool, redrivable: bool) -> Value {
    let r = &d.record;
    let mut m = Map::new();
    m.insert("executionArn".into(), json!(r.arn));
    m.insert(
        "stateMachineArn".into(),
        json!(state_machine_arn(&r.state_machine)),
    );
    m.insert("name".into(), json!(r.name));
    m.insert("status".into(), json!(r.status.as_str()));
    m.insert("startDate".into(), millis_to_epoch(r.start_ms));
    if let Some(s) = r.stop_ms {
        m.insert("stopDate".into(), millis_to_epoch(s));
    }
    if r.redrive_count > 0 {
        m.insert("redriveCount".into(), json!(r.redrive_count));
    }
    if full {
        m.insert("input".into(), json!(r.input));
        m.insert("inputDetails".into(), json!({"included": true}));
        if let Some(o) = &r.output {
            m.insert("output".into(), json!(o));
            m.insert("outputDetails".into(), json!({"included": true}));
        }
        if let Some(e) = &r.error {
            m.insert("error".into(), json!(e));
        }
        if let Some(c) = &r.cause {
            m.insert("cause".into(), json!(c));
        }
        m.insert("redriveCount".into(), json!(r.redrive_count));
        let closed_badly = matches!(
            r.status,
            ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut
        );
        if closed_badly && redrivable && d.redrivable() {
            m.insert("redriveStatus".into(), json!("REDRIVABLE"));
        } else {
            m.insert("redriveStatus".into(), json!("NOT_REDRIVABLE"));
            let reason = if r.status == ExecutionStatus::Running {
                "Execution is RUNNING and cannot be redriven"
            } else if r.status == ExecutionStatus::Succeeded {
                "Execution is SUCCEEDED and cannot be redriven"
            } else {
                "Redrive is not available in this server"
            };
            m.insert("redriveStatusReason".into(), json!(reason));
        }
    }
    Value::Object(m)
}

/// True when the runtime can redrive (`Runtime::redrive` exists).
const REDRIVE_AVAILABLE: bool = super::wired::REDRIVE;

impl Api {
    /// Registers a stored state machine (and its mocked test cases) with the runtime.
    pub(crate) fn register(&self, row: &MachineRow) -> Result<(), ApiError> {
        let machine = parse_definition(&row.definition)?;
        self.runtime
            .register(&row.name, machine.clone(), self.tasks.clone())?;
        if let Some(cfg) = &self.mocks {
            let cases: Vec<String> = cfg
                .get("StateMachines")
                .and_then(|m| m.get(&row.name))
                .and_then(|m| m.get("TestCases"))
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default();
            for case in cases {
                let mocks = MockResponses::from_config(cfg, Some(&row.name), &case)
                    .map_err(|e| ApiError::validation(format!("mock configuration: {e}")))?;
                let mut tasks = TaskRegistry::new();
                tasks.set_fallback(mocks.into_handler());
                self.runtime.register_interpreter(
                    &format!("{}#{case}", row.name),
                    Interpreter::new(machine.clone(), row.name.clone(), tasks),
                );
            }
        }
        Ok(())
    }

    fn machine(&self, r: &MachineRef, arn: &str) -> Result<MachineRow, ApiError> {
        let row = self.machines.get(&r.name).ok_or_else(|| {
            ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        })?;
        if let Some(case) = &r.test_case {
            let known = self
                .mocks
                .as_ref()
                .and_then(|c| c.get("StateMachines"))
                .and_then(|m| m.get(&r.name))
                .and_then(|m| m.get("TestCases"))
                .and_then(|t| t.get(case))
                .is_some();
            if !known {
                return Err(ApiError::validation(format!(
                    "no test case `{case}` for state machine `{}` in the mock configuration",
                    r.name
                )));
            }
        }
        Ok(row)
    }

    /// Runs one decoded action.
    pub async fn dispatch(&self, action: Action, req: Request) -> Result<Value, ApiError> {
        match action {
            Action::CreateStateMachine => self.create_state_machine(&req),
            Action::DescribeStateMachine => self.describe_state_machine(&req),
            Action::UpdateStateMachine => self.update_state_machine(&req),
            Action::DeleteStateMachine => self.delete_state_machine(&req),
            Action::ListStateMachines => self.list_state_machines(&req),
            Action::ValidateStateMachineDefinition => self.validate_definition(&req),
            Action::StartExecution => self.start_execution(&req).await,
            Action::StartSyncExecution => self.start_sync_execution(&req).await,
            Action::DescribeExecution => self.describe_execution(&req).await,
            Action::StopExecution => self.stop_execution(&req).await,
            Action::ListExecutions => self.list_executions(&req).await,
            Action::GetExecutionHistory => self.get_execution_history(&req).await,
            Action::RedriveExecution
            | Action::CreateActivity
            | Action::DescribeActivity
            | Action::ListActivities
            | Action::DeleteActivity
            | Action::GetActivityTask
            | Action::SendTaskSuccess
            | Action::SendTaskFailure
            | Action::SendTaskHeartbeat => super::wired::dispatch(self, action, &req).await,
        }
    }

    fn create_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let name = req.str("name")?;
        check_name(name)?;
        let definition = req.str("definition")?;
        let role = req.str("roleArn")?;
        check_role(role)?;
        let kind = machine_type(req)?;
        let logging = req.0.get("loggingConfiguration").map(Value::to_string);
        parse_definition(definition)?;
        if let Some(existing) = self.machines.get(name) {
            if existing.definition == definition
                && existing.role_arn == role
                && existing.kind == kind
            {
                return Ok(json!({
                    "stateMachineArn": state_machine_arn(name),
                    "creationDate": millis_to_epoch(existing.created_ms),
                }));
            }
            return Err(ApiError::new(
                "StateMachineAlreadyExists",
                format!(
                    "State Machine Already Exists: '{}'",
                    state_machine_arn(name)
                ),
            ));
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
        self.machines.put(row)?;
        Ok(json!({
            "stateMachineArn": state_machine_arn(name),
            "creationDate": millis_to_epoch(now),
        }))
    }

    fn describe_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        let row = self.machine(&r, arn)?;
        let logging = row
            .logging
            .as_deref()
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}));
        Ok(json!({
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
        }))
    }

    fn update_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        let mut row = self.machine(&r, arn)?;
        let definition = req.opt_str("definition")?;
        let role = req.opt_str("roleArn")?;
        let logging = req.0.get("loggingConfiguration").map(Value::to_string);
        if definition.is_none() && role.is_none() && logging.is_none() {
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
        row.updated_ms = now_ms();
        row.revision_id = uuid::Uuid::new_v4().to_string();
        self.register(&row)?;
        self.machines.put(row.clone())?;
        Ok(json!({
            "updateDate": millis_to_epoch(row.updated_ms),
            "revisionId": row.revision_id,
        }))
    }

    fn delete_state_machine(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        self.machines.delete(&r.name)?;
        self.runtime.unregister(&r.name);
        Ok(json!({}))
    }

    fn list_state_machines(&self, req: &Request) -> Result<Value, ApiError> {
        let page = req.page_size(100)?;
        let items: Vec<Value> = self
            .machines
            .all()
            .into_iter()
            .map(|row| {
                json!({
                    "stateMachineArn": state_machine_arn(&row.name),
                    "name": row.name,
                    "type": row.kind,
                    "creationDate": millis_to_epoch(row.created_ms),
                })
            })
            .collect();
        let (items, next) = paginate("machines", items, req.opt_str("nextToken")?, page)?;
        let mut out = json!({ "stateMachines": items });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn validate_definition(&self, req: &Request) -> Result<Value, ApiError> {
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

    async fn start_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        let row = self.machine(&r, arn)?;
        let name = req.opt_str("name")?;
        let input = parse_input(req.opt_str("input")?)?;
        req.opt_str_max("traceHeader", 256)?;
        if row.kind == "EXPRESS" {
            let name = match name {
                Some(n) => {
                    check_name(n)?;
                    n.to_string()
                }
                None => uuid::Uuid::new_v4().to_string(),
            };
            let runtime = self.runtime.clone();
            let key = r.key();
            tokio::spawn(async move {
                let _ = runtime.start_sync_express(&key, input).await;
            });
            return Ok(json!({
                "executionArn": express_arn(&r.key(), &name),
                "startDate": millis_to_epoch(now_ms()),
            }));
        }
        let exec_arn = self.runtime.start(&r.key(), input, name).await?;
        let d = self.runtime.describe(&exec_arn).await?;
        Ok(json!({
            "executionArn": exec_arn,
            "startDate": millis_to_epoch(d.record.start_ms),
        }))
    }

    async fn start_sync_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        let row = self.machine(&r, arn)?;
        if row.kind != "EXPRESS" {
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
        let result = self.runtime.start_sync_express(&r.key(), input).await?;
        let stop = now_ms();
        let mut m = Map::new();
        m.insert("executionArn".into(), json!(express_arn(&r.key(), &name)));
        m.insert("stateMachineArn".into(), json!(state_machine_arn(&r.key())));
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

    async fn describe_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        check_execution_arn(arn)?;
        let d = self.runtime.describe(arn).await?;
        Ok(execution_json(&d, true, REDRIVE_AVAILABLE))
    }

    async fn stop_execution(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        check_execution_arn(arn)?;
        let error = req.opt_str_max("error", 256)?;
        let cause = req.opt_str_max("cause", 32768)?;
        self.runtime.describe(arn).await?;
        let d = self.runtime.stop(arn, error, cause).await?;
        Ok(json!({
            "stopDate": millis_to_epoch(d.record.stop_ms.unwrap_or_else(now_ms)),
        }))
    }

    async fn list_executions(&self, req: &Request) -> Result<Value, ApiError> {
        if req.opt_str("mapRunArn")?.is_some() {
            return Err(ApiError::validation(
                "Map Runs (Distributed Map) are not supported",
            ));
        }
        let arn = req.str("stateMachineArn")?;
        let r = parse_machine_arn(arn)?;
        let row = self.machine(&r, arn)?;
        if row.kind == "EXPRESS" {
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
        match req.opt_str("redriveFilter")? {
            None | Some("REDRIVEN" | "NOT_REDRIVEN") => {}
            Some(other) => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
                )))
            }
        }
        let redriven = req.opt_str("redriveFilter")?.map(|f| f == "REDRIVEN");
        let page = req.page_size(100)?;
        let key = r.key();
        let all = self.runtime.list(None, status).await?;
        let items: Vec<Value> = all
            .iter()
            .filter(|d| {
                let sm = &d.record.state_machine;
                let mine = if r.test_case.is_some() {
                    *sm == key
                } else {
                    *sm == r.name || sm.strip_prefix(&r.name).is_some_and(|s| s.starts_with('#'))
                };
                mine && redriven.is_none_or(|want| (d.record.redrive_count > 0) == want)
            })
            .map(|d| execution_json(d, false, false))
            .collect();
        let (items, next) = paginate("executions", items, req.opt_str("nextToken")?, page)?;
        let mut out = json!({ "executions": items });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    async fn get_execution_history(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("executionArn")?;
        check_execution_arn(arn)?;
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
