use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            result_path $.items[*];
        } end;
    }
}

fn main() {}
