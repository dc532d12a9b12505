//! Map: price every line of an invoice, at most four at a time; results keep the item order.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

/// An invoice line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The product.
    pub sku: String,
    /// How many.
    pub qty: u32,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priced {
    /// The product.
    pub sku: String,
    /// The line total in cents.
    pub total: u64,
}

/// Prices one line (every product costs 250 cents).
pub async fn price(line: Line) -> Result<Priced, TaskError> {
    if line.qty == 0 {
        return Err(TaskError::new(
            "Invoice.EmptyLine",
            format!("{} has quantity 0", line.sku),
        ));
    }
    Ok(Priced {
        total: u64::from(line.qty) * 250,
        sku: line.sku,
    })
}

workflow! {
    /// Price every line of an invoice.
    pub Invoice {
        Lines: map "$.lines" {
            max_concurrency 4;
            processor {
                Price: task price end;
            }
            result_path "$.priced";
            catch [Invoice.EmptyLine] into "$.error" -> Rejected;
        } end;
        Rejected: fail "Invoice.Rejected", "an invoice line is empty";
    }
}
