use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            "ResultSelecter": { "a": 1 };
        } end;
    }
}

fn main() {}
