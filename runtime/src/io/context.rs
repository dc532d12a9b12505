//! The context object (`$$`): execution, state machine, state, task and Map item facts.
//!
//! It is built lazily: most states never read `$$`, so the JSON form is made only on first use.

use serde_json::{json, Value};
use std::sync::OnceLock;
use stepfn_asl::StateKind;

/// Facts fixed for a whole execution.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    /// `Execution.Id`: the execution ARN.
    pub id: String,
    /// `Execution.Name`.
    pub name: String,
    /// `Execution.StartTime` (RFC 3339, milliseconds).
    pub start_time: String,
    /// `Execution.Input`.
    pub input: Value,
    /// `Execution.RoleArn`.
    pub role_arn: String,
    /// `Execution.RedriveCount`.
    pub redrive_count: u64,
    /// `StateMachine.Id`: the state machine ARN.
    pub state_machine_id: String,
    /// `StateMachine.Name`.
    pub state_machine_name: String,
}

/// `Map.Item` inside a Map's ItemSelector.
#[derive(Debug, Clone)]
pub struct MapItem {
    /// `Map.Item.Index`.
    pub index: usize,
    /// `Map.Item.Value`.
    pub value: Value,
}

/// The context object of one state attempt.
#[derive(Debug)]
pub struct Context<'n> {
    /// The execution's facts (borrowed: a state's context lives inside its execution).
    pub execution: &'n ExecutionInfo,
    /// `State.Name`.
    pub state_name: &'n str,
    /// `State.EnteredTime`.
    pub entered_time: jiff::Timestamp,
    /// `State.RetryCount`: present for the states that can retry (see [`Context::retries`]).
    pub retry_count: Option<u64>,
    /// `Task.Token`, for `.waitForTaskToken` tasks and activities.
    pub task_token: Option<String>,
    /// `Map.Item`, inside a Map's ItemSelector (boxed, like the built object: a context is made
    /// for every state, and these are rare).
    pub map_item: Option<Box<MapItem>>,
    value: OnceLock<Box<Value>>,
}

impl<'n> Context<'n> {
    /// Whether the context object of a state of this kind carries `State.RetryCount`: only the
    /// states that can retry (Task, Parallel, Map). AWS gives a Pass state's `$$.State` as
    /// `{"Name", "EnteredTime"}` alone (an execution recorded against AWS by LocalStack's
    /// `test_context_object` snapshot); JSONata's `$states.context` is the same object.
    pub fn retries(kind: &StateKind) -> bool {
        matches!(
            kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        )
    }

    /// The context of a state of kind `kind` entered at `entered_time`, on its first attempt.
    pub fn for_state(
        execution: &'n ExecutionInfo,
        state_name: &'n str,
        kind: &StateKind,
        entered_time: jiff::Timestamp,
    ) -> Self {
        Self::new(
            execution,
            state_name,
            entered_time,
            Self::retries(kind).then_some(0),
        )
    }

    /// The context of a state entered at `entered_time` (`retry_count`: `None` for a state that
    /// cannot retry).
    pub fn new(
        execution: &'n ExecutionInfo,
        state_name: &'n str,
        entered_time: jiff::Timestamp,
        retry_count: Option<u64>,
    ) -> Self {
        Self {
            execution,
            state_name,
            entered_time,
            retry_count,
            task_token: None,
            map_item: None,
            value: OnceLock::new(),
        }
    }

    /// The same context on retry `retry_count` (`State.RetryCount`, kept absent where the state
    /// cannot retry).
    pub fn on_retry(&self, retry_count: u64) -> Self {
        Self {
            execution: self.execution,
            state_name: self.state_name,
            entered_time: self.entered_time,
            retry_count: self.retry_count.map(|_| retry_count),
            task_token: self.task_token.clone(),
            map_item: self.map_item.clone(),
            value: OnceLock::new(),
        }
    }

    /// The same context with a Map item (for ItemSelector).
    pub fn with_map_item(&self, index: usize, value: Value) -> Self {
        Self {
            execution: self.execution,
            state_name: self.state_name,
            entered_time: self.entered_time,
            retry_count: self.retry_count,
            task_token: self.task_token.clone(),
            map_item: Some(Box::new(MapItem { index, value })),
            value: OnceLock::new(),
        }
    }

    /// The same context with a task token.
    pub fn with_task_token(mut self, token: String) -> Self {
        self.task_token = Some(token);
        self.value = OnceLock::new();
        self
    }

    /// The context object as JSON (built once).
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| Box::new(self.build()))
    }

    fn build(&self) -> Value {
        let e = &self.execution;
        let execution = json!({
            "Id": e.id,
            "Input": e.input,
            "Name": e.name,
            "RoleArn": e.role_arn,
            "StartTime": e.start_time,
            "RedriveCount": e.redrive_count,
        });
        let mut state = json!({
            "EnteredTime": format!("{:.3}", self.entered_time),
            "Name": self.state_name,
        });
        if let (Some(n), Some(m)) = (self.retry_count, state.as_object_mut()) {
            m.insert("RetryCount".into(), n.into());
        }
        let mut v = json!({
            "Execution": execution,
            "State": state,
            "StateMachine": {
                "Id": e.state_machine_id,
                "Name": e.state_machine_name,
            },
        });
        if let Some(m) = v.as_object_mut() {
            if let Some(t) = &self.task_token {
                m.insert("Task".into(), json!({ "Token": t }));
            }
            if let Some(item) = &self.map_item {
                m.insert(
                    "Map".into(),
                    json!({ "Item": { "Index": item.index, "Value": item.value } }),
                );
            }
        }
        v
    }
}
