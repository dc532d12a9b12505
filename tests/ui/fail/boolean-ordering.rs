use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
            $.flag > true => B,
            _ => B,
        }
        B: succeed;
    }
}

fn main() {}
