//! The vocabulary of an execution's record, shared by the engines, the stores and the server:
//! its status and its history events (Step Functions' `HistoryEvent`s, typed by [`EventType`]).

use serde::Serialize;
use serde_json::{Map, Value};

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still running.
    Running,
    /// Reached a Succeed state or an `End`.
    Succeeded,
    /// Failed with an error.
    Failed,
    /// Ran past the machine's `TimeoutSeconds`.
    TimedOut,
    /// Stopped from outside.
    Aborted,
}

impl ExecutionStatus {
    /// The AWS spelling, e.g. `SUCCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }

    /// Reads the AWS spelling back.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "TIMED_OUT" => Self::TimedOut,
            "ABORTED" => Self::Aborted,
            _ => return None,
        })
    }
}

macro_rules! event_types {
    ($($variant:ident,)*) => {
        /// A history event's type, named as Step Functions names it (`HistoryEventType`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum EventType {
            $(
                #[doc = concat!("`", stringify!($variant), "`.")]
                $variant,
            )*
        }

        impl EventType {
            /// Every event type.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// AWS's name of the type, e.g. `PassStateEntered`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => stringify!($variant),)*
                }
            }

            /// The event type of that name, if there is one.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($variant) => Some(EventType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    ActivityFailed,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    EvaluationFailed,
    ExecutionAborted,
    ExecutionFailed,
    ExecutionRedriven,
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionTimedOut,
    FailStateEntered,
    LambdaFunctionFailed,
    LambdaFunctionScheduled,
    LambdaFunctionScheduleFailed,
    LambdaFunctionStarted,
    LambdaFunctionStartFailed,
    LambdaFunctionSucceeded,
    LambdaFunctionTimedOut,
    MapIterationAborted,
    MapIterationFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapRunAborted,
    MapRunFailed,
    MapRunRedriven,
    MapRunStarted,
    MapRunSucceeded,
    MapStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateFailed,
    MapStateStarted,
    MapStateSucceeded,
    ParallelStateAborted,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateFailed,
    ParallelStateStarted,
    ParallelStateSucceeded,
    PassStateEntered,
    PassStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    TaskFailed,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskStateAborted,
    TaskStateEntered,
    TaskStateExited,
    TaskSubmitFailed,
    TaskSubmitted,
    TaskSucceeded,
    TaskTimedOut,
    WaitStateAborted,
    WaitStateEntered,
    WaitStateExited,
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for EventType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One history event, in the shape of GetExecutionHistory's `events[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEvent {
    /// Sequential from 1.
    pub id: u64,
    /// The event this one follows in its branch of the execution (0 for the first).
    #[serde(rename = "previousEventId")]
    pub previous_event_id: u64,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// The event type, e.g. `PassStateEntered`.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The details object, under its AWS field name (e.g. `stateEnteredEventDetails`).
    #[serde(skip)]
    pub details: Option<(&'static str, Value)>,
}

impl HistoryEvent {
    /// The event as GetExecutionHistory returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), Value::String(self.timestamp.clone()));
        m.insert("type".into(), Value::String(self.kind.as_str().to_string()));
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        if let Some((k, v)) = &self.details {
            m.insert((*k).to_string(), v.clone());
        }
        Value::Object(m)
    }

    /// [`Self::to_json`] as JSON text, written straight from the event (the details are not
    /// copied into a new value first).
    pub fn to_text(&self) -> String {
        use serde::ser::{SerializeMap, Serializer};
        struct Shape<'a>(&'a HistoryEvent);
        impl Serialize for Shape<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let e = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("timestamp", &e.timestamp)?;
                m.serialize_entry("type", e.kind.as_str())?;
                m.serialize_entry("id", &e.id)?;
                m.serialize_entry("previousEventId", &e.previous_event_id)?;
                if let Some((k, v)) = &e.details {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        serde_json::to_string(&Shape(self)).unwrap_or_default()
    }
}

/// A history event read back from the store, typed: GetExecutionHistory's `events[]` with its
/// details object as an [`EventDetails`]. [`Execution::history`](crate::Execution::history)
/// returns these.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Sequential from 1.
    pub id: u64,
    /// The event this one follows in its branch of the execution (0 for the first).
    pub previous_event_id: u64,
    /// When it happened.
    pub timestamp: jiff::Timestamp,
    /// The event type, e.g. [`EventType::TaskStateEntered`].
    pub kind: EventType,
    /// The details object (`stateEnteredEventDetails`, `taskFailedEventDetails`, …).
    pub details: EventDetails,
}

/// An event's details, one variant per shape of AWS's `…EventDetails` objects (several event
/// types share a shape: `TaskStateEntered` and `PassStateEntered` both carry
/// `stateEnteredEventDetails`). `input`, `output` and `parameters`, JSON text in AWS's shapes,
/// are parsed.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum EventDetails {
    /// `executionStartedEventDetails`.
    ExecutionStarted {
        /// The execution input.
        #[serde(default, deserialize_with = "json_text")]
        input: Value,
        /// The execution role.
        role_arn: Option<String>,
        /// The state machine.
        state_machine_arn: Option<String>,
    },
    /// `executionSucceededEventDetails`.
    ExecutionSucceeded {
        /// The execution output.
        #[serde(default, deserialize_with = "json_text")]
        output: Value,
    },
    /// `executionFailedEventDetails`, `executionAbortedEventDetails`,
    /// `executionTimedOutEventDetails`, `activityFailedEventDetails`,
    /// `activityScheduleFailedEventDetails`, `activityTimedOutEventDetails`,
    /// `lambdaFunction{Failed,ScheduleFailed,StartFailed,TimedOut}EventDetails`,
    /// `mapRunFailedEventDetails`, `parallelStateFailedEventDetails`.
    Failure {
        /// The error name.
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
    /// `executionRedrivenEventDetails`.
    ExecutionRedriven {
        /// How many times the execution was redriven, this one included.
        redrive_count: u64,
    },
    /// `stateEnteredEventDetails` (`…StateEntered`).
    StateEntered {
        /// The state's name.
        name: String,
        /// The state's raw input.
        #[serde(default, deserialize_with = "json_text")]
        input: Value,
    },
    /// `stateExitedEventDetails` (`…StateExited`).
    StateExited {
        /// The state's name.
        name: String,
        /// The state's output.
        #[serde(default, deserialize_with = "json_text")]
        output: Value,
    },
    /// `taskScheduledEventDetails`.
    TaskScheduled {
        /// The service, e.g. `lambda` (`resourceType`).
        #[serde(default)]
        resource_type: String,
        /// The action, e.g. `invoke` (`resource`).
        #[serde(default)]
        resource: String,
        /// The region.
        region: Option<String>,
        /// The effective parameters sent to the task.
        #[serde(default, deserialize_with = "json_text")]
        parameters: Value,
        /// `TimeoutSeconds`.
        timeout_in_seconds: Option<u64>,
        /// `HeartbeatSeconds`.
        heartbeat_in_seconds: Option<u64>,
    },
    /// `taskStartedEventDetails`.
    TaskStarted {
        /// The service.
        #[serde(default)]
        resource_type: String,
        /// The action.
        #[serde(default)]
        resource: String,
    },
    /// `taskSucceededEventDetails` and `taskSubmittedEventDetails`.
    TaskSucceeded {
        /// The service.
        #[serde(default)]
        resource_type: String,
        /// The action.
        #[serde(default)]
        resource: String,
        /// The task's result.
        #[serde(default, deserialize_with = "json_text")]
        output: Value,
    },
    /// `taskFailedEventDetails`, `taskTimedOutEventDetails`, `taskStartFailedEventDetails` and
    /// `taskSubmitFailedEventDetails`.
    TaskFailed {
        /// The service.
        #[serde(default)]
        resource_type: String,
        /// The action.
        #[serde(default)]
        resource: String,
        /// The error name.
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
    /// `activityScheduledEventDetails`.
    ActivityScheduled {
        /// The activity ARN.
        resource: String,
        /// The task input.
        #[serde(default, deserialize_with = "json_text")]
        input: Value,
        /// `TimeoutSeconds`.
        timeout_in_seconds: Option<u64>,
        /// `HeartbeatSeconds`.
        heartbeat_in_seconds: Option<u64>,
    },
    /// `activityStartedEventDetails`.
    ActivityStarted {
        /// The worker that took the task.
        worker_name: Option<String>,
    },
    /// `activitySucceededEventDetails` and `lambdaFunctionSucceededEventDetails`.
    Succeeded {
        /// The result.
        #[serde(default, deserialize_with = "json_text")]
        output: Value,
    },
    /// `lambdaFunctionScheduledEventDetails`.
    LambdaFunctionScheduled {
        /// The function ARN.
        resource: String,
        /// The payload.
        #[serde(default, deserialize_with = "json_text")]
        input: Value,
        /// `TimeoutSeconds`.
        timeout_in_seconds: Option<u64>,
    },
    /// `mapStateStartedEventDetails`.
    MapStateStarted {
        /// How many iterations.
        length: u64,
    },
    /// `mapIteration{Started,Succeeded,Failed,Aborted}EventDetails`.
    MapIteration {
        /// The Map state's name.
        name: String,
        /// The iteration's index.
        index: u64,
    },
    /// `mapRunStartedEventDetails`.
    MapRunStarted {
        /// The Map Run's ARN.
        map_run_arn: String,
    },
    /// `evaluationFailedEventDetails`.
    EvaluationFailed {
        /// The error name.
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
        /// Where in the state the evaluation failed.
        location: Option<String>,
        /// The state.
        state: String,
    },
    /// No details object (e.g. `ParallelStateStarted`).
    None,
    /// A details object of a shape not listed here, kept as it is.
    Other {
        /// Its field name, e.g. `mapRunRedrivenEventDetails`.
        field: String,
        /// Its value.
        value: Value,
    },
}

/// Reads a field holding JSON text (AWS's `input`, `output`, `parameters`) as JSON; a missing
/// or empty field is `null`.
fn json_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    let text = <Option<String> as serde::Deserialize>::deserialize(d)?;
    match text.as_deref() {
        None | Some("") => Ok(Value::Null),
        Some(t) => crate::quotas::read_json(t).map_err(serde::de::Error::custom),
    }
}

/// The [`EventDetails`] variant of AWS's details field `field`.
fn details_variant(field: &str) -> Option<&'static str> {
    Some(match field {
        "executionStartedEventDetails" => "ExecutionStarted",
        "executionSucceededEventDetails" => "ExecutionSucceeded",
        "executionFailedEventDetails"
        | "executionAbortedEventDetails"
        | "executionTimedOutEventDetails"
        | "activityFailedEventDetails"
        | "activityScheduleFailedEventDetails"
        | "activityTimedOutEventDetails"
        | "lambdaFunctionFailedEventDetails"
        | "lambdaFunctionScheduleFailedEventDetails"
        | "lambdaFunctionStartFailedEventDetails"
        | "lambdaFunctionTimedOutEventDetails"
        | "mapRunFailedEventDetails"
        | "parallelStateFailedEventDetails" => "Failure",
        "executionRedrivenEventDetails" => "ExecutionRedriven",
        "stateEnteredEventDetails" => "StateEntered",
        "stateExitedEventDetails" => "StateExited",
        "taskScheduledEventDetails" => "TaskScheduled",
        "taskStartedEventDetails" => "TaskStarted",
        "taskSucceededEventDetails" | "taskSubmittedEventDetails" => "TaskSucceeded",
        "taskFailedEventDetails"
        | "taskTimedOutEventDetails"
        | "taskStartFailedEventDetails"
        | "taskSubmitFailedEventDetails" => "TaskFailed",
        "activityScheduledEventDetails" => "ActivityScheduled",
        "activityStartedEventDetails" => "ActivityStarted",
        "activitySucceededEventDetails" | "lambdaFunctionSucceededEventDetails" => "Succeeded",
        "lambdaFunctionScheduledEventDetails" => "LambdaFunctionScheduled",
        "mapStateStartedEventDetails" => "MapStateStarted",
        "mapIterationStartedEventDetails"
        | "mapIterationSucceededEventDetails"
        | "mapIterationFailedEventDetails"
        | "mapIterationAbortedEventDetails" => "MapIteration",
        "mapRunStartedEventDetails" => "MapRunStarted",
        "evaluationFailedEventDetails" => "EvaluationFailed",
        _ => return None,
    })
}

impl Event {
    /// Reads an event in GetExecutionHistory's shape (as the store keeps it). The error names
    /// the event and the field that does not fit.
    pub fn from_json(event: &Value) -> Result<Self, String> {
        let id = event["id"].as_u64();
        let at = || format!("event {}", id.map_or("?".into(), |i| i.to_string()));
        let kind = event["type"]
            .as_str()
            .and_then(EventType::parse)
            .ok_or_else(|| format!("{}: unknown `type` {}", at(), event["type"]))?;
        let timestamp = event["timestamp"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .ok_or_else(|| format!("{}: bad `timestamp` {}", at(), event["timestamp"]))?;
        let field = event
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")));
        let details = match field {
            None => EventDetails::None,
            Some((field, value)) => match details_variant(field) {
                None => EventDetails::Other {
                    field: field.clone(),
                    value: value.clone(),
                },
                Some(variant) => {
                    let tagged = Value::Object(Map::from_iter([(variant.into(), value.clone())]));
                    serde_json::from_value(tagged).map_err(|e| format!("{}: {field}: {e}", at()))?
                }
            },
        };
        Ok(Self {
            id: id.ok_or_else(|| format!("{}: no `id`", at()))?,
            previous_event_id: event["previousEventId"].as_u64().unwrap_or(0),
            timestamp,
            kind,
            details,
        })
    }

    /// The state's name, for `…StateEntered` and `…StateExited` events.
    pub fn state_name(&self) -> Option<&str> {
        match &self.details {
            EventDetails::StateEntered { name, .. } | EventDetails::StateExited { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_types_read_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(EventType::parse("FailStateExited"), None);
    }

    #[test]
    fn text_is_the_json_form() {
        let mut e = HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: "2026-11-25T10:00:00.000Z".into(),
            kind: EventType::PassStateExited,
            details: None,
        };
        assert_eq!(e.to_text(), e.to_json().to_string());
        e.details = Some((
            "stateExitedEventDetails",
            json!({"name": "P", "output": "{\"a\":[1,2.5]}", "outputDetails": {"truncated": false}}),
        ));
        assert_eq!(e.to_text(), e.to_json().to_string());
    }

    #[test]
    fn typed_events_read_back_from_json() {
        let e = HistoryEvent {
            id: 4,
            previous_event_id: 3,
            timestamp: "2026-11-25T10:00:00.000Z".into(),
            kind: EventType::TaskFailed,
            details: Some((
                "taskFailedEventDetails",
                json!({"resourceType": "lambda", "resource": "invoke", "error": "E", "cause": "c"}),
            )),
        };
        let typed = Event::from_json(&e.to_json()).unwrap();
        assert_eq!(typed.id, 4);
        assert_eq!(typed.previous_event_id, 3);
        assert_eq!(typed.kind, EventType::TaskFailed);
        assert_eq!(
            typed.details,
            EventDetails::TaskFailed {
                resource_type: "lambda".into(),
                resource: "invoke".into(),
                error: Some("E".into()),
                cause: Some("c".into()),
            }
        );
        let entered = json!({"id": 2, "previousEventId": 1, "type": "PassStateEntered",
            "timestamp": "2026-11-25T10:00:00.000Z",
            "stateEnteredEventDetails": {"name": "P", "input": "{\"a\":1}",
                "inputDetails": {"truncated": false}}});
        let typed = Event::from_json(&entered).unwrap();
        assert_eq!(typed.state_name(), Some("P"));
        assert_eq!(
            typed.details,
            EventDetails::StateEntered {
                name: "P".into(),
                input: json!({"a": 1})
            }
        );
    }

    #[test]
    fn unknown_details_are_kept_and_bad_ones_named() {
        let other = json!({"id": 9, "previousEventId": 8, "type": "MapRunRedriven",
            "timestamp": "2026-11-25T10:00:00.000Z",
            "mapRunRedrivenEventDetails": {"mapRunArn": "a", "redriveCount": 1}});
        let typed = Event::from_json(&other).unwrap();
        assert_eq!(
            typed.details,
            EventDetails::Other {
                field: "mapRunRedrivenEventDetails".into(),
                value: json!({"mapRunArn": "a", "redriveCount": 1})
            }
        );
        let bad = json!({"id": 5, "previousEventId": 4, "type": "PassStateExited",
            "timestamp": "2026-11-25T10:00:00.000Z",
            "stateExitedEventDetails": {"name": "P", "output": "{not json"}});
        let e = Event::from_json(&bad).unwrap_err();
        assert!(e.starts_with("event 5: stateExitedEventDetails:"), "{e}");
        let bad_type = json!({"id": 6, "type": "Nope", "timestamp": "2026-11-25T10:00:00.000Z"});
        assert!(Event::from_json(&bad_type)
            .unwrap_err()
            .contains("unknown `type`"));
    }
}
