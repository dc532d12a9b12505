use stepfn::workflow;

workflow! {
    pub W {
        A: wait until "2024-01-01 10:00:00" end;
    }
}

fn main() {}
