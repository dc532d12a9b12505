use stepfn::workflow;

workflow! {
    pub W {
        A: succeed -> B;
        B: succeed;
    }
}

fn main() {}
