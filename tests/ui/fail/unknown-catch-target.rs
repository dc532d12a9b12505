use stepfn::workflow;
async fn resource_only(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }

workflow! {
    pub W {
        A: task resource_only {
            catch [States.ALL] -> Recover;
        } end;
        Recovr: succeed;
    }
}

fn main() {}
