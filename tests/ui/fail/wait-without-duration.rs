use stepfn::workflow;

workflow! {
    pub W {
        A: wait end;
    }
}

fn main() {}
