use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
}

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub customer: Customer,
    pub total: u64,
}

async fn load(id: String) -> Result<Order, TaskError> {
    Ok(Order { customer: Customer { name: id }, total: 1 })
}

async fn greet(name: String) -> Result<String, TaskError> {
    Ok(name)
}

workflow! {
    /// `$.customer.name` is checked by rustc: the field exists and is a `String`.
    pub W(String) -> String {
        Load: task load -> Greet;
        Greet: task greet {
            input_path $.customer.name;
        } end;
    }
}

fn main() {
    let _ = W::ASL;
}
