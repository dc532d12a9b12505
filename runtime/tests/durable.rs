//! The execution API on every store (see `support/stores.rs`): idempotent start, describe,
//! history pages, list, stop, Express.

#[macro_use]
#[path = "support/stores.rs"]
mod stores;

use serde_json::{json, Value};
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::HistoryQuery;
use stepfn::{Runtime, RuntimeError, TaskRegistry};
use stores::{kinds, wait_for_event, TestStore};

fn machine(v: serde_json::Value) -> StateMachine {
    StateMachine::from_json(&v).unwrap()
}

on_every_store!(
    start_is_idempotent_by_name_and_input,
    stop_aborts_with_an_event,
    history_pages_forward_and_reverse,
);

async fn start_is_idempotent_by_name_and_input(store: TestStore) {
    let rt = store.runtime().await;
    let m = machine(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}}),
    );
    rt.register("M", m, TaskRegistry::new()).unwrap();
    let a = rt.start("M", json!({"a": 1}), Some("x")).await.unwrap();
    let b = rt.start("M", json!({"a": 1}), Some("x")).await.unwrap();
    assert_eq!(a, b);
    let e = rt.start("M", json!({"a": 2}), Some("x")).await.unwrap_err();
    assert!(matches!(e, RuntimeError::ExecutionAlreadyExists(_)));
    assert_eq!(
        rt.list(Some("M"), Some(ExecutionStatus::Running))
            .await
            .unwrap()
            .len(),
        1
    );
    let d = rt.wait(&a).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output(), Some(json!({"a": 1})));
    assert!(rt.start("M", json!({}), Some("bad name")).await.is_err());
}

async fn stop_aborts_with_an_event(store: TestStore) {
    let rt = store.runtime().await;
    let m = machine(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 500, "End": true}}}),
    );
    rt.register("M", m, TaskRegistry::new()).unwrap();
    let a = rt.start("M", json!({}), Some("s")).await.unwrap();
    wait_for_event(&rt, &a, "WaitStateEntered").await;
    let d = rt.stop(&a, Some("Stopped"), Some("by test")).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Aborted);
    assert_eq!(d.record.error.as_deref(), Some("Stopped"));
    assert_eq!(
        kinds(&rt, &a).await,
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
}

async fn history_pages_forward_and_reverse(store: TestStore) {
    let rt = store.runtime().await;
    let m = machine(json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 30, "Next": "Incr"}], "Default": "Done"},
        "Incr": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}));
    rt.register("L", m, TaskRegistry::new()).unwrap();
    let d = rt.run("L", json!({"i": 0}), None).await.unwrap();
    assert_eq!(d.output(), Some(json!({"i": 30})));
    let arn = d.record.arn.clone();
    let all = rt.full_history(&arn).await.unwrap();
    assert_eq!(all.len(), 1 + 2 * 31 + 2 * 30 + 2 + 1);
    for reverse_order in [false, true] {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let q = HistoryQuery {
                max_results: 7,
                reverse_order,
                next_token: token,
            };
            let page = rt.history(&arn, q).await.unwrap();
            assert!(page.events.len() <= 7);
            ids.extend(page.events.iter().map(|e| e["id"].as_u64().unwrap()));
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let mut want: Vec<u64> = (1..=all.len() as u64).collect();
        if reverse_order {
            want.reverse();
        }
        assert_eq!(ids, want, "reverse_order: {reverse_order}");
    }
    let express = rt.start_sync_express("L", json!({"i": 25})).await.unwrap();
    assert_eq!(express.output, Some(json!({"i": 30})));
    assert!(express.history.is_empty());
}

/// A machine with a `${bill}` Task behind a Choice that is not taken (first in definition
/// order), then a `.waitForTaskToken` resource and an activity, neither with a handler.
fn billing() -> StateMachine {
    machine(json!({
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Default": "Ask",
                      "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "Bill"}]},
            "Bill": {"Type": "Task", "Resource": "${bill}", "End": true},
            "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token"}, "Next": "Work"},
            "Work": {"Type": "Task", "End": true,
                     "Resource": "arn:aws:states:us-east-1:123456789012:activity:work"}
        }
    }))
}

/// A durable execution whose `${…}` Task has no handler fails as it starts, with the error and
/// cause an execution in memory gets, before any state runs; registering the handler and
/// redriving runs it.
#[tokio::test(start_paused = true)]
async fn a_placeholder_without_handler_fails_a_durable_start() {
    let in_memory = stepfn::Interpreter::new(billing(), "Billing", TaskRegistry::new())
        .execute(json!({"x": 2}), stepfn::ExecutionOptions::default())
        .await;
    assert_eq!(in_memory.error.as_deref(), Some("States.Runtime"));
    assert!(in_memory
        .cause
        .as_deref()
        .unwrap_or_default()
        .contains("${bill}"));

    let rt = Runtime::in_memory();
    rt.register("Billing", billing(), TaskRegistry::new())
        .unwrap();
    let arn = rt
        .start("Billing", json!({"x": 2}), Some("b-1"))
        .await
        .unwrap();
    let d = rt.describe(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed, "failed at once");
    assert_eq!(d.record.error, in_memory.error);
    assert_eq!(d.record.cause, in_memory.cause);
    let kinds: Vec<Value> = rt
        .full_history(&arn)
        .await
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(kinds, [json!("ExecutionStarted"), json!("ExecutionFailed")]);
    let failed = rt.full_history(&arn).await.unwrap()[1].clone();
    assert_eq!(
        failed["executionFailedEventDetails"]["cause"].as_str(),
        in_memory.cause.as_deref()
    );
    assert_eq!(
        rt.wait(&arn).await.unwrap().status(),
        ExecutionStatus::Failed
    );

    // Still no handler: a redrive fails the same way, at once.
    rt.redrive(&arn).await.unwrap();
    let d = rt.describe(&arn).await.unwrap();
    assert_eq!(
        (d.status(), d.record.cause),
        (ExecutionStatus::Failed, in_memory.cause)
    );

    let mut tasks = TaskRegistry::new();
    tasks.register_json("${bill}", |v| async move { Ok(v) });
    rt.register("Billing", billing(), tasks).unwrap();
    rt.redrive(&arn).await.unwrap();
    assert_eq!(
        rt.describe(&arn).await.unwrap().status(),
        ExecutionStatus::Running
    );
    rt.stop(&arn, None, None).await.unwrap();
}

/// Task tokens are handed out by a durable runtime: a `.waitForTaskToken` resource or an
/// activity without a handler is no start problem there (the execution waits for its answer).
#[tokio::test(start_paused = true)]
async fn task_tokens_need_no_handler_in_a_durable_start() {
    let rt = Runtime::in_memory();
    let mut tasks = TaskRegistry::new();
    tasks.register_json("${bill}", |v| async move { Ok(v) });
    rt.register("Billing", billing(), tasks).unwrap();
    let arn = rt.start("Billing", json!({"x": 2}), None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    assert_eq!(
        rt.describe(&arn).await.unwrap().status(),
        ExecutionStatus::Running
    );
    let history = rt.full_history(&arn).await.unwrap();
    assert!(
        history.iter().any(|e| e["type"] == "TaskSubmitted"),
        "{history:?}"
    );
    rt.stop(&arn, None, None).await.unwrap();
}
