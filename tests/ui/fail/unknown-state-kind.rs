use stepfn::workflow;

workflow! {
    pub W {
        A: pasz end;
    }
}

fn main() {}
