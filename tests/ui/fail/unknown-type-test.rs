use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
            $.x is nothing => B,
            _ => B,
        }
        B: succeed;
    }
}

fn main() {}
