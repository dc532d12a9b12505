use stepfn::workflow;
async fn h(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }

workflow! {
    pub W {
        A: task h {
            catch [States.ALL, Custom.Error] -> B;
        } end;
        B: succeed;
    }
}

fn main() {}
