use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            parameters { "x.$": 3 };
        } end;
    }
}

fn main() {}
