use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
            $.x == 1 => B,
            _ => Dflt,
        }
        B: succeed;
        Default: succeed;
    }
}

fn main() {}
