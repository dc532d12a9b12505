use stepfn::workflow;

workflow! {
    pub W {
        timeout 0;
        A: succeed;
    }
}

fn main() {}
