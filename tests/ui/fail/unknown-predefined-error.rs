use stepfn::workflow;
async fn h(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }

workflow! {
    pub W {
        A: task h {
            retry [States.Timout] every 1s;
        } end;
    }
}

fn main() {}
