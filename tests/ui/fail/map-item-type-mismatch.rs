use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

#[derive(Serialize, Deserialize)]
pub struct Batch {
    pub items: Vec<u64>,
}

async fn load(n: u64) -> Result<Batch, TaskError> {
    Ok(Batch { items: vec![n] })
}

async fn greet(name: String) -> Result<String, TaskError> {
    Ok(name)
}

workflow! {
    pub W(u64) {
        Load: task load -> Each;
        Each: map $.items {
            processor {
                Greet: task greet end;
            }
        } end;
    }
}

fn main() {}
