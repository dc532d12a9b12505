use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub address: String,
}

/// A hand-written "bag": the order with the charge merged in at `$.charge`.
#[derive(Serialize, Deserialize)]
pub struct ShipRequest {
    pub address: String,
    pub charge: String,
}

async fn charge(_o: Order) -> Result<String, TaskError> {
    Ok("ch_1".into())
}

async fn ship(r: ShipRequest) -> Result<String, TaskError> {
    Ok(r.charge)
}

workflow! {
    pub W(Order) {
        Charge: task charge {
            result_path $.charge;
        } -> Ship;
        Ship: task ship end;
    }
}

fn main() {}
