use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            output { "a": 1 };
        } end;
    }
}

fn main() {}
