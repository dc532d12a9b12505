//! A Wait whose SecondsPath or TimestampPath value is unusable fails the execution with
//! `States.Runtime` and a cause naming the path and the value, as Step Functions words it:
//! a negative number, a value that is not a whole number, a string that is not a timestamp.

use serde_json::{json, Value};
use stepfn::asl::StateMachine;
use stepfn::{ExecutionOptions, ExecutionStatus, Interpreter, TaskRegistry};

async fn failure(wait: Value, input: Value) -> (String, String) {
    let mut state = wait;
    state["Type"] = json!("Wait");
    state["End"] = json!(true);
    let def = json!({"StartAt": "W", "States": {"W": state}});
    let machine = StateMachine::from_json(&def).expect("a valid definition");
    let r = Interpreter::new(machine, "Waits", TaskRegistry::new())
        .execute(input, ExecutionOptions::default())
        .await;
    assert_eq!(r.status, ExecutionStatus::Failed, "{r:?}");
    (r.error.unwrap_or_default(), r.cause.unwrap_or_default())
}

#[tokio::test(start_paused = true)]
async fn seconds_path_values_that_are_not_a_duration() {
    let seconds = json!({"SecondsPath": "$.s"});
    let cases = [
        (
            json!(-1),
            "The SecondsPath parameter references a negative value: $.s == -1",
        ),
        (
            json!(1.5),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5",
        ),
        (
            json!("10"),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == \"10\"",
        ),
        (
            json!(null),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == null",
        ),
    ];
    for (value, cause) in cases {
        let (error, got) = failure(seconds.clone(), json!({"s": value})).await;
        assert_eq!(error, "States.Runtime");
        assert!(got.ends_with(cause), "for {value}: {got}");
    }
}

#[tokio::test(start_paused = true)]
async fn timestamp_path_values_that_are_not_a_timestamp() {
    let stamp = json!({"TimestampPath": "$.t"});
    let prefix = "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ";
    let cases = [
        (json!("tomorrow"), "$.t == tomorrow"),
        (json!("2026-13-01T00:00:00Z"), "$.t == 2026-13-01T00:00:00Z"),
        (json!(5), "$.t == 5"),
    ];
    for (value, tail) in cases {
        let (error, got) = failure(stamp.clone(), json!({"t": value})).await;
        assert_eq!(error, "States.Runtime");
        assert!(
            got.ends_with(&format!("{prefix}{tail}")),
            "for {value}: {got}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn usable_values_wait() {
    for (wait, input) in [
        (json!({"SecondsPath": "$.s"}), json!({"s": 0})),
        (json!({"SecondsPath": "$.s"}), json!({"s": 3})),
        (
            json!({"TimestampPath": "$.t"}),
            json!({"t": "2020-01-01T00:00:00Z"}),
        ),
    ] {
        let mut state = wait;
        state["Type"] = json!("Wait");
        state["End"] = json!(true);
        let def = json!({"StartAt": "W", "States": {"W": state}});
        let machine = StateMachine::from_json(&def).unwrap();
        let r = Interpreter::new(machine, "Waits", TaskRegistry::new())
            .execute(input.clone(), ExecutionOptions::default())
            .await;
        assert_eq!(r.status, ExecutionStatus::Succeeded, "{input}: {r:?}");
    }
}
