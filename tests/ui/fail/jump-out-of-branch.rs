use stepfn::workflow;

workflow! {
    pub W {
        P: parallel {
            branch {
                B1: pass -> After;
            }
        } -> After;
        After: succeed;
    }
}

fn main() {}
