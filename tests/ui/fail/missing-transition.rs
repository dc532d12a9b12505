use stepfn::workflow;

workflow! {
    pub W {
        A: pass;
    }
}

fn main() {}
