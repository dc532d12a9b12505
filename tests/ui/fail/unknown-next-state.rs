use stepfn::workflow;

workflow! {
    pub W {
        start A;
        A: pass -> Chek;
        Check: succeed;
    }
}

fn main() {}
