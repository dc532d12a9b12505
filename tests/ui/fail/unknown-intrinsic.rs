use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            parameters { "greeting.$": "States.Fromat('hi {}', $.name)" };
        } end;
    }
}

fn main() {}
