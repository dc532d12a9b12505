use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Receipt {
    pub id: String,
}

#[derive(Serialize, Deserialize)]
pub struct Shipped {
    pub tracking: String,
}

async fn ship(id: String) -> Result<Shipped, TaskError> {
    Ok(Shipped { tracking: id })
}

workflow! {
    pub W(String) -> Receipt {
        Ship: task ship end;
    }
}

fn main() {}
