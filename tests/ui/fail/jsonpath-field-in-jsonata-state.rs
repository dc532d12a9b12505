use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            query_language jsonata;
            input_path $.a;
        } end;
    }
}

fn main() {}
