use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
        }
        B: succeed;
    }
}

fn main() {}
