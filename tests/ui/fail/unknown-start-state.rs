use stepfn::workflow;

workflow! {
    pub W {
        start Frist;
        First: succeed;
    }
}

fn main() {}
