use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub customer: String,
    pub total: u64,
}

async fn load(id: String) -> Result<Order, TaskError> {
    Ok(Order { customer: id, total: 1 })
}

async fn greet(name: String) -> Result<String, TaskError> {
    Ok(name)
}

workflow! {
    pub W(String) -> String {
        Load: task load -> Greet;
        Greet: task greet {
            input_path $.total;
        } end;
    }
}

fn main() {}
