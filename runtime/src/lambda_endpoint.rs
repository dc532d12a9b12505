//! Task states on Lambda functions, invoked through a Lambda Invoke endpoint with the AWS SDK
//! (feature `lambda-invoke`): what `stepfn run|serve --lambda-endpoint URL` does, like Step
//! Functions Local's `LAMBDA_ENDPOINT`. Point it at a local emulator (`cargo lambda watch`) or at
//! AWS.
//!
//! Two resource forms, with AWS's results and errors:
//! - a function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`): the effective
//!   input is the event and the result is the function's response;
//! - `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`): the effective input holds
//!   `FunctionName`, `Payload` and optionally `Qualifier`; the result wraps the response as
//!   `{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}`.
//!
//! A function error fails the task with the function's `errorType` as the error name (what
//! `Retry`/`Catch` match) and the whole error payload as the cause; a function error without a
//! type is `Lambda.Unknown`, an error of the Lambda service `Lambda.<its code>` and a request that
//! never got an answer `Lambda.SdkClientException`. The SDK's own retries are off: each attempt
//! of the Task is one invocation, retried only by the state's `Retry`.

use crate::engine::tasks::{TaskHandler, TaskRequest};
use crate::error::{names, StatesError};
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::RequestId;
use aws_sdk_lambda::primitives::Blob;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::sync::Arc;

/// The optimized integration's resource.
const INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Invokes Lambda functions for Task states; other resources go to the next handler, if any.
#[derive(Clone)]
pub struct LambdaEndpoint {
    client: aws_sdk_lambda::Client,
    next: Option<Arc<dyn TaskHandler>>,
}

impl std::fmt::Debug for LambdaEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaEndpoint").finish_non_exhaustive()
    }
}

/// How a Task's resource reaches Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A function ARN: the result is the response.
    FunctionArn,
    /// `lambda:invoke`: the result wraps the response in `Payload`.
    Integration,
}

impl LambdaEndpoint {
    /// A client of the Lambda Invoke API at `endpoint` (e.g. `http://127.0.0.1:9000`). The
    /// region is `AWS_REGION` (default [`crate::arn::DEFAULT_REGION`]); requests are signed with
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` when set, else with placeholder credentials
    /// (local emulators do not check them).
    pub fn new(endpoint: &str) -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| crate::arn::DEFAULT_REGION.into());
        let credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => {
                Credentials::new(id, secret, env("AWS_SESSION_TOKEN"), None, "environment")
            }
            _ => Credentials::new("stepfn", "stepfn", None, None, "stepfn-local"),
        };
        let config = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(region))
            .credentials_provider(credentials)
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_lambda::Client::from_conf(config),
            next: None,
        }
    }

    /// Sends the Task states that are not on Lambda to `next` (e.g. another fallback handler).
    pub fn with_next(mut self, next: Arc<dyn TaskHandler>) -> Self {
        self.next = Some(next);
        self
    }

    async fn call(&self, form: Form, resource: &str, input: Value) -> Result<Value, StatesError> {
        let (target, payload) = match form {
            Form::FunctionArn => (function_of(resource), input),
            Form::Integration => {
                let Value::Object(mut params) = input else {
                    return Err(invalid(
                        "the parameters of `lambda:invoke` must be an object",
                    ));
                };
                let Some(Value::String(name)) = params.remove("FunctionName") else {
                    return Err(invalid("`lambda:invoke` needs a string `FunctionName`"));
                };
                let (name, mut qualifier) = function_of(&name);
                match params.remove("Qualifier") {
                    Some(Value::String(q)) => qualifier = Some(q),
                    None => {}
                    Some(_) => {
                        return Err(invalid("`lambda:invoke`: `Qualifier` must be a string"))
                    }
                }
                (
                    (name, qualifier),
                    params.remove("Payload").unwrap_or(Value::Null),
                )
            }
        };
        let (name, qualifier) = target;
        let body = serde_json::to_vec(&payload).map_err(|e| invalid(&e.to_string()))?;
        let response = self
            .client
            .invoke()
            .function_name(&name)
            .set_qualifier(qualifier)
            .payload(Blob::new(body))
            .send()
            .await
            .map_err(|e| match &e {
                // `cargo lambda watch` answers a function error with HTTP 500 and the error
                // payload, where Lambda answers 200 with `X-Amz-Function-Error`: the same error.
                SdkError::ServiceError(s) => match function_error_body(s.raw().body().bytes()) {
                    Some(body) => function_error(body),
                    None => StatesError::new(
                        format!("Lambda.{}", s.err().code().unwrap_or("AWSLambdaException")),
                        s.err().message().unwrap_or("").to_string(),
                    ),
                },
                _ => StatesError::new(
                    "Lambda.SdkClientException",
                    format!(
                        "invoking `{name}`: {}",
                        aws_sdk_lambda::error::DisplayErrorContext(&e)
                    ),
                ),
            })?;
        let text = response
            .payload()
            .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
            .unwrap_or_default();
        if response.function_error().is_some() {
            return Err(function_error(text));
        }
        let result: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| invalid(&format!("the response of `{name}` is not JSON: {e}")))?
        };
        Ok(match form {
            Form::FunctionArn => result,
            Form::Integration => json!({
                "ExecutedVersion": response.executed_version().unwrap_or("$LATEST"),
                "Payload": result,
                "SdkHttpMetadata": {"HttpStatusCode": response.status_code()},
                "SdkResponseMetadata": {"RequestId": response.request_id().unwrap_or_default()},
                "StatusCode": response.status_code(),
            }),
        })
    }
}

impl TaskHandler for LambdaEndpoint {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> {
        let form = match request.resource.as_str() {
            r if r.starts_with("arn:aws:lambda:") => Form::FunctionArn,
            r if r.strip_suffix(".waitForTaskToken").unwrap_or(r) == INVOKE => Form::Integration,
            _ => {
                return match &self.next {
                    Some(next) => next.invoke(request),
                    None => {
                        let e = invalid(&format!(
                            "no task handler is registered for the resource `{}` (only Lambda functions are sent to the Lambda endpoint)",
                            request.resource
                        ));
                        Box::pin(async move { Err(e) })
                    }
                };
            }
        };
        let this = self.clone();
        Box::pin(async move { this.call(form, &request.resource, request.input).await })
    }
}

/// The function name and qualifier of a function ARN, a partial ARN (`ACCOUNT:function:NAME`)
/// or a name (`NAME[:QUALIFIER]`).
fn function_of(reference: &str) -> (String, Option<String>) {
    let rest = match reference.find("function:") {
        Some(i) => &reference[i + "function:".len()..],
        None => reference,
    };
    match rest.split_once(':') {
        Some((name, qualifier)) => (name.to_string(), Some(qualifier.to_string())),
        None => (rest.to_string(), None),
    }
}

/// A function error as Step Functions reports it: the `errorType` names the error (else
/// `Lambda.Unknown`) and the error payload is the cause.
fn function_error(payload: String) -> StatesError {
    let error = serde_json::from_str::<Value>(&payload)
        .ok()
        .and_then(|v| v.get("errorType")?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Lambda.Unknown".into());
    StatesError::new(error, payload)
}

/// The body of a response when it is a function error payload (has `errorType`).
fn function_error_body(body: Option<&[u8]>) -> Option<String> {
    let v: Value = serde_json::from_slice(body?).ok()?;
    v.get("errorType")?.as_str()?;
    Some(String::from_utf8_lossy(body?).into_owned())
}

fn invalid(cause: &str) -> StatesError {
    StatesError::new(names::TASK_FAILED, cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references() {
        let f = function_of;
        assert_eq!(f("charge"), ("charge".into(), None));
        assert_eq!(f("charge:live"), ("charge".into(), Some("live".into())));
        assert_eq!(
            f("arn:aws:lambda:us-east-1:123456789012:function:charge"),
            ("charge".into(), None)
        );
        assert_eq!(
            f("arn:aws:lambda:us-east-1:123456789012:function:charge:7"),
            ("charge".into(), Some("7".into()))
        );
        assert_eq!(f("123456789012:function:charge"), ("charge".into(), None));
    }

    #[test]
    fn function_errors_are_named_by_their_type() {
        let p = r#"{"errorType":"Payment.Declined","errorMessage":"no"}"#;
        let e = function_error(p.into());
        assert_eq!(
            (e.error.as_str(), e.cause.as_str()),
            ("Payment.Declined", p)
        );
        assert_eq!(function_error("crash".into()).error, "Lambda.Unknown");
        assert_eq!(
            function_error(r#"{"errorMessage":"x"}"#.into()).error,
            "Lambda.Unknown"
        );
    }

    #[tokio::test]
    async fn other_resources_go_to_the_next_handler_or_fail_clearly() {
        let request = |resource: &str| TaskRequest {
            state_name: "S".into(),
            resource: resource.into(),
            input: json!({}),
            attempt: 0,
            idempotency_key: "k".into(),
            task_token: None,
        };
        let endpoint = LambdaEndpoint::new("http://127.0.0.1:9");
        let e = endpoint
            .invoke(request("arn:aws:states:::sqs:sendMessage"))
            .await
            .unwrap_err();
        assert!(e.cause.contains("sqs:sendMessage"), "{e:?}");
        let mut tasks = crate::TaskRegistry::new();
        tasks.register_json("x", |v| async move { Ok(v) });
        let next = tasks.get("x").unwrap().clone();
        let endpoint = endpoint.with_next(next);
        assert_eq!(endpoint.invoke(request("x")).await.unwrap(), json!({}));
        // Nothing listens on port 9: the request never gets an answer.
        let e = endpoint
            .invoke(request("arn:aws:lambda:us-east-1:1:function:f"))
            .await
            .unwrap_err();
        assert_eq!(e.error, "Lambda.SdkClientException", "{e:?}");
        let e = endpoint.invoke(request(INVOKE)).await.unwrap_err();
        assert!(
            e.cause.contains("must be an object") || e.cause.contains("FunctionName"),
            "{e:?}"
        );
    }
}
