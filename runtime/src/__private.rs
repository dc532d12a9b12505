//! Items used by code that `workflow!` generates. Not part of the public API.

pub use serde_json;

use crate::engine::tasks::{TaskError, TaskRegistry};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// Parses a workflow's ASL text, which the macro validated at compile time.
pub fn asl_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text)
        .unwrap_or_else(|e| unreachable!("workflow! emitted invalid JSON: {e}"))
}

/// Reads a workflow's ASL text into the model; the macro validated it with the same validator.
pub fn asl_state_machine(text: &str) -> stepfn_asl::StateMachine {
    stepfn_asl::StateMachine::from_json_str(text)
        .unwrap_or_else(|d| unreachable!("workflow! emitted an invalid definition: {d:?}"))
}

/// What a typed task handler is: an `async fn(In) -> Result<Out, E>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stepfn task handler",
    label = "not an `async fn(In) -> Result<Out, E>`",
    note = "a task handler is an `async fn(In) -> Result<Out, E>` where `In: serde::Deserialize`, `Out: serde::Serialize` and `E: Into<stepfn::TaskError>`"
)]
pub trait TaskFn<I, O, E, Fut>: Fn(I) -> Fut + Send + Sync + 'static {}

impl<F, I, O, E, Fut> TaskFn<I, O, E, Fut> for F
where
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    E: Into<TaskError> + Send + 'static,
{
}

/// Registers a typed handler (the call site carries the handler's span, so a wrong shape is
/// reported on the user's handler).
pub fn register_task<F, I, O, E, Fut>(registry: &mut TaskRegistry, resource: &str, handler: F)
where
    F: TaskFn<I, O, E, Fut>,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    E: Into<TaskError> + Send + 'static,
{
    registry.register(resource, handler);
}

pub use crate::engine::tasks::handler_name;
pub use futures::future::BoxFuture;
pub use indexmap::IndexMap;
pub use tokio::time::timeout;

/// The type checks `workflow!` writes (never run).
pub use crate::typecheck::*;
