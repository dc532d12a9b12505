use stepfn::workflow;

workflow! {
    pub W {
        A: task end;
    }
}

fn main() {}
