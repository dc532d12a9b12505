//! Test runs of a `workflow!` workflow with some task handlers replaced: [`Mock`].

use crate::compiled::Data;
use crate::engine::tasks::{TaskError, TaskRegistry};
use crate::engine::{ExecutionOptions, ExecutionResult, Interpreter};
use crate::task_fn::TaskFn;
use crate::workflow::{output_of, RunError, Workflow};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

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

/// A mocked handler as the compiled form calls it.
type MockFn<I, O> = Arc<dyn Fn(I) -> BoxFuture<'static, Result<O, TaskError>> + Send + Sync>;

/// The handlers replaced in a mocked run, by their function item's type: the compiled form of a
/// mocked run looks each handler up here ([`call_mocked`]); a run without mocks has none and
/// calls its handlers directly.
#[derive(Default)]
pub struct Mocks {
    by_handler: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

/// Calls `handler`'s mock in `mocks`, or `handler` itself when it has none (the generated code
/// of a mocked run calls each handler through this).
pub fn call_mocked<F: TaskFn<S>, S>(
    mocks: &Mocks,
    handler: &F,
    input: F::Input,
) -> BoxFuture<'static, Result<F::Output, TaskError>> {
    let mock = mocks
        .by_handler
        .get(&TypeId::of::<F>())
        .and_then(|m| m.downcast_ref::<MockFn<F::Input, F::Output>>());
    match mock {
        Some(m) => m(input),
        None => handler.call_boxed(input),
    }
}

/// Runs a compiled workflow's generated code with mocked handlers (`workflow!` makes one for each
/// compiled workflow).
pub type MockRunner = fn(Data, ExecutionOptions, Arc<Mocks>) -> BoxFuture<'static, ExecutionResult>;

/// A run of workflow `W` with some of its handlers replaced by closures, made by `W::mock()`.
///
/// [`Mock::handler`] takes the handler's function item and its replacement: the closure's input
/// and output types must be the handler's (a compile error otherwise). The run takes the path
/// [`crate::run`] takes — the generated code when `workflow!` compiled the workflow
/// ([`Workflow::COMPILED`]), else the interpreter — with the mocks called instead of the handlers
/// they replace and the workflow's other handlers as they are; it records the history, so
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
    /// The handlers for the interpreter, mocks included.
    tasks: TaskRegistry,
    /// The mocks for the compiled form.
    mocks: Mocks,
    /// The compiled form, when there is one.
    compiled: Option<MockRunner>,
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
            mocks: Mocks::default(),
            compiled: None,
            unknown: Vec::new(),
            _workflow: PhantomData,
        }
    }

    /// Runs the compiled form with `runner` (generated `W::mock()` calls this when `W` is
    /// compiled).
    pub fn compiled(mut self, runner: MockRunner) -> Self {
        self.compiled = Some(runner);
        self
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
        if resources.is_empty() {
            self.unknown.push(std::any::type_name::<F>());
            return self;
        }
        let mock: MockFn<I, O> = Arc::new(move |i: I| {
            let fut = mock(i);
            Box::pin(async move { fut.await.map_err(Into::into) })
        });
        for r in resources {
            let m = mock.clone();
            self.tasks.register(r, move |i: I| m(i));
        }
        self.mocks.by_handler.insert(id, Box::new(mock));
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
    ) -> Result<ExecutionResult, RunError>
    where
        W::Input: 'static,
    {
        if !self.unknown.is_empty() {
            return Err(RunError::Input(format!(
                "`{}` is not a task handler of the workflow `{}` (its handlers: {})",
                self.unknown.join("`, `"),
                W::NAME,
                self.handlers().collect::<Vec<_>>().join(", ")
            )));
        }
        if let Some(run) = self.compiled {
            return Ok(run(Data::typed(input), options, Arc::new(self.mocks)).await);
        }
        let input = serde_json::to_value(input).map_err(|e| RunError::Input(e.to_string()))?;
        let interpreter = Interpreter::new(W::state_machine(), W::NAME, self.tasks);
        Ok(interpreter.execute(input, options).await)
    }

    /// Runs one execution and returns its typed output.
    pub async fn run(self, input: W::Input) -> Result<W::Output, RunError>
    where
        W::Input: 'static,
    {
        output_of::<W>(self.run_with(input, ExecutionOptions::default()).await?)
    }
}
