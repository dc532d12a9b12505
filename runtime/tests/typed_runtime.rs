//! The typed durable API: `Execution<W>` started, awaited, stopped, attached by ARN and listed
//! with `W`'s own types, its history as typed events, and task tokens answered with a typed value.
//! On every store (see `support/stores.rs`).

#[macro_use]
#[path = "support/stores.rs"]
mod stores;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use stepfn::{
    workflow, Event, EventDetails, EventType, Execution, ExecutionError, ExecutionStatus, Runtime,
    RuntimeError, TaskError, TaskRegistry,
};
use stores::{TestStore, PATIENCE};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: String,
    pub charged: u64,
}

async fn charge(o: Order) -> Result<Receipt, TaskError> {
    if o.total > 1000 {
        return Err(TaskError::new(
            "Payment.Declined",
            format!("{} is over the limit", o.total),
        ));
    }
    Ok(Receipt {
        id: o.id,
        charged: o.total,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub approved: bool,
    pub by: String,
}

workflow! {
    /// Charges an order.
    pub Checkout(Order) -> Receipt {
        Charge: task charge end;
    }

    /// Waits an hour, then succeeds.
    pub Slow(Order) -> Order {
        Hold: wait 1h -> Done;
        Done: succeed;
    }

    /// Waits for a person's decision (a task token).
    pub Approval(Order) -> Decision {
        Ask: task {
            resource "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
            parameters { "order.$": "$", "token.$": "$$.Task.Token" };
        } end;
    }
}

on_every_store!(
    a_started_execution_gives_its_typed_output,
    a_failed_execution_carries_its_error_and_cause,
    a_stopped_execution_is_aborted_with_the_stop_error,
    an_execution_is_attached_by_its_arn_only_under_its_workflow,
    executions_are_listed_per_workflow,
    the_history_is_typed,
    a_task_token_is_answered_with_a_typed_value,
    a_task_token_failure_fails_the_execution,
    an_output_that_is_not_the_output_type_is_named,
);

fn order(id: &str, total: u64) -> Order {
    Order {
        id: id.into(),
        total,
    }
}

async fn a_started_execution_gives_its_typed_output(store: TestStore) {
    let rt = store.runtime().await;
    let run = Execution::<Checkout>::start(&rt, "o-1", order("o-1", 40))
        .await
        .unwrap();
    assert_eq!(
        run.arn(),
        "arn:aws:states:us-east-1:123456789012:execution:Checkout:o-1"
    );
    let receipt = run.output().await.unwrap();
    assert_eq!(
        receipt,
        Receipt {
            id: "o-1".into(),
            charged: 40
        }
    );
    assert_eq!(run.status().await.unwrap(), ExecutionStatus::Succeeded);
    let d = run.describe().await.unwrap();
    assert_eq!((d.arn(), d.name()), (run.arn(), "o-1"));
    // A second execution of the same workflow (registered on the first start).
    let again = Execution::<Checkout>::start(&rt, "o-2", order("o-2", 1))
        .await
        .unwrap();
    assert_eq!(again.output().await.unwrap().charged, 1);
}

async fn a_failed_execution_carries_its_error_and_cause(store: TestStore) {
    let rt = store.runtime().await;
    let run = Execution::<Checkout>::start(&rt, "big", order("big", 5000))
        .await
        .unwrap();
    let err = run.output().await.unwrap_err();
    assert_eq!(
        err,
        ExecutionError::Failed {
            error: Some("Payment.Declined".into()),
            cause: Some("5000 is over the limit".into()),
        }
    );
    assert_eq!(err.error(), Some("Payment.Declined"));
    assert_eq!(err.cause(), Some("5000 is over the limit"));
    assert_eq!(run.status().await.unwrap(), ExecutionStatus::Failed);
}

/// A typed durable start of a workflow registered without its handler fails at once, with the
/// error and cause of an in-memory run (`States.Runtime`, the state and its `${…}` resource),
/// and its history shows why.
#[tokio::test]
async fn a_typed_start_without_the_handler_fails_at_once() {
    let in_memory =
        stepfn::Interpreter::new(Checkout::state_machine(), "Checkout", TaskRegistry::new())
            .execute(json!(order("n-1", 1)), stepfn::ExecutionOptions::default())
            .await;
    let rt = Runtime::in_memory();
    rt.register("Checkout", Checkout::state_machine(), TaskRegistry::new())
        .unwrap();
    let run = Execution::<Checkout>::start(&rt, "n-1", order("n-1", 1))
        .await
        .unwrap();
    let err = run.output().await.unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert_eq!(err.cause(), in_memory.cause.as_deref());
    assert!(
        err.cause().unwrap_or_default().contains("`Charge`"),
        "{err}"
    );
    let kinds: Vec<EventType> = run
        .history()
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventType::ExecutionStarted, EventType::ExecutionFailed]
    );
}

async fn a_stopped_execution_is_aborted_with_the_stop_error(store: TestStore) {
    let rt = store.runtime().await;
    let run = Execution::<Slow>::start(&rt, "s-1", order("s-1", 1))
        .await
        .unwrap();
    assert_eq!(run.status().await.unwrap(), ExecutionStatus::Running);
    let d = run
        .stop(Some("Ops.Cancelled"), Some("by hand"))
        .await
        .unwrap();
    assert_eq!(d.status(), ExecutionStatus::Aborted);
    let err = run.output().await.unwrap_err();
    assert!(matches!(err, ExecutionError::Aborted { .. }), "{err:?}");
    assert_eq!(
        (err.error(), err.cause()),
        (Some("Ops.Cancelled"), Some("by hand"))
    );
    let last = run.history().await.unwrap().pop().unwrap();
    assert_eq!(last.kind, EventType::ExecutionAborted);
    assert_eq!(
        last.details,
        EventDetails::Failure {
            error: Some("Ops.Cancelled".into()),
            cause: Some("by hand".into())
        }
    );
}

async fn an_execution_is_attached_by_its_arn_only_under_its_workflow(store: TestStore) {
    let rt = store.runtime().await;
    let run = Execution::<Checkout>::start(&rt, "a-1", order("a-1", 7))
        .await
        .unwrap();
    run.output().await.unwrap();
    let attached = Execution::<Checkout>::attach(&rt, run.arn()).await.unwrap();
    assert_eq!(attached.output().await.unwrap().charged, 7);

    // An ARN of another workflow's execution, or not an execution ARN at all.
    let slow = Execution::<Slow>::start(&rt, "a-1", order("a-1", 7))
        .await
        .unwrap();
    for arn in [
        slow.arn(),
        "arn:aws:states:us-east-1:123456789012:stateMachine:Checkout",
        "nope",
    ] {
        let err = Execution::<Checkout>::attach(&rt, arn).await.unwrap_err();
        assert!(
            matches!(&err, RuntimeError::InvalidArn(m) if m.contains(arn) && m.contains("Checkout")),
            "{arn}: {err:?}"
        );
    }
    // Well formed, but no such execution.
    let ghost = run.arn().replace(":a-1", ":ghost");
    assert!(matches!(
        Execution::<Checkout>::attach(&rt, &ghost).await,
        Err(RuntimeError::ExecutionDoesNotExist(_))
    ));
    slow.stop(None, None).await.unwrap();
}

async fn executions_are_listed_per_workflow(store: TestStore) {
    let rt = store.runtime().await;
    for (name, total) in [("l-1", 1), ("l-2", 2000)] {
        let run = Execution::<Checkout>::start(&rt, name, order(name, total))
            .await
            .unwrap();
        let _ = run.output().await;
    }
    let slow = Execution::<Slow>::start(&rt, "l-3", order("l-3", 1))
        .await
        .unwrap();
    let mut all: Vec<String> = Execution::<Checkout>::list(&rt, None)
        .await
        .unwrap()
        .iter()
        .map(|e| e.arn().to_string())
        .collect();
    all.sort();
    assert_eq!(all.len(), 2);
    assert!(all[0].ends_with(":Checkout:l-1") && all[1].ends_with(":Checkout:l-2"));
    let failed = Execution::<Checkout>::list(&rt, Some(ExecutionStatus::Failed))
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].arn().ends_with(":l-2"));
    assert_eq!(Execution::<Slow>::list(&rt, None).await.unwrap().len(), 1);
    slow.stop(None, None).await.unwrap();
}

async fn the_history_is_typed(store: TestStore) {
    let rt = store.runtime().await;
    let run = Execution::<Checkout>::start(&rt, "h-1", order("h-1", 12))
        .await
        .unwrap();
    run.output().await.unwrap();
    let events: Vec<Event> = run.history().await.unwrap();
    let kinds: Vec<EventType> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::ExecutionStarted,
            EventType::TaskStateEntered,
            EventType::TaskScheduled,
            EventType::TaskStarted,
            EventType::TaskSucceeded,
            EventType::TaskStateExited,
            EventType::ExecutionSucceeded,
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
    }
    let input = json!({"id": "h-1", "total": 12});
    let receipt = json!({"id": "h-1", "charged": 12});
    assert!(matches!(&events[0].details,
        EventDetails::ExecutionStarted { input: i, state_machine_arn: Some(sm), .. }
            if *i == input && sm.ends_with(":stateMachine:Checkout")));
    assert_eq!(
        events[1].details,
        EventDetails::StateEntered {
            name: "Charge".into(),
            input: input.clone()
        }
    );
    assert_eq!(events[1].state_name(), Some("Charge"));
    assert!(matches!(&events[2].details,
        EventDetails::TaskScheduled { parameters, .. } if *parameters == input));
    assert!(matches!(&events[4].details,
        EventDetails::TaskSucceeded { output, .. } if *output == receipt));
    assert_eq!(
        events[5].details,
        EventDetails::StateExited {
            name: "Charge".into(),
            output: receipt.clone()
        }
    );
    assert_eq!(
        events[6].details,
        EventDetails::ExecutionSucceeded { output: receipt }
    );
}

/// Registers `Approval` with the request half of its `.waitForTaskToken` task: the handler is
/// registered under the resource without the suffix, and records each message it "sends".
fn register_approval(rt: &Runtime) -> Arc<Mutex<Vec<Value>>> {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let sink = sent.clone();
    let mut tasks: TaskRegistry = Approval::tasks();
    tasks.register_json("arn:aws:states:::sqs:sendMessage", move |params: Value| {
        sink.lock().unwrap().push(params);
        async { Ok(json!({"MessageId": "m-1"})) }
    });
    rt.register(Approval::NAME, Approval::state_machine(), tasks)
        .unwrap();
    sent
}

async fn first_token(sent: &Mutex<Vec<Value>>) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if let Some(m) = sent.lock().unwrap().first() {
            return m["token"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no message was sent");
}

async fn a_task_token_is_answered_with_a_typed_value(store: TestStore) {
    let rt = store.runtime().await;
    let sent = register_approval(&rt);
    let run = Execution::<Approval>::start(&rt, "ap-1", order("ap-1", 3))
        .await
        .unwrap();
    let token = first_token(&sent).await;
    let decision = Decision {
        approved: true,
        by: "ada".into(),
    };
    rt.send_task_success(&token, &decision).await.unwrap();
    assert_eq!(run.output().await.unwrap(), decision);
    // The token is spent.
    assert!(matches!(
        rt.send_task_success(&token, &decision).await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
}

async fn a_task_token_failure_fails_the_execution(store: TestStore) {
    let rt = store.runtime().await;
    let sent = register_approval(&rt);
    let run = Execution::<Approval>::start(&rt, "ap-2", order("ap-2", 3))
        .await
        .unwrap();
    let token = first_token(&sent).await;
    rt.send_task_failure(&token, Some("Approval.Rejected"), Some("no"))
        .await
        .unwrap();
    let err = run.output().await.unwrap_err();
    assert_eq!(
        (err.error(), err.cause()),
        (Some("Approval.Rejected"), Some("no"))
    );
}

async fn an_output_that_is_not_the_output_type_is_named(store: TestStore) {
    let rt = store.runtime().await;
    let sent = register_approval(&rt);
    let run = Execution::<Approval>::start(&rt, "ap-3", order("ap-3", 3))
        .await
        .unwrap();
    let token = first_token(&sent).await;
    rt.send_task_success(&token, &json!({"approved": "yes"}))
        .await
        .unwrap();
    let err = run.output().await.unwrap_err();
    assert!(
        matches!(&err, ExecutionError::Output { workflow: "Approval", message } if message.contains("expected a boolean")),
        "{err:?}"
    );
}
