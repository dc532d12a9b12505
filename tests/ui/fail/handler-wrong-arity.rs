use stepfn::{workflow, TaskError};

async fn h(a: u64, _b: u64) -> Result<u64, TaskError> {
    Ok(a)
}

workflow! {
    pub W(u64) {
        A: task h end;
    }
}

fn main() {}
