use stepfn::workflow;

workflow! {
    pub W {
        M: map $.items {
            mode distributed;
            tolerated_percentage 150;
            processor {
                P: pass end;
            }
        } end;
    }
}

fn main() {}
