use stepfn::workflow;

workflow! {
    pub W {
        A: wait 5x end;
    }
}

fn main() {}
