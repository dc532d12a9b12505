//! A workflow's Rust task handlers as AWS Lambda functions (feature `lambda`, on
//! [`lambda_runtime`]).
//!
//! One Lambda function per handler, each a binary named after its handler (`src/bin/charge.rs`),
//! which is what `cargo lambda build` packages (`target/lambda/charge/bootstrap`), what
//! `cargo lambda watch` routes invocations by, and what [`crate::template`] deploys:
//!
//! ```no_run
//! # async fn charge(v: serde_json::Value) -> Result<serde_json::Value, stepfn::TaskError> { Ok(v) }
//! # stepfn::workflow! { pub Checkout { start Charge; Charge: task charge end; } }
//! #[tokio::main]
//! async fn main() -> Result<(), stepfn::lambda::Error> {
//!     stepfn::lambda::serve::<Checkout>("charge").await
//! }
//! ```
//!
//! In the exported ASL a handler `charge` is the Task `"Resource": "${charge}"`, which the
//! template substitutes with the function's plain ARN: the state's result is the handler's
//! return value (no `Payload` wrapper), and a handler's `TaskError { error, cause }` is returned
//! as a function error whose `errorType` is `error`, the name Step Functions matches in `Retry`
//! and `Catch` (its cause is then the error payload, as for any Lambda function error).

use crate::engine::tasks::{TaskHandler, TaskRegistry, TaskRequest};
use crate::workflow::Workflow;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;

pub use lambda_runtime::Error;

/// The handler names of a workflow (`charge` for `"Resource": "${charge}"`), sorted.
pub fn handler_names<W: Workflow>() -> Vec<String> {
    names_in(&W::tasks())
}

fn names_in(tasks: &TaskRegistry) -> Vec<String> {
    let mut names: Vec<String> = tasks
        .resources()
        .filter_map(placeholder_name)
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// `charge` for `${charge}`.
pub(crate) fn placeholder_name(resource: &str) -> Option<&str> {
    resource.strip_prefix("${")?.strip_suffix('}')
}

/// Serves the handler `name` of `W` as this Lambda function until the Lambda runtime stops;
/// fails at start (an init error in Lambda) when `W` has no such handler.
pub async fn serve<W: Workflow>(name: &str) -> Result<(), Error> {
    let handler = select(&W::tasks(), W::NAME, name)?;
    let name = name.to_string();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        invoke(handler.clone(), name.clone(), event)
    }))
    .await
}

/// The handler named `name`, or an error listing the workflow's handlers.
fn select(tasks: &TaskRegistry, workflow: &str, name: &str) -> Result<Arc<dyn TaskHandler>, Error> {
    let resource = format!("${{{name}}}");
    tasks.get_exact(&resource).cloned().ok_or_else(|| {
        format!(
            "workflow `{workflow}` has no handler `{name}`; its handlers: {}",
            names_in(tasks).join(", ")
        )
        .into()
    })
}

/// One invocation: the event is the Task's effective input, the response its result.
async fn invoke(
    handler: Arc<dyn TaskHandler>,
    name: String,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    let request = TaskRequest {
        state_name: String::new(),
        resource: format!("${{{name}}}"),
        input: event.payload,
        attempt: 0,
        idempotency_key: event.context.request_id,
        task_token: None,
    };
    handler.invoke(request).await.map_err(|e| Diagnostic {
        error_type: e.error,
        error_message: e.cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskError;

    fn two() -> TaskRegistry {
        let mut tasks = TaskRegistry::new();
        tasks.register("${declined}", |_: Value| async {
            Err::<Value, _>(TaskError::new("Payment.Declined", "no"))
        });
        tasks.register("${echo}", |v: Value| async move { Ok::<_, TaskError>(v) });
        tasks.register("arn:aws:states:::sqs:sendMessage", |v: Value| async move {
            Ok::<_, TaskError>(v)
        });
        tasks
    }

    fn event(payload: Value) -> LambdaEvent<Value> {
        LambdaEvent::new(payload, lambda_runtime::Context::default())
    }

    #[test]
    fn names_and_selection() {
        assert_eq!(names_in(&two()), ["declined", "echo"]);
        let err = select(&two(), "Two", "charge").err().unwrap().to_string();
        assert!(
            err.contains("`Two` has no handler `charge`") && err.contains("declined, echo"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn task_errors_become_function_errors_named_like_the_error() {
        let h = select(&two(), "Two", "declined").unwrap();
        let d = invoke(h, "declined".into(), event(Value::Null))
            .await
            .unwrap_err();
        assert_eq!(d.error_type, "Payment.Declined");
        assert_eq!(d.error_message, "no");
        let h = select(&two(), "Two", "echo").unwrap();
        let v = serde_json::json!({"a": [1]});
        assert_eq!(invoke(h, "echo".into(), event(v.clone())).await.unwrap(), v);
    }
}
