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
}
