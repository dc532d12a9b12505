//! Items used by code that `workflow!` generates. Not part of the public API.

pub use serde_json;

pub use crate::mock::mock_entry;

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

/// Type check: the output of `from` is exactly the input of `to`. Never called.
pub fn check_flow<F1, I1, O1, E1, Fut1, F2, O2, E2, Fut2>(_from: &F1, _to: &F2)
where
    F1: Fn(I1) -> Fut1,
    Fut1: Future<Output = Result<O1, E1>>,
    F2: Fn(O1) -> Fut2,
    Fut2: Future<Output = Result<O2, E2>>,
{
}

/// Type check: the workflow's input type is exactly the first handler's input. Never called.
pub fn check_input<I, F, O, E, Fut>(_to: &F)
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
}

pub use futures::future::BoxFuture;
pub use indexmap::IndexMap;
pub use tokio::time::timeout;

/// Type check: `select` reads a field of `from`'s output whose type is exactly `to`'s input
/// (an `InputPath` like `$.customer` between two typed tasks). Never called.
#[allow(clippy::type_complexity)]
pub fn check_field_flow<F1, I1, O1, E1, Fut1, T, F2, O2, E2, Fut2>(
    _from: &F1,
    _select: fn(&O1) -> &T,
    _to: &F2,
) where
    F1: Fn(I1) -> Fut1,
    Fut1: Future<Output = Result<O1, E1>>,
    F2: Fn(T) -> Fut2,
    Fut2: Future<Output = Result<O2, E2>>,
{
}

/// Type check: `select` reads a field of the workflow's input whose type is exactly `to`'s input.
/// Never called.
pub fn check_input_field<I, T, F, O, E, Fut>(_select: fn(&I) -> &T, _to: &F)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
}

/// The generated code's driver: the per-state rules called with typed values.
pub mod compiled {
    pub use crate::compiled::*;
}

/// Internals that the repository's own benchmarks and tests measure directly. Not an API.
pub mod internals {
    pub use crate::engine::choice;
    pub use crate::io::context::ExecutionInfo;
    pub use crate::io::{intrinsics, paths, size, template, Context, Env, Variables};
}
