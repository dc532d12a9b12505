//! A fulfilment service on the typed durable API: each order is a durable execution of
//! [`Fulfil`] in a SQLite file, named after the order. A typed handler reserves the stock, the
//! warehouse is asked to ship through a task token (`.waitForTaskToken`) and answers with a typed
//! [`Dispatch`], a last typed handler confirms the delivery. An execution survives a restart of
//! the service: open the same file again and it continues where it was.
//!
//! `cargo run -p stepfn-examples --bin service` runs one order through it.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex};
use stepfn::{workflow, Execution, Runtime, RuntimeError, TaskError, TaskRegistry};

/// An order placed by a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order's id (also the execution's name).
    pub id: String,
    /// The item ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
}

/// Stock set aside for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    /// The order.
    pub order_id: String,
    /// The shelf the items are on.
    pub shelf: String,
    /// How many.
    pub quantity: u32,
}

/// What the warehouse answers once the parcel left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The order.
    pub order_id: String,
    /// The carrier's tracking number.
    pub tracking: String,
}

/// The workflow's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The order.
    pub order_id: String,
    /// Where to follow the parcel.
    pub tracking_url: String,
}

/// The request the warehouse receives: the reservation and the task token to answer with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentRequest {
    /// What to ship.
    pub reservation: Reservation,
    /// The token to pass to [`Service::dispatched`].
    pub task_token: String,
}

/// Sets stock aside; an order of nothing is refused.
pub async fn reserve(order: Order) -> Result<Reservation, TaskError> {
    if order.quantity == 0 {
        return Err(TaskError::new(
            "Order.Empty",
            format!("order {} has no items", order.id),
        ));
    }
    Ok(Reservation {
        shelf: format!("A-{}", order.item.len()),
        order_id: order.id,
        quantity: order.quantity,
    })
}

/// Confirms the delivery.
pub async fn confirm(d: Dispatch) -> Result<Delivery, TaskError> {
    Ok(Delivery {
        tracking_url: format!("https://track.example/{}", d.tracking),
        order_id: d.order_id,
    })
}

/// The warehouse's queue (SQS in production): the `.waitForTaskToken` task's resource. Its
/// handler is registered under the resource without the suffix.
pub const WAREHOUSE_QUEUE: &str = "arn:aws:states:::sqs:sendMessage";

workflow! {
    /// Reserve, have the warehouse ship (it answers with the task token), confirm.
    pub Fulfil(Order) -> Delivery {
        Reserve: task reserve -> Ship;
        Ship: task {
            resource "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
            parameters { "reservation.$": "$", "task_token.$": "$$.Task.Token" };
            timeout 7d;
        } -> Confirm;
        Confirm: task confirm end;
    }
}

/// The service: a runtime on a SQLite file with [`Fulfil`] registered, and the warehouse's
/// inbox of shipment requests.
#[derive(Debug, Clone)]
pub struct Service {
    runtime: Runtime,
    inbox: Arc<Mutex<Vec<ShipmentRequest>>>,
}

impl Service {
    /// Opens the service on `db` (created when missing) and continues the orders a previous
    /// process left running.
    pub async fn open(db: impl AsRef<Path>) -> Result<Self, RuntimeError> {
        let runtime = Runtime::open(db)?;
        let inbox: Arc<Mutex<Vec<ShipmentRequest>>> = Arc::default();
        let sink = inbox.clone();
        let mut tasks: TaskRegistry = Fulfil::tasks();
        tasks.register(WAREHOUSE_QUEUE, move |request: ShipmentRequest| {
            let sink = sink.clone();
            async move {
                if let Ok(mut inbox) = sink.lock() {
                    inbox.push(request);
                }
                Ok::<_, TaskError>("queued")
            }
        });
        runtime.register(Fulfil::NAME, Fulfil::state_machine(), tasks)?;
        runtime.resume().await?;
        Ok(Self { runtime, inbox })
    }

    /// Places an order: a durable execution named after the order's id.
    pub async fn place(&self, order: Order) -> Result<Execution<Fulfil>, RuntimeError> {
        let name = order.id.clone();
        Execution::<Fulfil>::start(&self.runtime, &name, order).await
    }

    /// The execution of an order, from its ARN.
    pub async fn order(&self, arn: &str) -> Result<Execution<Fulfil>, RuntimeError> {
        Execution::<Fulfil>::attach(&self.runtime, arn).await
    }

    /// The shipment requests the warehouse received (from this process) and not yet answered.
    pub fn shipment_requests(&self) -> Vec<ShipmentRequest> {
        self.inbox.lock().map(|i| i.clone()).unwrap_or_default()
    }

    /// The warehouse's answer: the parcel left.
    pub async fn dispatched(
        &self,
        task_token: &str,
        dispatch: &Dispatch,
    ) -> Result<(), RuntimeError> {
        self.runtime.send_task_success(task_token, dispatch).await?;
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.retain(|r| r.task_token != task_token);
        }
        Ok(())
    }

    /// Waits (up to 10 s) until the warehouse received a shipment request for `order_id`.
    pub async fn wait_for_request(&self, order_id: &str) -> Option<ShipmentRequest> {
        for _ in 0..1000 {
            let found = self
                .shipment_requests()
                .into_iter()
                .find(|r| r.reservation.order_id == order_id);
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        None
    }
}
