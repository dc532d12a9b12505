use stepfn::workflow;

workflow! {
    pub W {
        M: map $.items end;
    }
}

fn main() {}
