//! The order workflow tested as a service author would: its handlers mocked by function item, on
//! a paused clock (the retry backoff takes no real time), asserting the path taken.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use stepfn::{ExecutionOptions, ExecutionStatus, TaskError};
use stepfn_examples::order::{charge, Order, Paid, ProcessOrder};

fn order(id: &str) -> Order {
    Order {
        id: id.into(),
        amount: 100,
        card: "visa".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_busy_gateway_is_retried_then_the_order_ships() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let started = tokio::time::Instant::now();
    let result = ProcessOrder::mock()
        .handler(charge, move |r| {
            let attempt = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if attempt < 2 {
                    return Err(TaskError::new("Payment.GatewayBusy", "try again"));
                }
                Ok(Paid {
                    id: r.order.id,
                    payment: "p-mocked".into(),
                })
            }
        })
        .run_with(order("o-1"), ExecutionOptions::default())
        .await
        .expect("the mock names a handler of ProcessOrder");
    assert_eq!(result.status, ExecutionStatus::Succeeded, "{result:?}");
    assert_eq!(result.states_entered(), ["Reserve", "Charge", "Ship"]);
    assert_eq!(calls.load(Ordering::SeqCst), 3, "two retries, then success");
    let output = result.output.expect("an output");
    assert_eq!(output["payment"], "p-mocked");
    assert_eq!(output["tracking"], "1Z-o-1");
    // Retries every 2 s with backoff 2.0 and full jitter: at most 2 + 4 s of (virtual) time.
    assert!(started.elapsed() <= std::time::Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn a_declined_card_ends_in_the_declined_state() {
    let result = ProcessOrder::mock()
        .handler(charge, |_| async {
            Err::<Paid, _>(TaskError::new("Payment.Declined", "mocked issuer"))
        })
        .run_with(order("o-2"), ExecutionOptions::default())
        .await
        .expect("the mock names a handler of ProcessOrder");
    assert_eq!(result.status, ExecutionStatus::Failed);
    assert_eq!(result.error.as_deref(), Some("Order.Declined"));
    assert_eq!(result.states_entered(), ["Reserve", "Charge", "Declined"]);
}

#[tokio::test]
async fn a_function_that_is_not_a_handler_is_refused_before_the_run() {
    async fn not_a_handler(o: Order) -> Result<Order, TaskError> {
        Ok(o)
    }
    let e = ProcessOrder::mock()
        .handler(not_a_handler, |o| async move { Ok::<_, TaskError>(o) })
        .run(order("o-3"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not_a_handler"), "{e}");
}
