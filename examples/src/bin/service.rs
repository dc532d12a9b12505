//! Runs one order through the fulfilment service (`stepfn_examples::service`), durably, in a
//! SQLite file: `cargo run -p stepfn-examples --bin service [DB]` (default: a file in the
//! temporary directory).

use stepfn_examples::service::{Dispatch, Order, Service};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("stepfn-service.db"));
    let service = Service::open(&db).await?;
    let id = format!(
        "order-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let run = service
        .place(Order {
            id: id.clone(),
            item: "teapot".into(),
            quantity: 2,
        })
        .await?;
    println!("started {}", run.arn());
    // The warehouse receives the request with its task token, ships, and answers.
    let request = service
        .wait_for_request(&id)
        .await
        .ok_or("the warehouse received no request")?;
    println!(
        "warehouse: ship {:?} from shelf {}",
        request.reservation.order_id, request.reservation.shelf
    );
    let dispatch = Dispatch {
        order_id: id,
        tracking: "1Z999".into(),
    };
    service.dispatched(&request.task_token, &dispatch).await?;
    let delivery = run.output().await?;
    println!(
        "delivered: {delivery:?} ({} history events, in {})",
        run.history().await?.len(),
        db.display()
    );
    Ok(())
}
