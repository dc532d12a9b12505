use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub customer: String,
}

async fn load(customer: String) -> Result<Order, TaskError> {
    Ok(Order { customer })
}

workflow! {
    pub W(String) {
        Load: task load -> Check;
        Check: choice {
            $.customer > 100 => Big,
            _ => Small,
        }
        Big: succeed;
        Small: succeed;
    }
}

fn main() {}
