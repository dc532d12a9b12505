use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            retyr [States.ALL];
        } end;
    }
}

fn main() {}
