use stepfn::workflow;

async fn h(a: u64) -> u64 {
    a
}

workflow! {
    pub W(u64) {
        A: task h end;
    }
}

fn main() {}
