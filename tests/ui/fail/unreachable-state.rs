use stepfn::workflow;

workflow! {
    pub W {
        A: pass end;
        Orphan: succeed;
    }
}

fn main() {}
