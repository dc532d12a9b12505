//! `workflow!` end to end: a workflow written in Rust runs natively with typed handlers, and its
//! exported ASL is what the validator accepts and the interpreter runs the same way.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, ExecutionOptions, TaskError, Workflow};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub id: String,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Charged {
    pub id: String,
    pub charge_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Receipt {
    pub id: String,
    pub charge_id: String,
    pub shipped: bool,
}

async fn charge(o: Order) -> Result<Charged, TaskError> {
    if o.total == 13 {
        return Err(TaskError::new("Payment.Declined", "unlucky total"));
    }
    Ok(Charged {
        charge_id: format!("ch-{}", o.id),
        id: o.id,
    })
}

async fn ship(c: Charged) -> Result<Receipt, TaskError> {
    Ok(Receipt {
        id: c.id,
        charge_id: c.charge_id,
        shipped: true,
    })
}

workflow! {
    /// Charge an order, then ship it; large orders are rejected.
    pub Checkout(Order) -> Receipt {
        comment "charge and ship";
        start Check;

        Check: choice {
            $.total > 1000 => TooLarge,
            _ => Charge,
        }
        Charge: task charge {
            retry [Payment.Busy] every 1s, 2 times, backoff 2.0;
            catch [Payment.Declined] into $.error -> Declined;
        } -> Ship;
        Ship: task ship end;
        TooLarge: fail "Order.TooLarge", "orders over 1000 need a person";
        Declined: fail "Order.Declined", "the card was declined";
    }
}

#[tokio::test]
async fn runs_natively_with_typed_handlers() {
    let receipt = stepfn::run::<Checkout>(Order {
        id: "o1".into(),
        total: 10,
    })
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            id: "o1".into(),
            charge_id: "ch-o1".into(),
            shipped: true
        }
    );
}

#[tokio::test]
async fn failures_come_back_as_errors() {
    let e = stepfn::run::<Checkout>(Order {
        id: "o2".into(),
        total: 5000,
    })
    .await
    .unwrap_err();
    assert_eq!(
        e,
        stepfn::RunError::Execution {
            status: stepfn::ExecutionStatus::Failed,
            error: "Order.TooLarge".into(),
            cause: "orders over 1000 need a person".into()
        }
    );
    let e = stepfn::run::<Checkout>(Order {
        id: "o3".into(),
        total: 13,
    })
    .await
    .unwrap_err();
    assert!(
        matches!(e, stepfn::RunError::Execution { ref error, .. } if error == "Order.Declined"),
        "{e:?}"
    );
}

#[test]
fn exports_asl() {
    let asl = Checkout::asl();
    assert_eq!(asl["StartAt"], "Check");
    assert_eq!(asl["States"]["Charge"]["Resource"], "${charge}");
    assert_eq!(
        asl["States"]["Charge"]["Retry"][0]["ErrorEquals"][0],
        "Payment.Busy"
    );
    assert_eq!(
        asl["States"]["Check"]["Choices"][0]["NumericGreaterThan"],
        1000
    );
    // The exported text is what the shared validator accepts.
    stepfn::asl::StateMachine::from_json_str(Checkout::ASL).unwrap();
    assert_eq!(<Checkout as Workflow>::NAME, "Checkout");
}

#[tokio::test]
async fn history_has_step_functions_event_types() {
    let r = stepfn::run_with::<Checkout>(
        Order {
            id: "o4".into(),
            total: 1,
        },
        ExecutionOptions::default(),
    )
    .await
    .unwrap();
    let types: Vec<&str> = r.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

workflow! {
    /// A JSON value reaches a typed handler: a `result` without `charge_id` before a plain
    /// task, and a `parameters` template that leaves it out.
    pub Reship(Order) -> Receipt {
        Fill: pass {
            result {"id": "o9"};
        } -> Ship;
        Ship: task ship end;
    }
    pub Reship2(Order) -> Receipt {
        Ship: task ship {
            parameters {"id.$": "$.id"};
        } end;
    }
}

/// Both engines fail a task whose input does not deserialize with the same cause, naming the
/// state, the handler, the expected type and serde's message.
#[tokio::test]
async fn an_input_mismatch_names_state_handler_and_type() {
    const { assert!(Reship::COMPILED && Reship2::COMPILED) };
    let input = serde_json::json!({"id": "o9", "total": 1});
    let expected = "the input of state `Ship` does not match the input type \
                    `workflow_macro::Charged` of its handler `workflow_macro::ship`: \
                    missing field `charge_id`";
    for (name, compiled, interpreted) in [
        (
            "Reship",
            Reship::execute(input.clone(), ExecutionOptions::default()).await,
            Reship::interpreter()
                .execute(input.clone(), ExecutionOptions::default())
                .await,
        ),
        (
            "Reship2",
            Reship2::execute(input.clone(), ExecutionOptions::default()).await,
            Reship2::interpreter()
                .execute(input.clone(), ExecutionOptions::default())
                .await,
        ),
    ] {
        for (engine, r) in [("compiled", compiled), ("interpreter", interpreted)] {
            assert_eq!(
                r.error.as_deref(),
                Some("States.TaskFailed"),
                "{name} {engine}"
            );
            assert_eq!(r.cause.as_deref(), Some(expected), "{name} {engine}");
        }
    }
}
