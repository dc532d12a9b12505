use stepfn::workflow;

workflow! {
    pub W {
        A: pass {
            input_path "$.a[";
        } end;
    }
}

fn main() {}
