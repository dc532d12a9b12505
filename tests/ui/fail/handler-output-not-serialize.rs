use stepfn::{workflow, TaskError};

pub struct Receipt;

async fn h(_a: u64) -> Result<Receipt, TaskError> {
    Ok(Receipt)
}

workflow! {
    pub W(u64) {
        A: task h end;
    }
}

fn main() {}
