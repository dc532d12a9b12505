//! JSONata states and workflow variables, end to end through the interpreter.
#![cfg(feature = "jsonata")]

use serde_json::{json, Value};
use stepfn::asl::StateMachine;
use stepfn::{
    ExecutionOptions, ExecutionResult, ExecutionStatus, Interpreter, TaskError, TaskRegistry,
};

fn run_with(def: Value, input: Value, tasks: TaskRegistry) -> ExecutionResult {
    let machine = StateMachine::from_json(&def).expect("valid definition");
    let interpreter = Interpreter::new(machine, "Test", tasks);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(interpreter.execute(input, ExecutionOptions::default()))
}

fn run(def: Value, input: Value) -> ExecutionResult {
    run_with(def, input, TaskRegistry::new())
}

fn output(r: &ExecutionResult) -> &Value {
    assert_eq!(
        r.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        r.error,
        r.cause
    );
    r.output.as_ref().unwrap()
}

fn failed(r: &ExecutionResult) -> (&str, &str) {
    assert_eq!(r.status, ExecutionStatus::Failed, "output {:?}", r.output);
    (
        r.error.as_deref().unwrap_or(""),
        r.cause.as_deref().unwrap_or(""),
    )
}

fn kinds(r: &ExecutionResult) -> Vec<&str> {
    r.history.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn output_nested_expressions() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
            "Output": {"sum": "{% $sum($states.input.n) %}", "list": [1, "{% $count($states.input.n) %}", {"x": "{% $states.input.s & '!' %}"}],
                       "literal": " {% not an expression %}"}}}}),
        json!({"n": [1, 2, 3], "s": "hi"}),
    );
    assert_eq!(
        output(&r),
        &json!({"sum": 6, "list": [1, 3, {"x": "hi!"}], "literal": " {% not an expression %}"})
    );
}

#[test]
fn evaluation_order_sees_variables_as_on_entry() {
    // Assign and Output of one state read the values from before the state.
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"}, "Output": {"x": "{% $x %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": true}}}),
        json!({}),
    );
    assert_eq!(output(&r), &json!({"x": 2, "y": 1}));
}

#[test]
fn mixed_query_languages_share_variables() {
    let r = run(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"a.$": "$.v"}, "Next": "B"},
            "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"b": "{% $a * 10 %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}, "End": true}}}),
        json!({"v": 4}),
    );
    assert_eq!(output(&r), &json!({"a": 4, "b": 40}));
}

#[test]
fn parallel_branches_read_outer_variables_and_keep_their_own() {
    let branch = |v: i64| {
        let (p, q) = (format!("P{v}"), format!("Q{v}"));
        json!({"StartAt": p, "States": {
            p: {"Type": "Pass", "Assign": {"inner": v}, "Next": q},
            q: {"Type": "Pass", "Output": {"outer": "{% $outer %}", "inner": "{% $inner %}"}, "End": true}}})
    };
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "Par"},
            "Par": {"Type": "Parallel", "Branches": [branch(1), branch(2)], "Next": "After"},
            "After": {"Type": "Pass", "Output": {"r": "{% $states.input %}", "innerSeen": "{% $exists($inner) %}"}, "End": true}}}),
        json!({}),
    );
    assert_eq!(
        output(&r),
        &json!({"r": [{"outer": "o", "inner": 1}, {"outer": "o", "inner": 2}], "innerSeen": false})
    );
}

#[test]
fn map_iterations_are_scoped() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"k": 10}, "Next": "M"},
            "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
                  "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}"},
                  "ItemProcessor": {"StartAt": "I", "States": {
                      "I": {"Type": "Pass", "Assign": {"k": "{% $k + $states.input.v %}"}, "Next": "J"},
                      "J": {"Type": "Pass", "Output": "{% [$k, $states.input.i] %}", "End": true}}},
                  "Assign": {"count": "{% $count($states.result) %}"},
                  "Next": "B"},
            "B": {"Type": "Pass", "Output": {"r": "{% $states.input %}", "k": "{% $k %}", "count": "{% $count %}"}, "End": true}}}),
        json!({"xs": [1, 2]}),
    );
    assert_eq!(
        output(&r),
        &json!({"r": [[11, 0], [12, 1]], "k": 10, "count": 2})
    );
}

#[test]
fn task_arguments_result_and_catch() {
    let mut tasks = TaskRegistry::new();
    tasks.register_json("arn:aws:states:::echo", |v: Value| async move {
        Ok(json!({"got": v}))
    });
    tasks.register_json("arn:aws:states:::boom", |_v: Value| async move {
        Err(TaskError::new("Boom", "it broke"))
    });
    let r = run_with(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::echo", "Arguments": {"x": "{% $states.input.a %}"},
                  "TimeoutSeconds": "{% 5 %}",
                  "Assign": {"saved": "{% $states.result.got.x %}"}, "Output": "{% $states.result %}", "Next": "U"},
            "U": {"Type": "Task", "Resource": "arn:aws:states:::boom",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err": "{% $states.errorOutput.Error %}"},
                             "Output": {"in": "{% $states.input %}", "cause": "{% $states.errorOutput.Cause %}"}, "Next": "V"}],
                  "End": true},
            "V": {"Type": "Pass", "Output": {"o": "{% $states.input %}", "saved": "{% $saved %}", "err": "{% $err %}"}, "End": true}}}),
        json!({"a": 7}),
        tasks,
    );
    assert_eq!(
        output(&r),
        &json!({"o": {"in": {"got": {"x": 7}}, "cause": "it broke"}, "saved": 7, "err": "Boom"})
    );
}

#[test]
fn choice_conditions_and_rule_output() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Output": {"size": "big"}, "Assign": {"which": "rule"}}],
              "Default": "Small", "Assign": {"which": "default"}},
        "Big": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "which": "{% $which %}"}, "End": true},
        "Small": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "which": "{% $which %}"}, "End": true}}});
    assert_eq!(
        output(&run(def.clone(), json!({"n": 11}))),
        &json!({"in": {"size": "big"}, "which": "rule"})
    );
    assert_eq!(
        output(&run(def, json!({"n": 1}))),
        &json!({"in": {"n": 1}, "which": "default"})
    );
}

#[test]
fn choice_condition_must_be_boolean() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"}}}),
        json!({"n": 3}),
    );
    let (error, cause) = failed(&r);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains("Expected 'boolean', but was 'number' for value: 3"),
        "{cause}"
    );
}

#[test]
fn wait_and_fail_expressions() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "F"},
            "F": {"Type": "Fail", "Error": "{% 'Err.' & $states.input.kind %}", "Cause": "{% $string($states.input.s) %}"}}}),
        json!({"s": 2, "kind": "X"}),
    );
    assert_eq!(failed(&r), ("Err.X", "2"));
}

#[test]
fn undefined_result_fails_with_aws_cause() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": {"a": {"b": "{% $states.input.missing %}"}}, "End": true}}}),
        json!({}),
    );
    let (error, cause) = failed(&r);
    assert_eq!(error, "States.QueryEvaluationError");
    assert_eq!(
        cause,
        "An error occurred while executing the state 'A' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/a/b' returned nothing (undefined)."
    );
    assert_eq!(
        kinds(&r),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn type_errors_fail_with_the_jsonata_message() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"v": "{% 'a' + 1 %}"}, "End": true}}}),
        json!({}),
    );
    let (error, cause) = failed(&r);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains(
            "specified for the field 'Assign/v' threw an error during evaluation. T2001:"
        ),
        "{cause}"
    );
}

#[test]
fn malformed_expression_is_a_clear_error_not_a_panic() {
    for src in [
        "{% 1 + %}",
        "{% $states.input[ %}",
        "{% ((( %}",
        "{% } %}",
        "{%%}",
    ] {
        let r = run(
            json!({"QueryLanguage": "JSONata", "StartAt": "Bad", "States": {
                "Bad": {"Type": "Pass", "Output": {"x": src}, "End": true}}}),
            json!({}),
        );
        let (error, cause) = failed(&r);
        assert_eq!(error, "States.QueryEvaluationError", "{src}");
        assert!(
            cause.contains("'Bad'") && cause.contains("'Output/x'"),
            "{src}: {cause}"
        );
    }
}

#[test]
fn query_errors_are_catchable() {
    let mut tasks = TaskRegistry::new();
    tasks.register_json("arn:aws:states:::echo", |v: Value| async move { Ok(v) });
    let r = run_with(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::echo", "Arguments": "{% $nothing %}",
                  "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Output": "{% $states.errorOutput.Error %}", "Next": "D"}],
                  "End": true},
            "D": {"Type": "Succeed"}}}),
        json!({}),
        tasks,
    );
    assert_eq!(output(&r), &json!("States.QueryEvaluationError"));
}

#[test]
fn functions_are_not_results() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% function($x){$x} %}", "End": true}}}),
        json!({}),
    );
    let (_, cause) = failed(&r);
    assert!(
        cause.ends_with("returned an unsupported result type."),
        "{cause}"
    );
}

#[test]
fn aws_extra_functions() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "End": true, "Output": {
                "p": "{% $partition([1,2,3], 2) %}",
                "r": "{% $range(0, 4, 2) %}",
                "h": "{% $hash('a', 'SHA-256') %}",
                "u": "{% $length($uuid()) %}",
                "j": "{% $parse('{\"a\":1}') %}",
                "rnd": "{% $random(1) = $random(1) %}"}}}}),
        json!({}),
    );
    assert_eq!(
        output(&r),
        &json!({"p": [[1, 2], [3]], "r": [0, 2, 4],
                "h": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
                "u": 36, "j": {"a": 1}, "rnd": true})
    );
}

#[test]
fn assignments_over_256_kib_fail() {
    let big = "x".repeat(200 * 1024);
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"a": "{% $states.input.s %}", "b": "{% $states.input.s %}"}, "End": true}}}),
        json!({"s": big}),
    );
    assert_eq!(failed(&r).0, "States.DataLimitExceeded");
}
