use stepfn::workflow;
async fn h(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }

workflow! {
    pub W {
        A: task h {
            timeout 10s;
            heartbeat 10s;
        } end;
    }
}

fn main() {}
