use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
            $.x == 1 => B,
        } end;
        B: succeed;
    }
}

fn main() {}
