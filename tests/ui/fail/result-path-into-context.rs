use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            result_path $$.Execution;
        } end;
    }
}

fn main() {}
