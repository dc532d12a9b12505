//! Testing support: handlers mocked by function item, the path taken, clear errors at start
//! for a missing handler or a task token, and the paused-clock pattern.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, ExecutionOptions, ExecutionStatus, Interpreter, TaskError, TaskRegistry};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: String,
    pub charge_id: String,
}

async fn charge_payment(_order: Order) -> Result<Receipt, TaskError> {
    Err(TaskError::new(
        "Gateway.Down",
        "the real gateway is not reachable from tests",
    ))
}

async fn ship(r: Receipt) -> Result<Receipt, TaskError> {
    Ok(r)
}

workflow! {
    /// Charge (retried when the gateway is busy), wait a day, ship.
    pub Fulfil(Order) -> Receipt {
        start Charge;
        Charge: task charge_payment {
            retry [Gateway.Busy] every 10s, 2 times, backoff 3.0;
            catch [Payment.Declined] into "$.error" -> Declined;
        } -> Cool;
        Cool: wait 86400s -> Ship;
        Ship: task ship end;
        Declined: fail "Order.Declined", "the card was declined";
    }
}

fn order() -> Order {
    Order {
        id: "o-1".into(),
        total: 120,
    }
}

#[tokio::test(start_paused = true)]
async fn a_mocked_handler_answers_in_place_of_the_real_one() {
    let out = Fulfil::mock()
        .handler(charge_payment, |o| async move {
            Ok::<_, TaskError>(Receipt {
                id: o.id,
                charge_id: "ch-1".into(),
            })
        })
        .run(order())
        .await;
    assert_eq!(
        out,
        Ok(Receipt {
            id: "o-1".into(),
            charge_id: "ch-1".into()
        })
    );
}

#[tokio::test(start_paused = true)]
async fn the_path_taken_is_the_states_entered() {
    let declined = Fulfil::mock()
        .handler(charge_payment, |_| async {
            Err::<Receipt, _>(TaskError::new("Payment.Declined", "no"))
        })
        .run_with(order(), ExecutionOptions::default())
        .await
        .unwrap();
    assert_eq!(declined.states_entered(), ["Charge", "Declined"]);
    let shipped = Fulfil::mock()
        .handler(charge_payment, |o| async move {
            Ok::<_, TaskError>(Receipt {
                id: o.id,
                charge_id: "ch-1".into(),
            })
        })
        .run_with(order(), ExecutionOptions::default())
        .await
        .unwrap();
    assert_eq!(shipped.states_entered(), ["Charge", "Cool", "Ship"]);
}

#[tokio::test(start_paused = true)]
async fn a_function_that_is_not_a_handler_is_refused() {
    async fn other(o: Order) -> Result<Receipt, TaskError> {
        Ok(Receipt {
            id: o.id,
            charge_id: String::new(),
        })
    }
    let r = Fulfil::mock()
        .handler(other, |o| async move {
            Ok::<_, TaskError>(Receipt {
                id: o.id,
                charge_id: String::new(),
            })
        })
        .run(order())
        .await;
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("other` is not a task handler of the workflow `Fulfil`")
            && e.contains("charge_payment"),
        "{e}"
    );
}

/// The paused-clock pattern: the day-long Wait and the retries' backoff (10 s, then 30 s) take
/// no real time, and tokio's clock moved by exactly their sum.
#[tokio::test(start_paused = true)]
async fn a_paused_clock_runs_waits_and_retries_at_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let started = tokio::time::Instant::now();
    let result = Fulfil::mock()
        .handler(charge_payment, move |o| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 | 1 => Err(TaskError::new("Gateway.Busy", "later")),
                    _ => Ok(Receipt {
                        id: o.id,
                        charge_id: "ch-3".into(),
                    }),
                }
            }
        })
        .run_with(order(), ExecutionOptions::default())
        .await
        .unwrap();
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        started.elapsed(),
        std::time::Duration::from_secs(86_400 + 10 + 30)
    );
}

/// A Task whose resource has no handler fails the execution when it starts, naming the state
/// and the resource (here behind a Choice that never reaches it).
#[tokio::test]
async fn a_missing_handler_fails_at_start() {
    let asl = r#"{
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "Bill"}], "Default": "Done"},
            "Bill": {"Type": "Task", "Resource": "${bill}", "End": true},
            "Done": {"Type": "Succeed"}
        }
    }"#;
    let sm = stepfn::asl::StateMachine::from_json_str(asl).unwrap();
    let r = Interpreter::new(sm, "Billing", TaskRegistry::new())
        .execute(serde_json::json!({"x": 2}), ExecutionOptions::default())
        .await;
    assert_eq!(r.status, ExecutionStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        r.cause.as_deref(),
        Some("the state `Bill` calls the resource `${bill}`, which has no registered handler")
    );
    assert_eq!(r.states_entered(), Vec::<&str>::new(), "no state ran");
}

/// A `.waitForTaskToken` task in memory (`stepfn::run`, an `Interpreter`) is refused at start:
/// only a durable `Runtime` hands out task tokens.
#[tokio::test]
async fn a_task_token_needs_a_runtime() {
    let asl = r#"{
        "StartAt": "Branches",
        "States": {
            "Branches": {"Type": "Parallel", "End": true, "Branches": [{
                "StartAt": "Approve",
                "States": {"Approve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token"},
                    "End": true
                }}
            }]}
        }
    }"#;
    let sm = stepfn::asl::StateMachine::from_json_str(asl).unwrap();
    let r = Interpreter::new(sm, "Approval", TaskRegistry::new())
        .execute(serde_json::json!({}), ExecutionOptions::default())
        .await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    let cause = r.cause.unwrap_or_default();
    assert!(
        cause.contains("`Approve` waits for a task token")
            && cause.contains("sqs:sendMessage.waitForTaskToken")
            && cause.contains("stepfn::Runtime"),
        "{cause}"
    );
}
