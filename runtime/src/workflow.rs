//! Workflows defined with [`crate::workflow!`]: typed input and output, Amazon States Language
//! export, and execution on the runtime.

use crate::engine::{ExecutionOptions, ExecutionResult, ExecutionStatus, Interpreter};
use crate::TaskRegistry;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use stepfn_asl::StateMachine;

/// A workflow: what `workflow!` implements for each workflow it defines.
pub trait Workflow {
    /// The execution input.
    type Input: Serialize + DeserializeOwned + Send;
    /// The execution output.
    type Output: Serialize + DeserializeOwned + Send;
    /// The workflow's name.
    const NAME: &'static str;
    /// The workflow as Amazon States Language JSON.
    const ASL: &'static str;

    /// The workflow as the States Language model.
    fn state_machine() -> StateMachine;

    /// The workflow's Rust task handlers.
    fn tasks() -> TaskRegistry;

    /// True when `workflow!` compiled this workflow to Rust; false when it runs in the interpreter
    /// (a workflow using JSONata, variables, distributed Maps, callbacks or tasks without a Rust
    /// handler is not compiled yet).
    const COMPILED: bool = false;

    /// An interpreter running this workflow's ASL with its handlers.
    fn interpreter() -> Interpreter {
        Interpreter::new(Self::state_machine(), Self::NAME, Self::tasks())
    }

    /// Runs one execution: the compiled form when there is one, else the interpreter.
    fn execute(input: Value, options: ExecutionOptions) -> BoxFuture<'static, ExecutionResult> {
        Box::pin(async move { Self::interpreter().execute(input, options).await })
    }

    /// Runs one execution from a typed input (no JSON conversion on the compiled path).
    fn execute_typed(
        input: Self::Input,
        options: ExecutionOptions,
    ) -> BoxFuture<'static, ExecutionResult>
    where
        Self::Input: 'static,
    {
        match serde_json::to_value(input) {
            Ok(v) => Self::execute(v, options),
            Err(e) => Box::pin(async move {
                ExecutionResult {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: Some(crate::error::names::RUNTIME.into()),
                    cause: Some(format!("the input could not be serialized: {e}")),
                    history: Vec::new(),
                }
            }),
        }
    }
}

/// Why a workflow run did not produce its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The input could not be serialized to JSON.
    Input(String),
    /// The execution ended FAILED, TIMED_OUT or ABORTED.
    Execution {
        /// The terminal status.
        status: ExecutionStatus,
        /// The error name.
        error: String,
        /// The cause.
        cause: String,
    },
    /// The execution succeeded but its output does not match the workflow's output type.
    Output(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Input(e) => write!(f, "the input could not be serialized: {e}"),
            RunError::Execution {
                status,
                error,
                cause,
            } => write!(f, "execution {}: {error}: {cause}", status.as_str()),
            RunError::Output(e) => write!(
                f,
                "the output does not match the workflow's output type: {e}"
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// Runs a workflow once, in memory, and returns its typed output.
///
/// The workflow's compiled form runs when `workflow!` compiled it ([`Workflow::COMPILED`]): the
/// typed input goes to the first handler without JSON in between. Otherwise the interpreter runs
/// its ASL. Both record the same Step Functions history and give the same result.
pub async fn run<W: Workflow>(input: W::Input) -> Result<W::Output, RunError>
where
    W::Input: 'static,
{
    let result = run_with::<W>(input, ExecutionOptions::default()).await?;
    output_of::<W>(result)
}

/// Runs a workflow once with options and returns the whole result (history included): the
/// compiled form when there is one, as [`run`] does, else the interpreter.
pub async fn run_with<W: Workflow>(
    input: W::Input,
    options: ExecutionOptions,
) -> Result<ExecutionResult, RunError>
where
    W::Input: 'static,
{
    if W::COMPILED {
        return Ok(W::execute_typed(input, options).await);
    }
    let input = serde_json::to_value(input).map_err(|e| RunError::Input(e.to_string()))?;
    Ok(W::interpreter().execute(input, options).await)
}

/// The typed output of a finished execution.
pub fn output_of<W: Workflow>(result: ExecutionResult) -> Result<W::Output, RunError> {
    match result.status {
        ExecutionStatus::Succeeded => serde_json::from_value(result.output.unwrap_or_default())
            .map_err(|e| RunError::Output(e.to_string())),
        status => Err(RunError::Execution {
            status,
            error: result.error.unwrap_or_default(),
            cause: result.cause.unwrap_or_default(),
        }),
    }
}
