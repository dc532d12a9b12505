use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepfn::{workflow, JsonInput, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub vip: bool,
}

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub customer: Customer,
    pub total: u64,
    pub discount: Option<f64>,
    pub lines: Vec<String>,
    pub extra: Value,
}

async fn load(id: String) -> Result<Order, TaskError> {
    Ok(Order {
        customer: Customer { name: id, vip: false },
        total: 1,
        discount: None,
        lines: Vec::new(),
        extra: Value::Null,
    })
}

async fn review(o: Order) -> Result<Order, TaskError> {
    Ok(o)
}

async fn line(l: String) -> Result<u64, TaskError> {
    Ok(l.len() as u64)
}

async fn charge(_o: Order) -> Result<String, TaskError> {
    Ok("ch_1".into())
}

/// Read from the JSON that `result_path` merged: opted in.
#[derive(Serialize, Deserialize)]
pub struct Charged {
    pub total: u64,
    pub charge: String,
}
impl JsonInput for Charged {}

async fn receipt(c: Charged) -> Result<String, TaskError> {
    Ok(c.charge)
}

async fn raw(v: Value) -> Result<Value, TaskError> {
    Ok(v)
}

workflow! {
    /// Typed values through Choices (fields of every comparison type), Waits, a Map's items, a
    /// `result_path` merge into a `JsonInput`, `result_path null`, and back to the output.
    pub W(String) -> Order {
        Load: task load -> Check;
        Check: choice {
            $.total > 100 && $.customer.name == "a" => Review,
            $.customer.vip == true => Review,
            $.discount >= 0.5 => Review,
            $.extra == "x" => Review,
            $.customer.name is present => Pause,
            _ => Review,
        }
        Pause: wait 1s -> Review;
        Review: task review {
            retry [States.ALL] every 1s, 2 times;
        } -> Lines;
        Lines: map $.lines {
            processor {
                Line: task line end;
            }
            result_path null;
        } -> Again;
        Again: task review -> Done;
        Done: succeed;
    }
}

workflow! {
    /// After a merge the next handler reads JSON; `-> Value` takes any output.
    pub Merged(Order) -> Value {
        Charge: task charge {
            result_path $.charge;
        } -> Receipt;
        Receipt: task receipt {
            result_path $.receipt;
        } -> Raw;
        Raw: task raw end;
    }
}

fn main() {
    let _ = (W::ASL, Merged::ASL);
}
