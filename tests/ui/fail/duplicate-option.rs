use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            result_path $.a;
            result_path $.b;
        } end;
    }
}

fn main() {}
