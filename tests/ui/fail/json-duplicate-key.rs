use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            result { "a": 1, "a": 2 };
        } end;
    }
}

fn main() {}
