use stepfn::workflow;
async fn h(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }

workflow! {
    pub W {
        A: task h {
            retry [States.ALL] every 1s;
            retry [Custom.Error] every 1s;
        } end;
    }
}

fn main() {}
