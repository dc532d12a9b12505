use serde_json::Value;
use stepfn::workflow;

mod a {
    pub async fn charge(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> {
        Ok(v)
    }
}

mod b {
    pub async fn charge(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> {
        Ok(v)
    }
}

workflow! {
    pub W(Value) -> Value {
        start First;
        First: task a::charge -> Again;
        Again: task a::charge -> Second;
        Second: task b::charge end;
    }
}

fn main() {}
