//! The wire protocol: AWS JSON 1.0 as Step Functions speaks it.
//!
//! A request is `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>`, a
//! `Content-Type: application/x-amz-json-1.0` header and a JSON object body. A failure is an HTTP
//! 4xx/5xx whose body is `{"__type": "<ExceptionName>", "message": "..."}`, the shape the AWS
//! SDKs read their typed errors from. Decoding never panics: every malformed request becomes one
//! of AWS's errors ([`ApiError`]).

use serde_json::{Map, Value};

/// The Step Functions actions this server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// CreateStateMachine.
    CreateStateMachine,
    /// DescribeStateMachine.
    DescribeStateMachine,
    /// UpdateStateMachine.
    UpdateStateMachine,
    /// DeleteStateMachine.
    DeleteStateMachine,
    /// ListStateMachines.
    ListStateMachines,
    /// ValidateStateMachineDefinition.
    ValidateStateMachineDefinition,
    /// StartExecution.
    StartExecution,
    /// StartSyncExecution (Express only).
    StartSyncExecution,
    /// DescribeExecution.
    DescribeExecution,
    /// StopExecution.
    StopExecution,
    /// ListExecutions.
    ListExecutions,
    /// GetExecutionHistory.
    GetExecutionHistory,
    /// RedriveExecution.
    RedriveExecution,
    /// CreateActivity.
    CreateActivity,
    /// DescribeActivity.
    DescribeActivity,
    /// ListActivities.
    ListActivities,
    /// DeleteActivity.
    DeleteActivity,
    /// GetActivityTask.
    GetActivityTask,
    /// SendTaskSuccess.
    SendTaskSuccess,
    /// SendTaskFailure.
    SendTaskFailure,
    /// SendTaskHeartbeat.
    SendTaskHeartbeat,
    /// TagResource.
    TagResource,
    /// UntagResource.
    UntagResource,
    /// ListTagsForResource.
    ListTagsForResource,
    /// TestState (one state in isolation).
    TestState,
    /// DescribeStateMachineForExecution.
    DescribeStateMachineForExecution,
    /// PublishStateMachineVersion.
    PublishStateMachineVersion,
    /// ListStateMachineVersions.
    ListStateMachineVersions,
    /// DeleteStateMachineVersion.
    DeleteStateMachineVersion,
    /// CreateStateMachineAlias.
    CreateStateMachineAlias,
    /// DescribeStateMachineAlias.
    DescribeStateMachineAlias,
    /// UpdateStateMachineAlias.
    UpdateStateMachineAlias,
    /// DeleteStateMachineAlias.
    DeleteStateMachineAlias,
    /// ListStateMachineAliases.
    ListStateMachineAliases,
    /// DescribeMapRun.
    DescribeMapRun,
    /// ListMapRuns.
    ListMapRuns,
    /// UpdateMapRun.
    UpdateMapRun,
}

impl Action {
    /// Every action, in the order of the API reference's groups.
    pub const ALL: [Action; 37] = [
        Action::CreateStateMachine,
        Action::DescribeStateMachine,
        Action::UpdateStateMachine,
        Action::DeleteStateMachine,
        Action::ListStateMachines,
        Action::ValidateStateMachineDefinition,
        Action::StartExecution,
        Action::StartSyncExecution,
        Action::DescribeExecution,
        Action::StopExecution,
        Action::ListExecutions,
        Action::GetExecutionHistory,
        Action::RedriveExecution,
        Action::CreateActivity,
        Action::DescribeActivity,
        Action::ListActivities,
        Action::DeleteActivity,
        Action::GetActivityTask,
        Action::SendTaskSuccess,
        Action::SendTaskFailure,
        Action::SendTaskHeartbeat,
        Action::TagResource,
        Action::UntagResource,
        Action::ListTagsForResource,
        Action::TestState,
        Action::DescribeStateMachineForExecution,
        Action::PublishStateMachineVersion,
        Action::ListStateMachineVersions,
        Action::DeleteStateMachineVersion,
        Action::CreateStateMachineAlias,
        Action::DescribeStateMachineAlias,
        Action::UpdateStateMachineAlias,
        Action::DeleteStateMachineAlias,
        Action::ListStateMachineAliases,
        Action::DescribeMapRun,
        Action::ListMapRuns,
        Action::UpdateMapRun,
    ];

    /// The action's name, e.g. `StartExecution`.
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateStateMachine => "CreateStateMachine",
            Action::DescribeStateMachine => "DescribeStateMachine",
            Action::UpdateStateMachine => "UpdateStateMachine",
            Action::DeleteStateMachine => "DeleteStateMachine",
            Action::ListStateMachines => "ListStateMachines",
            Action::ValidateStateMachineDefinition => "ValidateStateMachineDefinition",
            Action::StartExecution => "StartExecution",
            Action::StartSyncExecution => "StartSyncExecution",
            Action::DescribeExecution => "DescribeExecution",
            Action::StopExecution => "StopExecution",
            Action::ListExecutions => "ListExecutions",
            Action::GetExecutionHistory => "GetExecutionHistory",
            Action::RedriveExecution => "RedriveExecution",
            Action::CreateActivity => "CreateActivity",
            Action::DescribeActivity => "DescribeActivity",
            Action::ListActivities => "ListActivities",
            Action::DeleteActivity => "DeleteActivity",
            Action::GetActivityTask => "GetActivityTask",
            Action::SendTaskSuccess => "SendTaskSuccess",
            Action::SendTaskFailure => "SendTaskFailure",
            Action::SendTaskHeartbeat => "SendTaskHeartbeat",
            Action::TagResource => "TagResource",
            Action::UntagResource => "UntagResource",
            Action::ListTagsForResource => "ListTagsForResource",
            Action::TestState => "TestState",
            Action::DescribeStateMachineForExecution => "DescribeStateMachineForExecution",
            Action::PublishStateMachineVersion => "PublishStateMachineVersion",
            Action::ListStateMachineVersions => "ListStateMachineVersions",
            Action::DeleteStateMachineVersion => "DeleteStateMachineVersion",
            Action::CreateStateMachineAlias => "CreateStateMachineAlias",
            Action::DescribeStateMachineAlias => "DescribeStateMachineAlias",
            Action::UpdateStateMachineAlias => "UpdateStateMachineAlias",
            Action::DeleteStateMachineAlias => "DeleteStateMachineAlias",
            Action::ListStateMachineAliases => "ListStateMachineAliases",
            Action::DescribeMapRun => "DescribeMapRun",
            Action::ListMapRuns => "ListMapRuns",
            Action::UpdateMapRun => "UpdateMapRun",
        }
    }

    /// The action named by an `X-Amz-Target` header value.
    pub fn from_target(target: &str) -> Option<Action> {
        let name = target.strip_prefix("AWSStepFunctions.")?;
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// An error response: the exception name (`__type`), its message and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The exception name, e.g. `ExecutionDoesNotExist`.
    pub kind: String,
    /// The message.
    pub message: String,
    /// The HTTP status code.
    pub status: u16,
}

impl ApiError {
    /// A client error (HTTP 400).
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.to_string(),
            message: message.into(),
            status: 400,
        }
    }

    /// `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// `SerializationException`: the body is not the JSON the action takes.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    /// `UnknownOperationException`.
    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new("UnknownOperationException", message)
    }

    /// `InvalidArn`.
    pub fn invalid_arn(message: impl Into<String>) -> Self {
        Self::new("InvalidArn", message)
    }

    /// `InternalFailure` (HTTP 500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: 500,
            ..Self::new("InternalFailure", message)
        }
    }

    /// An authentication failure (HTTP 403), e.g. `InvalidSignatureException`.
    pub fn forbidden(kind: &str, message: impl Into<String>) -> Self {
        Self {
            status: 403,
            ..Self::new(kind, message)
        }
    }

    /// `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFound", message)
    }

    /// `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new("ConflictException", message)
    }

    /// The response body.
    pub fn body(&self) -> Value {
        serde_json::json!({"__type": self.kind, "message": self.message})
    }
}

impl From<crate::runtime::RuntimeError> for ApiError {
    /// Runtime errors are named after AWS's exceptions (`ExecutionDoesNotExist: arn`); the name
    /// before the first `: ` becomes `__type`. A store failure is an internal failure.
    fn from(e: crate::runtime::RuntimeError) -> Self {
        let text = e.to_string();
        match text.split_once(": ") {
            Some((kind, message))
                if kind.starts_with(|c: char| c.is_ascii_uppercase())
                    && kind.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                // AWS writes a sentence around the ARN for these.
                let sentence = match kind {
                    "ExecutionAlreadyExists" => Some("Execution Already Exists"),
                    "ExecutionDoesNotExist" => Some("Execution Does Not Exist"),
                    "StateMachineDoesNotExist" => Some("State Machine Does Not Exist"),
                    "ActivityDoesNotExist" => Some("Activity Does Not Exist"),
                    _ => None,
                };
                match sentence {
                    Some(s) if message.starts_with("arn:") => {
                        ApiError::new(kind, format!("{s}: '{message}'"))
                    }
                    _ => ApiError::new(kind, message),
                }
            }
            _ => ApiError::internal(text),
        }
    }
}

/// The largest request body accepted (Step Functions: 1 MB per request).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Checks the headers and parses the body of one API request.
///
/// `target` and `content_type` are the raw header values, when present.
pub fn decode(
    target: Option<&[u8]>,
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<(Action, Request), ApiError> {
    let target =
        match target.map(std::str::from_utf8) {
            None => return Err(ApiError::unknown_operation(
                "the request has no `X-Amz-Target` header; expected `AWSStepFunctions.<Action>`",
            )),
            Some(Err(_)) => {
                return Err(ApiError::unknown_operation(
                    "the `X-Amz-Target` header is not UTF-8",
                ))
            }
            Some(Ok(t)) => t.trim(),
        };
    let Some(action) = Action::from_target(target) else {
        let shown: String = target.chars().take(100).collect();
        return Err(ApiError::unknown_operation(format!(
            "unknown operation `{shown}`; expected `AWSStepFunctions.<Action>`"
        )));
    };
    let ct = content_type
        .and_then(|c| std::str::from_utf8(c).ok())
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match ct.as_deref() {
        Some("application/x-amz-json-1.0" | "application/x-amz-json-1.1" | "application/json") => {}
        _ => {
            return Err(ApiError::unknown_operation(
                "unsupported Content-Type; Step Functions takes `application/x-amz-json-1.0`",
            ))
        }
    }
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::validation(format!(
            "the request is {} bytes; the limit is {MAX_REQUEST_BYTES}",
            body.len()
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((action, Request(Map::new())));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::serialization(format!("the request body is not valid UTF-8: {e}"))
    })?;
    match crate::quotas::read_json::<Value>(text) {
        Ok(Value::Object(m)) => Ok((action, Request(m))),
        Ok(_) => Err(ApiError::serialization(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::serialization(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A decoded request body, with typed accessors that produce AWS's errors.
#[derive(Debug, Clone, Default)]
pub struct Request(pub Map<String, Value>);

impl Request {
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    /// An optional string field.
    pub fn opt_str(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::serialization(format!(
                "`{field}` must be a string"
            ))),
        }
    }

    /// A required string field.
    pub fn str(&self, field: &str) -> Result<&str, ApiError> {
        self.opt_str(field)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// A required list field.
    pub fn list(&self, field: &str) -> Result<&Vec<Value>, ApiError> {
        match self.get(field) {
            None => Err(ApiError::validation(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ))),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(ApiError::serialization(format!("`{field}` must be a list"))),
        }
    }

    /// A required list of strings.
    pub fn str_list(&self, field: &str) -> Result<Vec<String>, ApiError> {
        self.list(field)?
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::serialization(format!("`{field}` must be a list of strings"))
                })
            })
            .collect()
    }

    /// A request's `tags` (`[{key, value}]`), checked: keys 1–128 characters, values up to 256.
    pub fn tags(&self) -> Result<Vec<(String, String)>, ApiError> {
        let Some(v) = self.0.get("tags").filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let list = v
            .as_array()
            .ok_or_else(|| ApiError::serialization("`tags` must be a list of {key, value}"))?;
        let mut out = Vec::new();
        for (i, t) in list.iter().enumerate() {
            let field = |f: &str| -> Result<String, ApiError> {
                match t.get(f) {
                    None | Some(Value::Null) if f == "value" => Ok(String::new()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    _ => Err(ApiError::validation(format!(
                        "1 validation error detected: Value at 'tags.{}.member.{f}' failed to satisfy constraint: Member must not be null",
                        i + 1
                    ))),
                }
            };
            let (key, value) = (field("key")?, field("value")?);
            if key.is_empty() || key.chars().count() > 128 {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{key}' at 'tags.{}.member.key' failed to satisfy constraint: Member must have length between 1 and 128",
                    i + 1
                )));
            }
            if value.chars().count() > 256 {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value at 'tags.{}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
                    i + 1
                )));
            }
            out.push((key, value));
        }
        Ok(out)
    }

    /// An optional boolean field.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::serialization(format!(
                "`{field}` must be a boolean"
            ))),
        }
    }

    /// An optional integer field within `lo..=hi`.
    pub fn opt_int(&self, field: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
                _ => Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{n}' at '{field}' failed to satisfy constraint: Member must have value between {lo} and {hi}"
                ))),
            },
            Some(_) => Err(ApiError::serialization(format!(
                "`{field}` must be a number"
            ))),
        }
    }

    /// A string field checked against a maximum length in characters.
    pub fn opt_str_max(&self, field: &str, max: usize) -> Result<Option<&str>, ApiError> {
        let s = self.opt_str(field)?;
        if let Some(s) = s {
            if s.chars().count() > max {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                )));
            }
        }
        Ok(s)
    }

    /// `maxResults` (0 or absent: the default page size) and the page size it means.
    pub fn page_size(&self, default: usize) -> Result<usize, ApiError> {
        Ok(match self.opt_int("maxResults", 0, 1000)? {
            None | Some(0) => default,
            Some(n) => n as usize,
        })
    }
}

/// Pagination tokens of the List actions: an opaque text holding the offset of the next item.
pub fn encode_token(kind: &str, offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("stepfn:{kind}:{offset}"))
}

/// Reads a token written by [`encode_token`] for the same `kind`; `InvalidToken` otherwise.
pub fn decode_token(kind: &str, token: &str) -> Result<usize, ApiError> {
    use base64::Engine;
    let bad = || {
        ApiError::new(
            "InvalidToken",
            format!("invalid pagination token `{token}`"),
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = text
        .strip_prefix("stepfn:")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(bad)?;
    rest.parse().map_err(|_| bad())
}

/// One page of `items` from the offset in `next_token`, and the token of the page after it.
pub fn paginate<T>(
    kind: &str,
    items: Vec<T>,
    next_token: Option<&str>,
    page: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match next_token {
        Some(t) => decode_token(kind, t)?,
        None => 0,
    };
    let total = items.len();
    let end = start.saturating_add(page).min(total);
    let taken: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    let next = (end < total).then(|| encode_token(kind, end));
    Ok((taken, next))
}

/// An RFC 3339 timestamp as the epoch seconds (with milliseconds) AWS JSON 1.0 uses.
pub fn epoch_seconds(rfc3339: &str) -> Value {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => millis_to_epoch(t.as_millisecond()),
        Err(_) => Value::Null,
    }
}

/// Unix milliseconds as epoch seconds.
pub fn millis_to_epoch(ms: i64) -> Value {
    serde_json::Number::from_f64(ms as f64 / 1000.0).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_errors() {
        let ct = Some(&b"application/x-amz-json-1.0"[..]);
        let (a, r) = decode(Some(b"AWSStepFunctions.StartExecution"), ct, b"{\"a\":1}").unwrap();
        assert_eq!(a, Action::StartExecution);
        assert_eq!(r.0.len(), 1);
        assert_eq!(
            decode(Some(b"AWSStepFunctions.Nope"), ct, b"{}")
                .unwrap_err()
                .kind,
            "UnknownOperationException"
        );
        assert_eq!(
            decode(Some(b"AWSStepFunctions.StartExecution"), ct, b"[1]")
                .unwrap_err()
                .kind,
            "SerializationException"
        );
        assert!(decode(Some(b"AWSStepFunctions.ListActivities"), ct, b"").is_ok());
    }

    #[test]
    fn tokens_round_trip() {
        let (page, next) = paginate("x", (0..5).collect(), None, 2).unwrap();
        assert_eq!(page, vec![0, 1]);
        let (page, next) = paginate("x", (0..5).collect(), next.as_deref(), 2).unwrap();
        assert_eq!(page, vec![2, 3]);
        let (page, next) = paginate("x", (0..5).collect(), next.as_deref(), 2).unwrap();
        assert_eq!((page, next), (vec![4], None));
        assert_eq!(decode_token("x", "zz").unwrap_err().kind, "InvalidToken");
        assert_eq!(
            decode_token("y", &encode_token("x", 1)).unwrap_err().kind,
            "InvalidToken"
        );
    }
}
