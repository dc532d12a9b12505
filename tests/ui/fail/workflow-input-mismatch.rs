use stepfn::workflow;
async fn wants_text(s: String) -> Result<String, stepfn::TaskError> { Ok(s) }

workflow! {
    pub W(u64) -> String {
        A: task wants_text end;
    }
}

fn main() {}
