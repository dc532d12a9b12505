//! The shape of a typed task handler, as `workflow!` uses it: every use of a handler in the
//! generated code (registering it, calling it, the type checks) goes through [`TaskFn`], so a
//! handler of the wrong shape gets one error, on the handler, saying what a handler is.

use crate::engine::tasks::{TaskError, TaskRegistry};
use crate::typecheck::{JsonInput, Reaches};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// A typed task handler: an `async fn(In) -> Result<Out, E>`. `Shape` is `(In, Out, E)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stepfn task handler",
    label = "not an `async fn(In) -> Result<Out, E>`",
    note = "a task handler is an `async fn` of one argument `In: serde::Deserialize` returning `Result<Out, E>`, where `Out: serde::Serialize` and `E: Into<stepfn::TaskError>`"
)]
pub trait TaskFn<Shape>: Send + Sync + 'static {
    /// The input type.
    type Input;
    /// The output type.
    type Output;
    /// The error type.
    type Error;
    /// The future of one call.
    type Future: Future<Output = Result<Self::Output, Self::Error>> + Send + 'static;

    /// Calls the handler.
    fn call_task(&self, input: Self::Input) -> Self::Future;

    /// Registers the handler for `resource` (the interpreter calls it through JSON).
    fn register_task(self, registry: &mut TaskRegistry, resource: &str)
    where
        Self: Sized;

    /// A placeholder of the output type, for type checks. Never called.
    fn output_of(&self) -> Self::Output {
        unreachable!("a type check is never run")
    }

    /// Type check: the value is exactly the handler's input type. Never called.
    fn takes<V: Reaches<Self::Input>>(&self, _value: &V) {}

    /// Type check: the handler's input is read from merged JSON (`serde_json::Value` or a
    /// [`JsonInput`]). Never called.
    fn takes_json(&self)
    where
        Self::Input: JsonInput,
    {
    }
}

impl<F, I, O, E, Fut> TaskFn<(I, O, E)> for F
where
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    E: Into<TaskError> + Send + 'static,
{
    type Input = I;
    type Output = O;
    type Error = E;
    type Future = Fut;

    #[inline(always)]
    fn call_task(&self, input: I) -> Fut {
        self(input)
    }

    fn register_task(self, registry: &mut TaskRegistry, resource: &str) {
        registry.register(resource, self);
    }
}

/// Implemented by nothing: the impl below only makes [`TaskFn`] have two, so that rustc reports
/// a handler of the wrong shape as "not a stepfn task handler" (the trait's message) rather
/// than as whichever bound of the one impl failed first.
pub trait NotAHandler {}

/// The `Shape` of the impl that never applies.
pub enum NoShape {}

impl<F: NotAHandler + Send + Sync + 'static> TaskFn<NoShape> for F {
    type Input = NoShape;
    type Output = NoShape;
    type Error = NoShape;
    type Future = std::future::Pending<Result<NoShape, NoShape>>;

    fn call_task(&self, input: NoShape) -> Self::Future {
        match input {}
    }

    fn register_task(self, _registry: &mut TaskRegistry, _resource: &str) {}
}
