//! The durable examples: an expense approved (or not) by a person through a task token, and a
//! document reviewed by an activity worker, on the runtime's store.

use serde_json::json;
use stepfn::{ExecutionStatus, Runtime};
use stepfn_examples::{activity, approval};

async fn first_message(inbox: &approval::Inbox) -> serde_json::Value {
    for _ in 0..500 {
        if let Some(m) = inbox.messages().first() {
            return m.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no approval request arrived");
}

#[tokio::test]
async fn an_approved_expense_is_paid() {
    let runtime = Runtime::in_memory();
    let inbox = approval::Inbox::default();
    let sm = approval::register(&runtime, &inbox).unwrap();
    let arn = runtime
        .start(&sm, json!({"employee": "ada", "cents": 1200}), Some("e1"))
        .await
        .unwrap();
    let message = first_message(&inbox).await;
    assert_eq!(
        message["expense"],
        json!({"employee": "ada", "cents": 1200})
    );
    let token = message["taskToken"].as_str().unwrap();
    runtime
        .send_task_success_json(token, r#"{"approved": true}"#)
        .await
        .unwrap();
    let done = runtime.wait(&arn).await.unwrap();
    assert_eq!(done.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        done.output(),
        Some(json!({"employee": "ada", "cents": 1200}))
    );
    // The token is spent.
    assert!(runtime.send_task_success_json(token, "{}").await.is_err());
}

#[tokio::test]
async fn a_rejected_expense_fails() {
    let runtime = Runtime::in_memory();
    let inbox = approval::Inbox::default();
    let sm = approval::register(&runtime, &inbox).unwrap();
    let arn = runtime
        .start(&sm, json!({"employee": "bob", "cents": 99}), Some("e2"))
        .await
        .unwrap();
    let token = first_message(&inbox).await["taskToken"]
        .as_str()
        .unwrap()
        .to_string();
    runtime
        .send_task_failure(&token, Some("Expense.Rejected"), Some("too expensive"))
        .await
        .unwrap();
    let done = runtime.wait(&arn).await.unwrap();
    assert_eq!(done.status(), ExecutionStatus::Failed);
    assert_eq!(done.record.error.as_deref(), Some("Expense.Rejected"));
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_expense_expires_after_a_day() {
    let runtime = Runtime::in_memory();
    let inbox = approval::Inbox::default();
    let sm = approval::register(&runtime, &inbox).unwrap();
    let arn = runtime
        .start(&sm, json!({"employee": "cy", "cents": 5}), Some("e3"))
        .await
        .unwrap();
    let done = runtime.wait(&arn).await.unwrap();
    assert_eq!(done.status(), ExecutionStatus::Failed);
    assert_eq!(done.record.error.as_deref(), Some("Expense.Expired"));
}

#[tokio::test]
async fn an_activity_worker_reviews_the_document() {
    let runtime = Runtime::in_memory();
    runtime.create_activity("review-document").await.unwrap();
    let sm = runtime
        .register_workflow::<activity::ReviewDocument>()
        .unwrap();
    let worker = {
        let runtime = runtime.clone();
        tokio::spawn(async move { activity::work_once(&runtime).await })
    };
    let arn = runtime
        .start(&sm, json!({"document": "a typo here"}), Some("r1"))
        .await
        .unwrap();
    assert!(worker.await.unwrap().unwrap(), "the worker got no task");
    let done = runtime.wait(&arn).await.unwrap();
    assert_eq!(done.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        done.output(),
        Some(json!({"document": "a typo here", "accepted": false}))
    );
    let types: Vec<String> = runtime
        .full_history(&arn)
        .await
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        types.contains(&"ActivityScheduled".to_string())
            && types.contains(&"ActivitySucceeded".to_string()),
        "{types:?}"
    );
}
