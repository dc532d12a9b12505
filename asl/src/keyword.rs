//! The `workflow!` DSL's option keywords, in one table: the macro's parser and lowering and the
//! ASL → DSL printer (`stepfn dsl`, [`crate::dsl`]) all read it, so a keyword is spelled and
//! mapped to its States Language field in one place.

/// How an option's value is written in the DSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordValue {
    /// A JSON value with Rust string literals: `parameters { "a.$": "$.b" }`.
    Json,
    /// A path or `null`: `result_path $.out`, `result_path null`.
    Path,
    /// A duration in whole seconds: `timeout 30s`, `5m`, `2h`, `1d`.
    Duration,
    /// A whole number: `max_concurrency 4`.
    Count,
    /// A bare word: `mode distributed`, `query_language jsonata`.
    Word,
    /// `retry [errors] every 2s, 3 times, backoff 2.0, max 30s, jitter`.
    Retry,
    /// `catch [errors] into PATH -> Target { … }`.
    Catch,
    /// A `{ … }` block of states: `branch { … }`, `processor { … }`.
    Scope,
}

/// Where a keyword may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In a state's `{ … }` option block.
    State,
    /// At the top of a workflow, as a setting of the state machine.
    Machine,
    /// In a state's block, at the top of a workflow, and in the `{ … }` block of a choice rule or
    /// a catcher.
    Anywhere,
    /// In a state's block and at the top of a workflow.
    StateOrMachine,
    /// In a state's block and in the `{ … }` block of a choice rule or a catcher.
    StateOrRule,
}

/// An option keyword of the `workflow!` DSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionKeyword {
    /// `comment "…"`: `Comment`.
    Comment,
    /// `input_path $.a`: `InputPath`.
    InputPath,
    /// `output_path $.a`: `OutputPath`.
    OutputPath,
    /// `result_path $.a`: `ResultPath`.
    ResultPath,
    /// `parameters { … }`: `Parameters`.
    Parameters,
    /// `result_selector { … }`: `ResultSelector`.
    ResultSelector,
    /// `result …`: a Pass state's `Result` (not named `Result`: a public item of that name
    /// makes rustc print `std::result::Result` in full in every user's error messages).
    PassResult,
    /// `assign { … }`: `Assign`.
    Assign,
    /// `output …`: `Output` (JSONata).
    Output,
    /// `arguments { … }`: `Arguments` (JSONata).
    Arguments,
    /// `credentials { … }`: a Task state's `Credentials`.
    Credentials,
    /// `resource "arn:…"`: a Task state's `Resource`.
    Resource,
    /// `timeout 30s`: `TimeoutSeconds` of a Task state or of the state machine.
    Timeout,
    /// `timeout_path $.t`: `TimeoutSecondsPath`.
    TimeoutPath,
    /// `heartbeat 10s`: `HeartbeatSeconds`.
    Heartbeat,
    /// `heartbeat_path $.h`: `HeartbeatSecondsPath`.
    HeartbeatPath,
    /// `retry …`: one retrier of `Retry`.
    Retry,
    /// `catch …`: one catcher of `Catch`.
    Catch,
    /// `items $.list`: a Map state's `ItemsPath`.
    Items,
    /// `item_selector { … }`: `ItemSelector`.
    ItemSelector,
    /// `max_concurrency 4`: `MaxConcurrency`.
    MaxConcurrency,
    /// `max_concurrency_path $.n`: `MaxConcurrencyPath`.
    MaxConcurrencyPath,
    /// `tolerated_failures 2`: `ToleratedFailureCount`.
    ToleratedFailures,
    /// `tolerated_failures_path $.n`: `ToleratedFailureCountPath`.
    ToleratedFailuresPath,
    /// `tolerated_percentage 10`: `ToleratedFailurePercentage`.
    ToleratedPercentage,
    /// `tolerated_percentage_path $.p`: `ToleratedFailurePercentagePath`.
    ToleratedPercentagePath,
    /// `label "…"`: a Map state's `Label`.
    Label,
    /// `mode distributed`: `Mode` of the Map state's `ItemProcessor.ProcessorConfig`.
    Mode,
    /// `execution_type "EXPRESS"`: `ExecutionType` of `ItemProcessor.ProcessorConfig`.
    ExecutionType,
    /// `processor { … }`: a Map state's `ItemProcessor`.
    Processor,
    /// `iterator { … }`: a Map state's legacy `Iterator`.
    Iterator,
    /// `branch { … }`: one of a Parallel state's `Branches`.
    Branch,
    /// `error_path $.e`: a Fail state's `ErrorPath`.
    ErrorPath,
    /// `cause_path $.c`: a Fail state's `CausePath`.
    CausePath,
    /// `version "1.0"`: the state machine's `Version`.
    Version,
    /// `query_language jsonata`: `QueryLanguage` of a state or of the state machine.
    QueryLanguage,
}

use KeywordValue::*;
use Place::*;

/// One keyword's row of [`TABLE`].
#[derive(Debug)]
struct Row {
    keyword: OptionKeyword,
    dsl: &'static str,
    field: &'static str,
    value: KeywordValue,
    place: Place,
    repeatable: bool,
}

const fn row(
    keyword: OptionKeyword,
    dsl: &'static str,
    field: &'static str,
    value: KeywordValue,
    place: Place,
) -> Row {
    Row {
        keyword,
        dsl,
        field,
        value,
        place,
        repeatable: false,
    }
}

const fn repeatable(mut r: Row) -> Row {
    r.repeatable = true;
    r
}

/// Every keyword, in [`OptionKeyword`]'s order (a unit test checks it).
#[rustfmt::skip]
const TABLE: [Row; 36] = {
    use OptionKeyword as K;
    [
        row(K::Comment, "comment", "Comment", Json, Anywhere),
        row(K::InputPath, "input_path", "InputPath", Path, State),
        row(K::OutputPath, "output_path", "OutputPath", Path, State),
        row(K::ResultPath, "result_path", "ResultPath", Path, State),
        row(K::Parameters, "parameters", "Parameters", Json, State),
        row(K::ResultSelector, "result_selector", "ResultSelector", Json, State),
        row(K::PassResult, "result", "Result", Json, State),
        row(K::Assign, "assign", "Assign", Json, StateOrRule),
        row(K::Output, "output", "Output", Json, StateOrRule),
        row(K::Arguments, "arguments", "Arguments", Json, State),
        row(K::Credentials, "credentials", "Credentials", Json, State),
        row(K::Resource, "resource", "Resource", Json, State),
        row(K::Timeout, "timeout", "TimeoutSeconds", Duration, StateOrMachine),
        row(K::TimeoutPath, "timeout_path", "TimeoutSecondsPath", Path, State),
        row(K::Heartbeat, "heartbeat", "HeartbeatSeconds", Duration, State),
        row(K::HeartbeatPath, "heartbeat_path", "HeartbeatSecondsPath", Path, State),
        repeatable(row(K::Retry, "retry", "Retry", Retry, State)),
        repeatable(row(K::Catch, "catch", "Catch", Catch, State)),
        row(K::Items, "items", "ItemsPath", Path, State),
        row(K::ItemSelector, "item_selector", "ItemSelector", Json, State),
        row(K::MaxConcurrency, "max_concurrency", "MaxConcurrency", Count, State),
        row(K::MaxConcurrencyPath, "max_concurrency_path", "MaxConcurrencyPath", Path, State),
        row(K::ToleratedFailures, "tolerated_failures", "ToleratedFailureCount", Count, State),
        row(K::ToleratedFailuresPath, "tolerated_failures_path", "ToleratedFailureCountPath", Path, State),
        row(K::ToleratedPercentage, "tolerated_percentage", "ToleratedFailurePercentage", Json, State),
        row(K::ToleratedPercentagePath, "tolerated_percentage_path", "ToleratedFailurePercentagePath", Path, State),
        row(K::Label, "label", "Label", Json, State),
        row(K::Mode, "mode", "Mode", Word, State),
        row(K::ExecutionType, "execution_type", "ExecutionType", Json, State),
        row(K::Processor, "processor", "ItemProcessor", Scope, State),
        row(K::Iterator, "iterator", "Iterator", Scope, State),
        repeatable(row(K::Branch, "branch", "Branches", Scope, State)),
        row(K::ErrorPath, "error_path", "ErrorPath", Path, State),
        row(K::CausePath, "cause_path", "CausePath", Path, State),
        row(K::Version, "version", "Version", Json, Machine),
        row(K::QueryLanguage, "query_language", "QueryLanguage", Word, StateOrMachine),
    ]
};

impl OptionKeyword {
    fn row(self) -> &'static Row {
        &TABLE[self as usize]
    }

    /// Every keyword, in the order the DSL documents them.
    pub fn all() -> impl Iterator<Item = OptionKeyword> {
        TABLE.iter().map(|r| r.keyword)
    }

    /// The keyword spelled `dsl`, if any.
    pub fn from_dsl(dsl: &str) -> Option<OptionKeyword> {
        TABLE.iter().find(|r| r.dsl == dsl).map(|r| r.keyword)
    }

    /// Its spelling in the DSL: `result_path`.
    pub fn dsl(self) -> &'static str {
        self.row().dsl
    }

    /// The States Language field it sets: `ResultPath`. [`Self::Mode`] and
    /// [`Self::ExecutionType`] are fields of the Map state's `ItemProcessor.ProcessorConfig`;
    /// [`Self::Retry`], [`Self::Catch`] and [`Self::Branch`] add one element to their array.
    pub fn asl_field(self) -> &'static str {
        self.row().field
    }

    /// How its value is written.
    pub fn value(self) -> KeywordValue {
        self.row().value
    }

    /// True when a state may set it more than once (`retry`, `catch`, `branch`).
    pub fn is_repeatable(self) -> bool {
        self.row().repeatable
    }

    /// True when a state's option block accepts it.
    pub fn is_state_option(self) -> bool {
        matches!(
            self.row().place,
            State | Anywhere | StateOrMachine | StateOrRule
        )
    }

    /// True when it is a setting of the whole state machine (the top of a workflow).
    pub fn is_machine_setting(self) -> bool {
        matches!(self.row().place, Machine | Anywhere | StateOrMachine)
    }

    /// True when the `{ … }` block of a choice rule or a catcher accepts it.
    pub fn is_rule_option(self) -> bool {
        matches!(self.row().place, Anywhere | StateOrRule)
    }

    /// The keywords a state's option block accepts, for "did you mean" suggestions.
    pub fn state_options() -> impl Iterator<Item = OptionKeyword> {
        Self::all().filter(|k| k.is_state_option())
    }

    /// The keywords a workflow's top accepts.
    pub fn machine_settings() -> impl Iterator<Item = OptionKeyword> {
        Self::all().filter(|k| k.is_machine_setting())
    }
}

impl std::fmt::Display for OptionKeyword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.dsl())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_enum_order() {
        for (i, r) in TABLE.iter().enumerate() {
            assert_eq!(r.keyword as usize, i, "{} is out of order", r.dsl);
        }
    }

    #[test]
    fn spellings_and_fields_are_unique_and_round_trip() {
        let mut dsl: Vec<&str> = TABLE.iter().map(|r| r.dsl).collect();
        let mut fields: Vec<&str> = TABLE.iter().map(|r| r.field).collect();
        dsl.sort_unstable();
        dsl.dedup();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(dsl.len(), TABLE.len());
        assert_eq!(fields.len(), TABLE.len());
        for k in OptionKeyword::all() {
            assert_eq!(OptionKeyword::from_dsl(k.dsl()), Some(k));
        }
        assert_eq!(OptionKeyword::from_dsl("ResultPath"), None);
    }

    #[test]
    fn places_and_repetition() {
        use OptionKeyword as K;
        let machine: Vec<&str> = OptionKeyword::machine_settings().map(K::dsl).collect();
        assert_eq!(machine, ["comment", "timeout", "version", "query_language"]);
        let rule: Vec<K> = OptionKeyword::all()
            .filter(|k| k.is_rule_option())
            .collect();
        assert_eq!(rule, [K::Comment, K::Assign, K::Output]);
        assert!(!K::Version.is_state_option());
        let repeated: Vec<K> = OptionKeyword::all().filter(|k| k.is_repeatable()).collect();
        assert_eq!(repeated, [K::Retry, K::Catch, K::Branch]);
        assert_eq!(K::Items.asl_field(), "ItemsPath");
        assert_eq!(K::Timeout.value(), KeywordValue::Duration);
    }
}
