//! The States Language model: a state machine and every state type with all of its fields,
//! in both query languages. Field names follow ASL; optional fields are `Option`s so a
//! definition serializes back to the JSON it came from.

use crate::choice::ChoiceRule;
use crate::path::Path;
use crate::template::{JsonataExpr, Template};
use indexmap::IndexMap;
use serde_json::{Number, Value};

/// `QueryLanguage`: how expressions in a state are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum QueryLanguage {
    /// `JSONPath` (the default): paths, payload templates and intrinsic functions.
    #[default]
    JsonPath,
    /// `JSONata`: `{% … %}` expressions, `Arguments`, `Output`.
    Jsonata,
}

impl QueryLanguage {
    /// The ASL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A whole state machine: the top level of a definition.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// `Comment`.
    pub comment: Option<String>,
    /// `StartAt`: the first state.
    pub start_at: String,
    /// `States`, in definition order.
    pub states: IndexMap<String, State>,
    /// `Version` (`"1.0"`).
    pub version: Option<String>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    /// `QueryLanguage` of the whole machine (JSONPath when absent).
    pub query_language: Option<QueryLanguage>,
}

/// A Parallel branch or a Map item processor: a nested `{StartAt, States}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// `Comment`.
    pub comment: Option<String>,
    /// `StartAt`.
    pub start_at: String,
    /// `States`, in definition order.
    pub states: IndexMap<String, State>,
    /// `ProcessorConfig` (Map `ItemProcessor` only).
    pub processor_config: Option<ProcessorConfig>,
}

/// `ProcessorConfig` of a Map `ItemProcessor`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorConfig {
    /// `Mode`: `INLINE` (default) or `DISTRIBUTED`.
    pub mode: Option<MapMode>,
    /// `ExecutionType`: `STANDARD` or `EXPRESS` (distributed mode).
    pub execution_type: Option<String>,
}

/// `ProcessorConfig.Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    /// `INLINE`.
    Inline,
    /// `DISTRIBUTED`.
    Distributed,
}

/// How a state continues: `Next` or `End`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `Next`: the state to go to.
    Next(String),
    /// `End: true`.
    End,
}

/// A value that is either given literally or, in JSONata states, computed by an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr<T> {
    /// A literal value.
    Literal(T),
    /// A `{% … %}` expression.
    Jsonata(JsonataExpr),
}

/// `ResultPath`: where the result goes.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultPath {
    /// `null`: discard the result, output the state input.
    Discard,
    /// A reference path (`$` replaces the input).
    Path(Path),
}

/// An `InputPath` or `OutputPath`.
#[derive(Debug, Clone, PartialEq)]
pub enum IoPath {
    /// `null`: `{}`.
    Null,
    /// A path.
    Path(Path),
}

/// `Assign`: variables set when the state finishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    /// Variable name → value; in JSONPath states names ending in `.$` were stripped and their values
    /// parsed as paths or intrinsic calls.
    pub template: Template,
}

/// A state: the fields common to every type, and the type-specific part.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// `Comment`.
    pub comment: Option<String>,
    /// `QueryLanguage` of this state, when given.
    pub query_language: Option<QueryLanguage>,
    /// `InputPath` (JSONPath).
    pub input_path: Option<IoPath>,
    /// `OutputPath` (JSONPath).
    pub output_path: Option<IoPath>,
    /// `Output` (JSONata).
    pub output: Option<Template>,
    /// `Assign`.
    pub assign: Option<Assign>,
    /// The type-specific fields.
    pub kind: StateKind,
}

/// The type-specific part of a state.
#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    /// `Type: Pass`.
    Pass(Pass),
    /// `Type: Task`.
    Task(Box<Task>),
    /// `Type: Choice`.
    Choice(Choice),
    /// `Type: Wait`.
    Wait(Wait),
    /// `Type: Succeed`.
    Succeed,
    /// `Type: Fail`.
    Fail(Fail),
    /// `Type: Parallel`.
    Parallel(Box<Parallel>),
    /// `Type: Map`.
    Map(Box<MapState>),
}

impl StateKind {
    /// The ASL `Type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

impl State {
    /// The `Next`/`End` of this state, for the types that have one.
    pub fn transition(&self) -> Option<&Transition> {
        match &self.kind {
            StateKind::Pass(s) => Some(&s.transition),
            StateKind::Task(s) => Some(&s.transition),
            StateKind::Wait(s) => Some(&s.transition),
            StateKind::Parallel(s) => Some(&s.transition),
            StateKind::Map(s) => Some(&s.transition),
            StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_) => None,
        }
    }

    /// The `Retry` and `Catch` lists, for the types that have them.
    pub fn error_handling(&self) -> Option<(&[Retrier], &[Catcher])> {
        match &self.kind {
            StateKind::Task(s) => Some((&s.retry, &s.catch)),
            StateKind::Parallel(s) => Some((&s.retry, &s.catch)),
            StateKind::Map(s) => Some((&s.retry, &s.catch)),
            _ => None,
        }
    }

    /// Every state name this state can transition to, with the field that names it.
    pub fn successors(&self) -> Vec<(&str, Successor)> {
        let mut out = Vec::new();
        if let Some(Transition::Next(n)) = self.transition() {
            out.push((n.as_str(), Successor::Next));
        }
        if let StateKind::Choice(c) = &self.kind {
            for (i, r) in c.choices.iter().enumerate() {
                if let Some(n) = &r.next {
                    out.push((n.as_str(), Successor::Choice(i)));
                }
            }
            if let Some(d) = &c.default {
                out.push((d.as_str(), Successor::Default));
            }
        }
        if let Some((_, catch)) = self.error_handling() {
            for (i, c) in catch.iter().enumerate() {
                out.push((c.next.as_str(), Successor::Catch(i)));
            }
        }
        out
    }

    /// True when the state ends its scope: `End: true`, Succeed or Fail.
    pub fn is_terminal(&self) -> bool {
        matches!(self.kind, StateKind::Succeed | StateKind::Fail(_))
            || self.transition() == Some(&Transition::End)
    }
}

/// Which field of a state names a successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Successor {
    /// `Next`.
    Next,
    /// `Choices[i].Next`.
    Choice(usize),
    /// `Default`.
    Default,
    /// `Catch[i].Next`.
    Catch(usize),
}

/// `Type: Pass`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// `Next` / `End`.
    pub transition: Transition,
    /// `Result`: a static result.
    pub result: Option<Value>,
    /// `Parameters` (JSONPath).
    pub parameters: Option<Template>,
    /// `ResultPath` (JSONPath).
    pub result_path: Option<ResultPath>,
}

/// `Type: Task`.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `Next` / `End`.
    pub transition: Transition,
    /// `Resource`: the ARN or URI of the work.
    pub resource: String,
    /// `Parameters` (JSONPath).
    pub parameters: Option<Template>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Template>,
    /// `ResultSelector` (JSONPath).
    pub result_selector: Option<Template>,
    /// `ResultPath` (JSONPath).
    pub result_path: Option<ResultPath>,
    /// `TimeoutSeconds`.
    pub timeout_seconds: Option<Expr<u64>>,
    /// `TimeoutSecondsPath`.
    pub timeout_seconds_path: Option<Path>,
    /// `HeartbeatSeconds`.
    pub heartbeat_seconds: Option<Expr<u64>>,
    /// `HeartbeatSecondsPath`.
    pub heartbeat_seconds_path: Option<Path>,
    /// `Credentials`.
    pub credentials: Option<Template>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// `Type: Choice`.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// `Choices`.
    pub choices: Vec<ChoiceRule>,
    /// `Default`.
    pub default: Option<String>,
}

/// `Type: Wait`: exactly one of the four duration fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// `Next` / `End`.
    pub transition: Transition,
    /// `Seconds`.
    pub seconds: Option<Expr<u64>>,
    /// `Timestamp`.
    pub timestamp: Option<Expr<String>>,
    /// `SecondsPath`.
    pub seconds_path: Option<Path>,
    /// `TimestampPath`.
    pub timestamp_path: Option<Path>,
}

/// `Type: Fail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    /// `Error`.
    pub error: Option<Expr<String>>,
    /// `ErrorPath` (a path or an intrinsic call).
    pub error_path: Option<Template>,
    /// `Cause`.
    pub cause: Option<Expr<String>>,
    /// `CausePath` (a path or an intrinsic call).
    pub cause_path: Option<Template>,
}

/// `Type: Parallel`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    /// `Next` / `End`.
    pub transition: Transition,
    /// `Branches`.
    pub branches: Vec<Branch>,
    /// `Parameters` (JSONPath).
    pub parameters: Option<Template>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Template>,
    /// `ResultSelector` (JSONPath).
    pub result_selector: Option<Template>,
    /// `ResultPath` (JSONPath).
    pub result_path: Option<ResultPath>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// `ItemBatcher` of a Distributed Map: the items grouped into batches, each child workflow's
/// input being `{"BatchInput": …, "Items": [...]}`. A batch holds at most the given number of
/// items and bytes, and never more than 256 KiB.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch`: a number, or a `{% … %}` expression (JSONata).
    pub max_items_per_batch: Option<Expr<u64>>,
    /// `MaxItemsPerBatchPath` (JSONPath): a reference path into the state's input.
    pub max_items_per_batch_path: Option<Path>,
    /// `MaxInputBytesPerBatch`: a number (at most 262,144), or a `{% … %}` expression.
    pub max_input_bytes_per_batch: Option<Expr<u64>>,
    /// `MaxInputBytesPerBatchPath` (JSONPath).
    pub max_input_bytes_per_batch_path: Option<Path>,
    /// `BatchInput`: a payload template (JSONPath) or JSONata value added to every batch.
    pub batch_input: Option<Template>,
}

impl ItemBatcher {
    /// The most bytes a batch may hold (`MaxInputBytesPerBatch`'s maximum): 256 KiB, the
    /// payload quota.
    pub const MAX_INPUT_BYTES: u64 = 262_144;
}

/// `Type: Map`.
#[derive(Debug, Clone, PartialEq)]
pub struct MapState {
    /// `Next` / `End`.
    pub transition: Transition,
    /// `ItemProcessor` (or the legacy `Iterator`, see `legacy_iterator`).
    pub processor: Branch,
    /// True when the processor was given as the legacy `Iterator`.
    pub legacy_iterator: bool,
    /// `ItemsPath` (JSONPath).
    pub items_path: Option<Path>,
    /// `Items` (JSONata): an array or an expression.
    pub items: Option<Template>,
    /// `ItemSelector`.
    pub item_selector: Option<Template>,
    /// `Parameters` (legacy form of `ItemSelector`).
    pub parameters: Option<Template>,
    /// `ItemReader` (distributed mode; kept as JSON).
    pub item_reader: Option<Value>,
    /// `ItemBatcher` (distributed mode).
    pub item_batcher: Option<ItemBatcher>,
    /// `ResultWriter` (distributed mode; kept as JSON).
    pub result_writer: Option<Value>,
    /// `MaxConcurrency` (0 = no limit).
    pub max_concurrency: Option<Expr<u64>>,
    /// `MaxConcurrencyPath`.
    pub max_concurrency_path: Option<Path>,
    /// `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<Expr<u64>>,
    /// `ToleratedFailureCountPath`.
    pub tolerated_failure_count_path: Option<Path>,
    /// `ToleratedFailurePercentage`.
    pub tolerated_failure_percentage: Option<Expr<Number>>,
    /// `ToleratedFailurePercentagePath`.
    pub tolerated_failure_percentage_path: Option<Path>,
    /// `Label`.
    pub label: Option<String>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: Option<ResultPath>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

impl MapState {
    /// The processor's mode (INLINE unless `ProcessorConfig.Mode` says DISTRIBUTED).
    pub fn mode(&self) -> MapMode {
        self.processor
            .processor_config
            .as_ref()
            .and_then(|c| c.mode)
            .unwrap_or(MapMode::Inline)
    }
}

/// `JitterStrategy` of a retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JitterStrategy {
    /// `FULL`: a uniform random delay between 0 and the computed one.
    Full,
    /// `NONE`.
    None,
}

/// One element of `Retry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: Option<u64>,
    /// `MaxAttempts` (default 3; 0 = never retry).
    pub max_attempts: Option<u64>,
    /// `BackoffRate` (default 2.0), kept as written.
    pub backoff_rate: Option<Number>,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy` (default NONE).
    pub jitter_strategy: Option<JitterStrategy>,
    /// `Comment`.
    pub comment: Option<String>,
}

impl Retrier {
    /// `IntervalSeconds` with its default.
    pub fn interval(&self) -> u64 {
        self.interval_seconds.unwrap_or(1)
    }
    /// `MaxAttempts` with its default.
    pub fn attempts(&self) -> u64 {
        self.max_attempts.unwrap_or(3)
    }
    /// `BackoffRate` with its default.
    pub fn backoff(&self) -> f64 {
        self.backoff_rate
            .as_ref()
            .and_then(Number::as_f64)
            .unwrap_or(2.0)
    }
}

/// One element of `Catch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`.
    pub next: String,
    /// `ResultPath` (JSONPath; default `$`).
    pub result_path: Option<ResultPath>,
    /// `Output` (JSONata).
    pub output: Option<Template>,
    /// `Assign`.
    pub assign: Option<Assign>,
    /// `Comment`.
    pub comment: Option<String>,
}
