use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub total: u64,
}

async fn load(id: String) -> Result<Order, TaskError> {
    Ok(Order { total: id.len() as u64 })
}

workflow! {
    pub W(String) {
        Load: task load -> Check;
        Check: choice {
            $.totl > 100 => Big,
            _ => Small,
        }
        Big: succeed;
        Small: succeed;
    }
}

fn main() {}
