//! Test runs of a `workflow!` workflow with some task handlers replaced: [`Mock`].

use crate::engine::tasks::{TaskError, TaskRegistry};
use crate::engine::{ExecutionOptions, ExecutionResult, Interpreter};
use crate::workflow::{output_of, RunError, Workflow};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::TypeId;
use std::future::Future;
use std::marker::PhantomData;

/// One handler of a workflow, as `workflow!` lists it for [`Mock`]: its function item's type,
/// the resource it answers and its path as written.
#[derive(Debug, Clone, Copy)]
pub struct MockEntry {
    id: TypeId,
    resource: &'static str,
    path: &'static str,
}

/// The entry of `handler` (generated code calls this with each handler's function item).
pub fn mock_entry<F: 'static>(
    _handler: &F,
    resource: &'static str,
    path: &'static str,
) -> MockEntry {
    MockEntry {
        id: TypeId::of::<F>(),
        resource,
        path,
    }
}

/// A run of workflow `W` with some of its handlers replaced by closures, made by `W::mock()`.
///
/// [`Mock::handler`] takes the handler's function item and its replacement: the closure's input
/// and output types must be the handler's (a compile error otherwise). The run goes through the
/// interpreter, with the workflow's other handlers as they are; it records the history, so
/// [`ExecutionResult::states_entered`] gives the path taken.
///
/// A closure whose input is not the handler's input type does not compile:
///
/// ```compile_fail,E0631
/// use stepfn::{workflow, TaskError};
/// async fn charge(amount: u64) -> Result<String, TaskError> { Ok(amount.to_string()) }
/// workflow! { pub Checkout(u64) -> String { start Charge; Charge: task charge end; } }
/// let _ = Checkout::mock().handler(charge, |amount: String| async move { Ok::<_, TaskError>(amount) });
/// ```
///
/// Nor does one returning another type than the handler's output:
///
/// ```compile_fail,E0271
/// use stepfn::{workflow, TaskError};
/// async fn charge(amount: u64) -> Result<String, TaskError> { Ok(amount.to_string()) }
/// workflow! { pub Checkout(u64) -> String { start Charge; Charge: task charge end; } }
/// let _ = Checkout::mock().handler(charge, |amount| async move { Ok::<_, TaskError>(amount) });
/// ```
///
/// ```
/// use stepfn::{workflow, TaskError};
///
/// async fn charge(amount: u64) -> Result<String, TaskError> {
///     unimplemented!("calls the payment gateway")
/// }
///
/// workflow! {
///     pub Checkout(u64) -> String {
///         start Charge;
///         Charge: task charge end;
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let receipt = Checkout::mock()
///     .handler(charge, |amount| async move { Ok::<_, TaskError>(format!("paid {amount}")) })
///     .run(42)
///     .await;
/// assert_eq!(receipt, Ok("paid 42".to_string()));
/// # });
/// ```
///
#[doc = include_str!("../docs/testing.md")]
pub struct Mock<W> {
    entries: Vec<MockEntry>,
    tasks: TaskRegistry,
    /// Functions given to [`Mock::handler`] that are not handlers of `W`.
    unknown: Vec<&'static str>,
    _workflow: PhantomData<fn() -> W>,
}

impl<W: Workflow> Mock<W> {
    /// A run with `W`'s own handlers (generated `W::mock()` calls this with `W`'s handlers).
    pub fn new(entries: Vec<MockEntry>) -> Self {
        Self {
            entries,
            tasks: W::tasks(),
            unknown: Vec::new(),
            _workflow: PhantomData,
        }
    }

    /// Replaces `handler` (a handler of `W`, by its function item) with `mock`, which takes the
    /// same input type and returns the same output type.
    pub fn handler<F, I, O, E, Fut, G, E2, Fut2>(mut self, handler: F, mock: G) -> Self
    where
        F: Fn(I) -> Fut + 'static,
        Fut: Future<Output = Result<O, E>>,
        G: Fn(I) -> Fut2 + Send + Sync + 'static,
        Fut2: Future<Output = Result<O, E2>> + Send + 'static,
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        E2: Into<TaskError> + Send + 'static,
    {
        let id = mock_entry(&handler, "", "").id;
        let resources: Vec<&'static str> = self
            .entries
            .iter()
            .filter(|e| e.id == id)
            .map(|e| e.resource)
            .collect();
        match resources.as_slice() {
            [] => self.unknown.push(std::any::type_name::<F>()),
            [one] => {
                self.tasks.register(*one, mock);
            }
            many => {
                let mock = std::sync::Arc::new(mock);
                for r in many {
                    let m = mock.clone();
                    self.tasks.register(*r, move |i: I| m(i));
                }
            }
        }
        self
    }

    /// The paths of `W`'s handlers, as written in the workflow.
    pub fn handlers(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|e| e.path)
    }

    /// Runs one execution and returns the whole result (history kept, so
    /// [`ExecutionResult::states_entered`] works).
    pub async fn run_with(
        self,
        input: W::Input,
        options: ExecutionOptions,
    ) -> Result<ExecutionResult, RunError> {
        if !self.unknown.is_empty() {
            return Err(RunError::Input(format!(
                "`{}` is not a task handler of the workflow `{}` (its handlers: {})",
                self.unknown.join("`, `"),
                W::NAME,
                self.handlers().collect::<Vec<_>>().join(", ")
            )));
        }
        let input = serde_json::to_value(input).map_err(|e| RunError::Input(e.to_string()))?;
        let interpreter = Interpreter::new(W::state_machine(), W::NAME, self.tasks);
        Ok(interpreter.execute(input, options).await)
    }

    /// Runs one execution and returns its typed output.
    pub async fn run(self, input: W::Input) -> Result<W::Output, RunError> {
        output_of::<W>(self.run_with(input, ExecutionOptions::default()).await?)
    }
}
