//! One broken definition per validation rule: each test checks the exact location and the
//! message (or its distinctive part) of the diagnostic the rule produces.

use serde_json::{json, Value};
use stepfn_asl::{Diagnostic, DiagnosticKind, StateMachine};

/// Every diagnostic for `def`; panics if the definition is accepted.
fn diags(def: &Value) -> Vec<Diagnostic> {
    match StateMachine::from_json(def) {
        Ok(_) => panic!("expected the definition to be rejected: {def}"),
        Err(d) => d,
    }
}

/// The diagnostic at `location`; panics (listing all of them) if there is none.
fn at(def: &Value, location: &str) -> Diagnostic {
    let all = diags(def);
    match all.iter().find(|d| d.location.to_string() == location) {
        Some(d) => d.clone(),
        None => panic!(
            "no diagnostic at `{location}`; got:\n{}",
            all.iter()
                .map(|d| format!("  {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Asserts a diagnostic at `location` whose message contains `message`.
#[track_caller]
fn expect(def: &Value, location: &str, message: &str) -> Diagnostic {
    let d = at(def, location);
    assert!(
        d.message.contains(message),
        "message at `{location}` was `{}`, expected it to contain `{message}`",
        d.message
    );
    d
}

#[track_caller]
fn help(d: &Diagnostic, part: &str) {
    let h = d.help.as_deref().unwrap_or_default();
    assert!(
        h.contains(part),
        "help was `{h}`, expected it to contain `{part}`"
    );
}

/// A one-state machine around `state`, named `A`.
fn one(state: Value) -> Value {
    json!({"StartAt": "A", "States": {"A": state}})
}

/// A Task named `T` with the given Retry and Catch, followed by a Fail `Oops` for the catchers.
fn task_with(retry: Value, catch: Value) -> Value {
    json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Retry": retry, "Catch": catch, "End": true},
        "Oops": {"Type": "Fail", "Error": "Oops"}
    }})
}

/// A Choice named `C` with the given rules, leading to `Yes` / `No`.
fn choice_with(choices: Value) -> Value {
    json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": choices, "Default": "No"},
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Succeed"}
    }})
}

fn accepted(def: &Value) {
    if let Err(d) = StateMachine::from_json(def) {
        panic!(
            "expected acceptance, got: {}",
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}

// ---- targets and scopes ----

#[test]
fn start_at_names_a_missing_state() {
    let def = json!({"StartAt": "Strat", "States": {"Start": {"Type": "Succeed"}}});
    let d = expect(
        &def,
        "StartAt",
        "`StartAt` names the state `Strat`, which does not exist in this scope",
    );
    assert_eq!(d.kind, DiagnosticKind::UnknownState);
    help(&d, "did you mean `Start`?");
}

#[test]
fn next_names_a_missing_state() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Chek"}, "Check": {"Type": "Succeed"}}});
    let d = expect(
        &def,
        "States.A.Next",
        "`Next` names the state `Chek`, which does not exist in this scope",
    );
    help(&d, "did you mean `Check`?");
}

#[test]
fn default_names_a_missing_state() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "Yes"}], "Default": "Nope"},
        "Yes": {"Type": "Succeed"}
    }});
    expect(&def, "States.C.Default", "`Default` names the state `Nope`");
}

#[test]
fn choice_rule_next_names_a_missing_state() {
    let def = choice_with(json!([{"Variable": "$.x", "IsPresent": true, "Next": "Yess"}]));
    let d = expect(
        &def,
        "States.C.Choices[0].Next",
        "`Choices[0].Next` names the state `Yess`",
    );
    help(&d, "did you mean `Yes`?");
}

#[test]
fn catch_next_names_a_missing_state() {
    let def = task_with(
        json!([]),
        json!([{"ErrorEquals": ["States.ALL"], "Next": "Oups"}]),
    );
    let d = expect(
        &def,
        "States.T.Catch[0].Next",
        "`Catch[0].Next` names the state `Oups`",
    );
    help(&d, "did you mean `Oops`?");
}

#[test]
fn next_cannot_jump_into_a_parallel_branch() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Inner"},
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": true}}}], "End": true}
    }});
    let d = expect(
        &def,
        "States.A.Next",
        "which is defined in another scope (`States.P.Branches[0].States`)",
    );
    help(
        &d,
        "cannot jump into or out of a Parallel branch or a Map processor",
    );
}

#[test]
fn next_cannot_jump_out_of_a_map_processor() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "Done"}}}, "Next": "Done"},
        "Done": {"Type": "Succeed"}
    }});
    expect(
        &def,
        "States.M.ItemProcessor.States.Inner.Next",
        "`Done`, which is defined in another scope (`States`)",
    );
}

#[test]
fn branch_start_at_names_a_missing_state() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"Bee": {"Type": "Succeed"}}}], "End": true}
    }});
    expect(
        &def,
        "States.P.Branches[0].StartAt",
        "`StartAt` names the state `B`",
    );
}

#[test]
fn start_at_cannot_be_empty() {
    let def = json!({"StartAt": "", "States": {"A": {"Type": "Succeed"}}});
    expect(&def, "StartAt", "`StartAt` cannot be empty");
}

#[test]
fn states_is_required() {
    expect(
        &json!({"StartAt": "A"}),
        "(root)",
        "missing the required field `States`",
    );
}

// ---- graph ----

#[test]
fn unreachable_state() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}});
    let d = expect(&def, "States.Orphan", "the state `Orphan` is unreachable");
    assert_eq!(d.kind, DiagnosticKind::Unreachable);
}

#[test]
fn no_terminal_state_reachable() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}});
    let d = expect(&def, "States.A", "no path from the state `A` ever ends");
    assert_eq!(d.kind, DiagnosticKind::NoTerminal);
    expect(&def, "States.B", "no path from the state `B` ever ends");
}

#[test]
fn loop_inside_a_branch_never_ends() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Wait", "Seconds": 1, "Next": "X"}}}
    ]}}});
    expect(
        &def,
        "States.P.Branches[0].States.X",
        "no path from the state `X` ever ends",
    );
}

// ---- transitions ----

#[test]
fn next_and_end_together() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}});
    expect(
        &def,
        "States.A.End",
        "a Pass state has both `Next` and `End`; keep exactly one",
    );
}

#[test]
fn neither_next_nor_end() {
    expect(
        &one(json!({"Type": "Task", "Resource": "arn:x"})),
        "States.A",
        "a Task state needs `Next` or `End: true`",
    );
}

#[test]
fn succeed_cannot_have_next() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed", "Next": "B"}, "B": {"Type": "Succeed"}}});
    let d = expect(&def, "States.A.Next", "a Succeed state cannot have `Next`");
    help(&d, "always ends its branch");
}

#[test]
fn choice_cannot_have_end() {
    let def = choice_with(json!([{"Variable": "$.x", "IsPresent": true, "Next": "Yes"}]));
    let mut def = def;
    def["States"]["C"]["End"] = json!(true);
    let d = expect(&def, "States.C.End", "a Choice state cannot have `End`");
    help(&d, "`Default`");
}

// ---- fields ----

#[test]
fn unknown_field_is_suggested() {
    let d = expect(
        &one(json!({"Type": "Pass", "Reslt": 1, "End": true})),
        "States.A.Reslt",
        "unknown field `Reslt` in a Pass state",
    );
    assert_eq!(d.kind, DiagnosticKind::Schema);
    help(&d, "did you mean `Result`?");
}

#[test]
fn unknown_field_lists_the_valid_ones() {
    let d = expect(
        &one(json!({"Type": "Succeed", "Zzzzzz": 1})),
        "States.A.Zzzzzz",
        "unknown field `Zzzzzz` in a Succeed state",
    );
    help(
        &d,
        "expected one of `Type`, `Comment`, `QueryLanguage`, `InputPath`, `OutputPath`",
    );
}

#[test]
fn field_of_another_state_type() {
    expect(
        &one(json!({"Type": "Pass", "Resource": "arn:x", "End": true})),
        "States.A.Resource",
        "unknown field `Resource` in a Pass state",
    );
}

#[test]
fn unknown_top_level_field() {
    let def = json!({"StartAt": "A", "TimeoutSecond": 5, "States": {"A": {"Type": "Succeed"}}});
    let d = expect(
        &def,
        "TimeoutSecond",
        "unknown field `TimeoutSecond` in the top level",
    );
    help(&d, "did you mean `TimeoutSeconds`?");
}

#[test]
fn unknown_state_type() {
    let d = expect(
        &one(json!({"Type": "Tsk", "End": true})),
        "States.A.Type",
        "unknown state type `Tsk`",
    );
    help(&d, "did you mean `Task`?");
}

#[test]
fn missing_type() {
    expect(
        &one(json!({"End": true})),
        "States.A",
        "state `A` is missing the required field `Type`",
    );
}

#[test]
fn task_needs_a_resource() {
    expect(
        &one(json!({"Type": "Task", "End": true})),
        "States.A",
        "a Task state is missing the required field `Resource`",
    );
}

// ---- Retry and Catch ----

#[test]
fn states_all_must_be_alone() {
    let def = task_with(
        json!([{"ErrorEquals": ["Custom", "States.ALL"]}]),
        json!([]),
    );
    expect(
        &def,
        "States.T.Retry[0].ErrorEquals[1]",
        "`States.ALL` must appear alone in `ErrorEquals`",
    );
}

#[test]
fn states_all_must_be_last() {
    let def = task_with(
        json!([]),
        json!([{"ErrorEquals": ["States.ALL"], "Next": "Oops"}, {"ErrorEquals": ["Custom"], "Next": "Oops"}]),
    );
    expect(
        &def,
        "States.T.Catch[0].ErrorEquals[0]",
        "`States.ALL` must be in the last element of `Catch`",
    );
}

#[test]
fn error_equals_cannot_be_empty() {
    let def = task_with(json!([{"ErrorEquals": []}]), json!([]));
    expect(
        &def,
        "States.T.Retry[0].ErrorEquals",
        "`ErrorEquals` must name at least one error",
    );
}

#[test]
fn unknown_predefined_error() {
    let def = task_with(json!([{"ErrorEquals": ["States.Timout"]}]), json!([]));
    let d = expect(
        &def,
        "States.T.Retry[0].ErrorEquals[0]",
        "unknown predefined error `States.Timout`",
    );
    help(&d, "did you mean `States.Timeout`?");
}

#[test]
fn interval_seconds_at_least_one() {
    let def = task_with(
        json!([{"ErrorEquals": ["E"], "IntervalSeconds": 0}]),
        json!([]),
    );
    let d = expect(
        &def,
        "States.T.Retry[0].IntervalSeconds",
        "`IntervalSeconds` must be between 1 and",
    );
    assert_eq!(d.kind, DiagnosticKind::Range);
}

#[test]
fn max_attempts_not_negative() {
    let def = task_with(
        json!([{"ErrorEquals": ["E"], "MaxAttempts": -1}]),
        json!([]),
    );
    expect(
        &def,
        "States.T.Retry[0].MaxAttempts",
        "`MaxAttempts` must be a non-negative integer, found `-1`",
    );
}

#[test]
fn backoff_rate_at_least_one() {
    let def = task_with(
        json!([{"ErrorEquals": ["E"], "BackoffRate": 0.5}]),
        json!([]),
    );
    expect(
        &def,
        "States.T.Retry[0].BackoffRate",
        "`BackoffRate` must be a number of at least 1.0, found 0.5",
    );
}

#[test]
fn max_delay_seconds_at_least_one() {
    let def = task_with(
        json!([{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}]),
        json!([]),
    );
    expect(
        &def,
        "States.T.Retry[0].MaxDelaySeconds",
        "`MaxDelaySeconds` must be between 1 and",
    );
}

#[test]
fn jitter_strategy_full_or_none() {
    let def = task_with(
        json!([{"ErrorEquals": ["E"], "JitterStrategy": "PARTIAL"}]),
        json!([]),
    );
    expect(
        &def,
        "States.T.Retry[0].JitterStrategy",
        "unknown `JitterStrategy` `PARTIAL`; expected `FULL` or `NONE`",
    );
}

#[test]
fn catcher_needs_next() {
    let def = task_with(json!([]), json!([{"ErrorEquals": ["States.ALL"]}]));
    expect(
        &def,
        "States.T.Catch[0]",
        "a catcher is missing the required field `Next`",
    );
}

// ---- Choice rules ----

#[test]
fn operator_literal_of_the_wrong_type() {
    let def =
        choice_with(json!([{"Variable": "$.total", "NumericGreaterThan": "1000", "Next": "Yes"}]));
    expect(
        &def,
        "States.C.Choices[0].NumericGreaterThan",
        "`NumericGreaterThan` must be a number, found \"1000\"",
    );
}

#[test]
fn nested_rule_cannot_have_next() {
    let def = choice_with(
        json!([{"And": [{"Variable": "$.x", "IsPresent": true, "Next": "Yes"}], "Next": "Yes"}]),
    );
    expect(
        &def,
        "States.C.Choices[0].And[0].Next",
        "a rule nested in `And`, `Or` or `Not` cannot have `Next`",
    );
}

#[test]
fn and_cannot_be_empty() {
    let def = choice_with(json!([{"And": [], "Next": "Yes"}]));
    expect(
        &def,
        "States.C.Choices[0].And",
        "`And` must hold at least one rule",
    );
}

#[test]
fn top_level_rule_needs_next() {
    let def = choice_with(json!([{"Variable": "$.x", "IsPresent": true}]));
    expect(&def, "States.C.Choices[0]", "a choice rule needs `Next`");
}

#[test]
fn unknown_comparison_operator() {
    let def = choice_with(json!([{"Variable": "$.x", "StringEqual": "a", "Next": "Yes"}]));
    let d = expect(
        &def,
        "States.C.Choices[0].StringEqual",
        "unknown field `StringEqual` in a choice rule",
    );
    help(&d, "did you mean `StringEquals`?");
}

#[test]
fn choices_cannot_be_empty() {
    expect(
        &choice_with(json!([])),
        "States.C.Choices",
        "`Choices` must hold at least one rule",
    );
}

#[test]
fn timestamp_operator_accepts_any_string() {
    // AWS accepts this; such a rule simply never matches.
    accepted(&choice_with(
        json!([{"Variable": "$.t", "TimestampEquals": "yesterday", "Next": "Yes"}]),
    ));
}

// ---- paths, templates, intrinsic functions ----

#[test]
fn invalid_input_path() {
    let d = expect(
        &one(json!({"Type": "Pass", "InputPath": "$.a[", "End": true})),
        "States.A.InputPath",
        "invalid JSONPath `$.a[`",
    );
    assert_eq!(d.kind, DiagnosticKind::Expression);
}

#[test]
fn result_path_must_be_a_reference_path() {
    expect(
        &one(json!({"Type": "Pass", "ResultPath": "$.a[*]", "End": true})),
        "States.A.ResultPath",
        "`$.a[*]` is not a reference path",
    );
}

#[test]
fn invalid_path_in_a_payload_template() {
    expect(
        &one(json!({"Type": "Pass", "Parameters": {"x": {"y.$": "$.a b"}}, "End": true})),
        "States.A.Parameters.x.y.$",
        "invalid JSONPath `$.a b`",
    );
}

#[test]
fn invalid_choice_variable() {
    let def = choice_with(json!([{"Variable": "total", "IsPresent": true, "Next": "Yes"}]));
    expect(
        &def,
        "States.C.Choices[0].Variable",
        "a path must start with `$`",
    );
}

#[test]
fn intrinsic_function_problems_land_on_their_key() {
    // The message comes from `IntrinsicCall::parse`; this test pins where it is reported.
    let def = one(
        json!({"Type": "Pass", "Parameters": {"msg.$": "States.Nope('a')", "n": {"sum.$": "States.MathAdd(1)"}}, "End": true}),
    );
    let d = expect(&def, "States.A.Parameters.msg.$", "`States.Nope`");
    assert_eq!(d.kind, DiagnosticKind::Expression);
    expect(&def, "States.A.Parameters.n.sum.$", "takes 2 arguments");
    let fail = one(json!({"Type": "Fail", "ErrorPath": "States.Format()"}));
    at(&fail, "States.A.ErrorPath");
}

#[test]
fn invalid_timestamp_literal() {
    expect(
        &one(json!({"Type": "Wait", "Timestamp": "2024-08-18 17:33:00", "End": true})),
        "States.A.Timestamp",
        "is not an RFC 3339 timestamp",
    );
}

// ---- query languages ----

#[test]
fn jsonata_machine_cannot_hold_a_jsonpath_state() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}});
    expect(
        &def,
        "States.A.QueryLanguage",
        "a JSONPath state cannot appear in a machine whose top-level `QueryLanguage` is JSONata",
    );
}

#[test]
fn jsonpath_field_in_a_jsonata_state() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.x", "End": true}}});
    expect(
        &def,
        "States.A.InputPath",
        "`InputPath` is a JSONPath field and is not allowed in a Pass state that uses JSONata",
    );
}

#[test]
fn jsonata_field_in_a_jsonpath_state() {
    let def = one(json!({"Type": "Task", "Resource": "arn:x", "Arguments": {"a": 1}, "End": true}));
    expect(
        &def,
        "States.A.Arguments",
        "`Arguments` is a JSONata field and is not allowed in a Task state that uses JSONPath",
    );
}

#[test]
fn jsonpath_rule_in_a_jsonata_choice() {
    let mut def = choice_with(json!([{"Variable": "$.x", "IsPresent": true, "Next": "Yes"}]));
    def["QueryLanguage"] = json!("JSONata");
    let d = expect(
        &def,
        "States.C.Choices[0].Variable",
        "`Variable` is a JSONPath field and is not allowed in a JSONata choice rule",
    );
    help(&d, "`\"Condition\": \"{% … %}\"`");
}

#[test]
fn condition_in_a_jsonpath_choice() {
    let def = choice_with(json!([{"Condition": "{% $states.input.x %}", "Next": "Yes"}]));
    expect(
        &def,
        "States.C.Choices[0].Condition",
        "`Condition` is a JSONata field and is not allowed in a JSONPath choice rule",
    );
}

#[test]
fn unknown_query_language() {
    let def =
        json!({"QueryLanguage": "JMESPath", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
    expect(&def, "QueryLanguage", "unknown query language `JMESPath`");
}

// ---- names and sizes ----

#[test]
fn state_name_longer_than_80_characters() {
    let long = "N".repeat(81);
    let def = json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}});
    expect(
        &def,
        &format!("States.{long}"),
        "is 81 characters long; at most 80 are allowed",
    );
}

#[test]
fn state_names_are_unique_across_the_machine() {
    let def = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        ]},
        "Done": {"Type": "Succeed"}
    }});
    let d = expect(
        &def,
        "States.Done",
        "the state name `Done` is already used at `States.Work.Branches[0].States.Done`",
    );
    assert_eq!(d.kind, DiagnosticKind::DuplicateState);
}

#[test]
fn definition_larger_than_one_megabyte() {
    let def = one(json!({"Type": "Pass", "Result": "x".repeat(1024 * 1024), "End": true}));
    expect(
        &def,
        "(root)",
        "Step Functions accepts at most 1048576 bytes",
    );
    let text = def.to_string();
    let err = StateMachine::from_json_str(&text).unwrap_err();
    assert_eq!(err[0].location.to_string(), "(root)");
    assert!(
        err[0].message.contains("at most 1048576 bytes"),
        "{}",
        err[0].message
    );
}

// ---- variables ----

#[test]
fn assign_variable_name_must_be_identifier_like() {
    expect(
        &one(json!({"Type": "Pass", "Assign": {"order-id": 1}, "End": true})),
        "States.A.Assign.order-id",
        "invalid variable name `order-id`",
    );
}

#[test]
fn assign_variable_name_cannot_start_with_a_digit() {
    expect(
        &one(json!({"Type": "Pass", "Assign": {"1st.$": "$.x"}, "End": true})),
        "States.A.Assign.1st.$",
        "invalid variable name `1st`",
    );
}

#[test]
fn assign_states_is_reserved() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"states": 1}, "End": true}}});
    expect(
        &def,
        "States.A.Assign.states",
        "`states` is a reserved variable name",
    );
}

#[test]
fn assign_dollar_key_needs_a_path() {
    expect(
        &one(json!({"Type": "Pass", "Assign": {"total.$": "total"}, "End": true})),
        "States.A.Assign.total.$",
        "a path must start with `$`",
    );
    expect(
        &one(json!({"Type": "Pass", "Assign": {"total.$": 3}, "End": true})),
        "States.A.Assign.total.$",
        "must be a string holding a path or an intrinsic function",
    );
}

#[test]
fn catcher_assign_is_checked_too() {
    let def = task_with(
        json!([]),
        json!([{"ErrorEquals": ["States.ALL"], "Next": "Oops", "Assign": {"bad name": 1}}]),
    );
    expect(
        &def,
        "States.T.Catch[0].Assign.bad name",
        "invalid variable name `bad name`",
    );
}

// ---- Map ----

#[test]
fn item_reader_needs_distributed_mode() {
    let def = one(json!({"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}));
    let d = expect(
        &def,
        "States.A.ItemReader",
        "`ItemReader` is only allowed in a Map state in DISTRIBUTED mode",
    );
    help(&d, "\"Mode\": \"DISTRIBUTED\"");
}

#[test]
fn result_writer_and_item_batcher_need_distributed_mode() {
    let def = one(json!({"Type": "Map", "End": true,
        "ItemBatcher": {"MaxItemsPerBatch": 10},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}));
    expect(
        &def,
        "States.A.ItemBatcher",
        "`ItemBatcher` is only allowed",
    );
    expect(
        &def,
        "States.A.ResultWriter",
        "`ResultWriter` is only allowed",
    );
}

#[test]
fn distributed_map_accepts_its_fields() {
    accepted(&one(json!({"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ToleratedFailurePercentage": 5,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})));
}

#[test]
fn legacy_iterator_with_processor_config_is_accepted() {
    accepted(&one(json!({"Type": "Map", "End": true,
        "Iterator": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})));
}

#[test]
fn tolerated_failure_percentage_range() {
    let def = one(
        json!({"Type": "Map", "End": true, "ToleratedFailurePercentage": 101,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    );
    expect(
        &def,
        "States.A.ToleratedFailurePercentage",
        "must be a number between 0 and 100",
    );
}

// ---- Task, Wait, Fail ----

#[test]
fn heartbeat_must_be_below_timeout() {
    let def = one(
        json!({"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 10, "HeartbeatSeconds": 10, "End": true}),
    );
    expect(
        &def,
        "States.A.HeartbeatSeconds",
        "`HeartbeatSeconds` (10) must be smaller than `TimeoutSeconds` (10)",
    );
}

#[test]
fn wait_with_two_durations() {
    expect(
        &one(json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true})),
        "States.A",
        "a Wait state needs exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`; found 2",
    );
}

#[test]
fn wait_without_a_duration() {
    expect(
        &one(json!({"Type": "Wait", "End": true})),
        "States.A",
        "found 0",
    );
}

#[test]
fn fail_error_and_error_path_are_exclusive() {
    expect(
        &one(json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"})),
        "States.A.ErrorPath",
        "`Error` and `ErrorPath` cannot both be given",
    );
}

#[test]
fn fail_cause_and_cause_path_are_exclusive() {
    expect(
        &one(json!({"Type": "Fail", "Cause": "c", "CausePath": "$.c"})),
        "States.A.CausePath",
        "`Cause` and `CausePath` cannot both be given",
    );
}

// ---- all at once ----

#[test]
fn every_problem_is_reported_at_once() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1},
        "B": {"Type": "Wait", "End": true},
        "C": {"Type": "Task", "Resource": "arn:x", "End": true, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0}]}
    }});
    let all: Vec<String> = diags(&def).iter().map(|d| d.location.to_string()).collect();
    for loc in [
        "States.A.Bogus",
        "States.A.Next",
        "States.B",
        "States.C.Retry[0].BackoffRate",
    ] {
        assert!(all.iter().any(|l| l == loc), "missing `{loc}` in {all:?}");
    }
    // `C` looks unreachable only because `A.Next` is wrong: that follow-on report is dropped.
    assert!(!all.iter().any(|l| l == "States.C"), "{all:?}");
}

#[test]
fn follow_on_graph_errors_are_dropped() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Chek"},
        "Check": {"Type": "Succeed"}
    }});
    let all: Vec<String> = diags(&def).iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("States.A.Next"), "{all:?}");
    // Without a broken transition, unreachable states are still reported.
    let def =
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}});
    let all: Vec<String> = diags(&def).iter().map(|d| d.location.to_string()).collect();
    assert_eq!(all, ["States.B"]);
}

#[test]
fn a_broken_transition_out_of_an_unreachable_state_hides_nothing() {
    // `C` is unreachable and its `Next` is wrong; `B` is unreachable whatever `C.Next` meant:
    // all three problems at once.
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Succeed"},
        "B": {"Type": "Succeed"},
        "C": {"Type": "Pass", "Next": "Nowhere"}
    }});
    let mut all: Vec<String> = diags(&def).iter().map(|d| d.location.to_string()).collect();
    all.sort();
    assert_eq!(all, ["States.B", "States.C", "States.C.Next"]);
}

#[test]
fn messages_follow_rustc_style() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1}, "B": {"Type": "Wait", "End": true}}});
    for d in diags(&def) {
        let first = d.message.chars().next().unwrap_or('a');
        assert!(
            !first.is_uppercase(),
            "message starts uppercase: {}",
            d.message
        );
        assert!(
            !d.message.ends_with('.'),
            "message ends with a period: {}",
            d.message
        );
    }
}

// ---- robustness ----

/// Builds every document obtained by replacing one value of `base` (at any depth) with `with`.
fn replacements(base: &Value, with: &Value, out: &mut Vec<Value>) {
    fn walk(
        root: &Value,
        path: &mut Vec<PathStep>,
        cur: &Value,
        with: &Value,
        out: &mut Vec<Value>,
    ) {
        let mut doc = root.clone();
        set(&mut doc, path, with.clone());
        out.push(doc);
        match cur {
            Value::Object(m) => {
                for (k, v) in m {
                    path.push(PathStep::Key(k.clone()));
                    walk(root, path, v, with, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    walk(root, path, v, with, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    walk(base, &mut Vec::new(), base, with, out);
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn set(doc: &mut Value, path: &[PathStep], v: Value) {
    let mut cur = doc;
    for step in path {
        cur = match step {
            PathStep::Key(k) => &mut cur[k.as_str()],
            PathStep::Index(i) => &mut cur[*i],
        };
    }
    *cur = v;
}

#[test]
fn no_json_input_panics_the_reader() {
    let rich = json!({
        "Comment": "every state type", "StartAt": "P", "TimeoutSeconds": 60,
        "States": {
            "P": {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": [1, {"c.$": "$$.Execution.Id"}]}, "ResultPath": "$.p", "Assign": {"v": 1}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.s", "StringMatches": "a*"}}], "Next": "W"},
                {"Variable": "$.t", "TimestampLessThanPath": "$.u", "Next": "Par"}
            ], "Default": "M"},
            "W": {"Type": "Wait", "Seconds": 0, "Next": "Par"},
            "Par": {"Type": "Parallel", "Next": "M", "Branches": [{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}],
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.5, "JitterStrategy": "FULL"}]},
            "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "Next": "T",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}},
            "T": {"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 10, "HeartbeatSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}], "End": true},
            "F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "c"}
        }
    });
    accepted(&rich);
    let weird = [
        json!(null),
        json!([]),
        json!({}),
        json!(""),
        json!(-1),
        json!(1.5e300),
        json!(u64::MAX),
        json!(true),
        json!([null, {"Type": "Pass"}]),
        json!("$.a[\u{3000}0]"),
        json!("{% %}"),
        json!("States.Format("),
        json!("$..[?(@.x"),
        json!("\u{1F600}"),
    ];
    let mut docs = Vec::new();
    for w in &weird {
        replacements(&rich, w, &mut docs);
    }
    // Whole documents of the wrong shape, and deep nesting.
    docs.extend([
        json!(null),
        json!([]),
        json!([1, 2]),
        json!("x"),
        json!(0),
        json!({"States": []}),
        json!({"StartAt": null, "States": null}),
    ]);
    let mut deep = json!({"Type": "Pass", "End": true});
    for i in 0..40 {
        deep = json!({"Type": "Parallel", "End": true, "Branches": [{"StartAt": format!("S{i}"), "States": {format!("S{i}"): deep}}]});
    }
    docs.push(one(deep));
    let mut nested = json!(1);
    for _ in 0..100 {
        nested = json!({"k": [nested]});
    }
    docs.push(one(
        json!({"Type": "Pass", "Parameters": nested, "End": true}),
    ));
    assert!(docs.len() > 500, "{}", docs.len());
    for doc in &docs {
        // Any outcome is fine as long as it is a value, not a panic.
        let _ = StateMachine::from_json(doc);
        let _ = StateMachine::from_json_str(&doc.to_string());
    }
    for text in [
        "",
        "{",
        "[[[[",
        "null",
        "{\"StartAt\":",
        "\u{0}",
        "{\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}",
    ] {
        assert!(StateMachine::from_json_str(text).is_err());
    }
}

#[test]
fn a_map_label_follows_the_naming_rule() {
    let map = |label: &str| {
        one(json!({"Type": "Map", "End": true, "Label": label,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}))
    };
    accepted(&map("batch-1"));
    expect(
        &map(&"x".repeat(41)),
        "States.A.Label",
        "41 characters, more than 40",
    );
    expect(&map("a b"), "States.A.Label", "not a valid label");
    expect(&map(""), "States.A.Label", "empty");
}
