use stepfn::workflow;
struct MyError;
async fn h(v: serde_json::Value) -> Result<serde_json::Value, MyError> { let _ = MyError; Ok(v) }

workflow! {
    pub W {
        A: task h end;
    }
}

fn main() {}
