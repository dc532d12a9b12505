use stepfn::workflow;

workflow! {
    pub W {
        A: pass -> B;
        B: pass -> A;
    }
}

fn main() {}
