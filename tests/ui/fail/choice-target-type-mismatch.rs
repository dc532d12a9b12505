use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub total: u64,
}

async fn load(id: String) -> Result<Order, TaskError> {
    Ok(Order { total: id.len() as u64 })
}

async fn review(o: Order) -> Result<Order, TaskError> {
    Ok(o)
}

async fn greet(name: String) -> Result<String, TaskError> {
    Ok(name)
}

workflow! {
    pub W(String) {
        Load: task load -> Check;
        Check: choice {
            $.total > 100 => Review,
            _ => Greet,
        }
        Review: task review end;
        Greet: task greet end;
    }
}

fn main() {}
