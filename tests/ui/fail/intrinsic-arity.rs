use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            parameters { "n.$": "States.MathAdd($.n)" };
        } end;
    }
}

fn main() {}
