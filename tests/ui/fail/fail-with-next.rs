use stepfn::workflow;

workflow! {
    pub W {
        A: fail "E", "c" -> B;
        B: succeed;
    }
}

fn main() {}
