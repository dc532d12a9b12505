use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            assign { "states": 1 };
        } end;
    }
}

fn main() {}
