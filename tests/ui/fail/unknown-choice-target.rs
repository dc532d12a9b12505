use stepfn::workflow;

workflow! {
    pub W {
        A: choice {
            $.x == 1 => Done,
            _ => Other,
        }
        Dne: succeed;
        Other: succeed;
    }
}

fn main() {}
