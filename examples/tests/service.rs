//! The fulfilment service end to end, on a SQLite file: an order placed, the warehouse answering
//! its task token with a typed value, the typed output; and the same across a restart of the
//! service (the file opened again, the execution continued, the token still good).

use std::path::PathBuf;
use stepfn::{EventType, ExecutionStatus};
use stepfn_examples::service::{Delivery, Dispatch, Order, Service};

/// A fresh directory for one test's database.
fn db(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepfn-service-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("service.db")
}

fn order(id: &str) -> Order {
    Order {
        id: id.into(),
        item: "teapot".into(),
        quantity: 2,
    }
}

#[tokio::test]
async fn an_order_is_delivered_once_the_warehouse_answers() {
    let path = db("delivered");
    let service = Service::open(&path).await.unwrap();
    let run = service.place(order("o-1")).await.unwrap();
    let request = service
        .wait_for_request("o-1")
        .await
        .expect("a shipment request");
    assert_eq!(request.reservation.shelf, "A-6");
    assert_eq!(run.status().await.unwrap(), ExecutionStatus::Running);
    let dispatch = Dispatch {
        order_id: "o-1".into(),
        tracking: "1Z1".into(),
    };
    service
        .dispatched(&request.task_token, &dispatch)
        .await
        .unwrap();
    assert_eq!(
        run.output().await.unwrap(),
        Delivery {
            order_id: "o-1".into(),
            tracking_url: "https://track.example/1Z1".into()
        }
    );
    let entered: Vec<String> = run
        .history()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == EventType::TaskStateEntered)
        .filter_map(|e| e.state_name().map(str::to_string))
        .collect();
    assert_eq!(entered, ["Reserve", "Ship", "Confirm"]);
}

#[tokio::test]
async fn an_empty_order_fails_with_the_handlers_error() {
    let path = db("empty");
    let service = Service::open(&path).await.unwrap();
    let mut o = order("o-0");
    o.quantity = 0;
    let err = service.place(o).await.unwrap().output().await.unwrap_err();
    assert_eq!(err.error(), Some("Order.Empty"));
    assert_eq!(err.cause(), Some("order o-0 has no items"));
}

#[tokio::test]
async fn an_order_survives_a_restart_of_the_service() {
    let path = db("restart");
    let (arn, request) = {
        let service = Service::open(&path).await.unwrap();
        let run = service.place(order("o-2")).await.unwrap();
        let request = service
            .wait_for_request("o-2")
            .await
            .expect("a shipment request");
        (run.arn().to_string(), request)
    };
    // The process is gone; the warehouse still holds the request and its token. Let the
    // aborted run release the file, then open it again: the execution continues, waiting.
    let mut attempts = 0;
    let service = loop {
        match Service::open(&path).await {
            Ok(s) => break s,
            Err(e) if e.to_string().contains("in use") && attempts < 500 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    let run = service.order(&arn).await.unwrap();
    assert_eq!(run.status().await.unwrap(), ExecutionStatus::Running);
    let dispatch = Dispatch {
        order_id: "o-2".into(),
        tracking: "1Z2".into(),
    };
    service
        .dispatched(&request.task_token, &dispatch)
        .await
        .unwrap();
    assert_eq!(
        run.output().await.unwrap().tracking_url,
        "https://track.example/1Z2"
    );
    // One ExecutionStarted, one TaskStateEntered per state: nothing ran twice.
    let history = run.history().await.unwrap();
    let count = |k: EventType| history.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EventType::ExecutionStarted), 1);
    assert_eq!(count(EventType::TaskStateEntered), 3);
    assert_eq!(count(EventType::ExecutionSucceeded), 1);
}
