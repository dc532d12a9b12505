use stepfn::workflow;
async fn make_number(_v: serde_json::Value) -> Result<u64, stepfn::TaskError> { Ok(1) }
async fn wants_text(s: String) -> Result<String, stepfn::TaskError> { Ok(s) }

workflow! {
    pub W {
        A: task make_number -> B;
        B: task wants_text end;
    }
}

fn main() {}
