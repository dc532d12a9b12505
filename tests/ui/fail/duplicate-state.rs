use stepfn::workflow;

workflow! {
    pub W {
        A: pass -> B;
        B: pass end;
        B: succeed;
    }
}

fn main() {}
