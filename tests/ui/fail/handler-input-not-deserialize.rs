use stepfn::workflow;
struct NotSerde;
async fn h(_v: NotSerde) -> Result<serde_json::Value, stepfn::TaskError> { Ok(serde_json::Value::Null) }

workflow! {
    pub W {
        A: task h end;
    }
}

fn main() {}
