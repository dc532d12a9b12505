//! Checkout: a `workflow!` whose handlers run natively, as AWS Lambda functions
//! (`src/bin/handlers.rs`), and under `stepfn run|serve --lambda-endpoint` against
//! `cargo lambda watch`. `template.json` deploys it (`cargo xtask template` refreshes it).
//!
//! A card `declined` makes `charge` fail with `Payment.Declined`, which is retried once and then
//! caught; an order id starting with `oos-` is out of stock.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

/// An incoming order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order id.
    pub id: String,
    /// The amount to charge, in cents.
    pub amount: u64,
    /// The card token.
    pub card: String,
}

/// An order whose stock is reserved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reserved {
    /// The order.
    pub order: Order,
    /// The reservation id.
    pub reservation: String,
}

/// A paid order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paid {
    /// The order id.
    pub id: String,
    /// The payment id.
    pub payment: String,
}

/// A shipped order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipped {
    /// The order id.
    pub id: String,
    /// The payment id.
    pub payment: String,
    /// The carrier's tracking number.
    pub tracking: String,
}

/// Reserves stock.
pub async fn reserve(order: Order) -> Result<Reserved, TaskError> {
    if order.id.starts_with("oos-") {
        return Err(TaskError::new(
            "Stock.Unavailable",
            format!("no stock for {}", order.id),
        ));
    }
    Ok(Reserved {
        reservation: format!("r-{}", order.id),
        order,
    })
}

/// Charges the card; the card `declined` is declined.
pub async fn charge(r: Reserved) -> Result<Paid, TaskError> {
    if r.order.card == "declined" {
        return Err(TaskError::new(
            "Payment.Declined",
            "the issuer declined the card",
        ));
    }
    Ok(Paid {
        id: r.order.id,
        payment: format!("p-{}", r.reservation),
    })
}

/// Books the shipment.
pub async fn ship(p: Paid) -> Result<Shipped, TaskError> {
    Ok(Shipped {
        tracking: format!("1Z-{}", p.id),
        id: p.id,
        payment: p.payment,
    })
}

workflow! {
    /// Reserve, charge (a declined card is tried once more, then caught), ship.
    pub Checkout(Order) -> Shipped {
        comment "reserve stock, charge the card, ship";
        timeout 5m;
        start Reserve;

        Reserve: task reserve {
            catch [Stock.Unavailable] into "$.error" -> OutOfStock;
        } -> Charge;
        Charge: task charge {
            retry [Payment.Declined] every 1s, 1 times, backoff 1.0;
            catch [Payment.Declined] into "$.error" -> Declined;
        } -> Ship;
        Ship: task ship end;
        OutOfStock: fail "Order.OutOfStock", "an item is out of stock";
        Declined: fail "Order.Declined", "the card was declined";
    }
}

/// The files this crate commits beside its `Cargo.toml`, and their fresh contents: the exported
/// ASL and the SAM template deploying it (`cargo xtask template` writes them).
pub fn exported() -> Result<Vec<(&'static str, String)>, stepfn::template::TemplateError> {
    let options = stepfn::template::Options {
        // `cargo lambda build` in this workspace member writes to the workspace's target/.
        code_uri: "../../target/lambda/".into(),
        ..stepfn::template::Options::default()
    };
    let template = stepfn::template::for_workflow::<Checkout>(&options)?;
    Ok(vec![
        (
            "Checkout.asl.json",
            format!("{}\n", <Checkout as stepfn::Workflow>::ASL),
        ),
        (
            "template.json",
            format!(
                "{}\n",
                serde_json::to_string_pretty(&template).unwrap_or_default()
            ),
        ),
    ])
}
