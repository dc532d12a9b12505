use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            assign { "1st": 1 };
        } end;
    }
}

fn main() {}
