//! Typed durable executions of [`Workflow`]s: [`Execution<W>`] starts, watches, stops and reads
//! an execution of `W` on a [`Runtime`] with `W::Input`, `W::Output` and typed history
//! [`Event`]s; the JSON API of [`Runtime`] stays for state machines loaded at run time.

use super::{
    check_name, execution_arn, lock, ExecutionDescription, Machine, Runtime, RuntimeError,
};
use crate::events::Event;
use crate::store::StoreError;
use crate::{ExecutionStatus, Workflow};
use std::fmt;
use std::marker::PhantomData;

/// Why [`Execution::output`] has no output: the execution ended FAILED, TIMED_OUT or ABORTED
/// (with AWS's `error` and `cause`), its output is not a `W::Output`, or the runtime failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// The execution ended FAILED.
    #[error("execution FAILED: {}", error_cause(error, cause))]
    Failed {
        /// The error name (`States.TaskFailed`, a handler's own name, …).
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
    /// The execution ran past its `TimeoutSeconds` (TIMED_OUT).
    #[error("execution TIMED_OUT: {}", error_cause(error, cause))]
    TimedOut {
        /// The error name (`States.Timeout`).
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
    /// The execution was stopped (ABORTED), with the error and cause given to StopExecution.
    #[error("execution ABORTED: {}", error_cause(error, cause))]
    Aborted {
        /// The error given to StopExecution.
        error: Option<String>,
        /// The cause given to StopExecution.
        cause: Option<String>,
    },
    /// The execution SUCCEEDED but its output does not deserialize into the workflow's output
    /// type.
    #[error("the output of {workflow} does not match its output type: {message}")]
    Output {
        /// The workflow's name.
        workflow: &'static str,
        /// serde's message.
        message: String,
    },
    /// The store failed (the execution stays RUNNING in the store and continues from its last
    /// commit when resumed).
    #[error("store: {0}")]
    Store(String),
    /// Another runtime error (`ExecutionDoesNotExist`, …).
    #[error(transparent)]
    Runtime(RuntimeError),
}

fn error_cause(error: &Option<String>, cause: &Option<String>) -> String {
    format!(
        "{}: {}",
        error.as_deref().unwrap_or(""),
        cause.as_deref().unwrap_or("")
    )
}

impl From<RuntimeError> for ExecutionError {
    fn from(e: RuntimeError) -> Self {
        match e {
            RuntimeError::Store(StoreError(s)) => ExecutionError::Store(s),
            e => ExecutionError::Runtime(e),
        }
    }
}

impl ExecutionError {
    /// AWS's error name, for a FAILED, TIMED_OUT or ABORTED execution.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Failed { error, .. }
            | Self::TimedOut { error, .. }
            | Self::Aborted { error, .. } => error.as_deref(),
            _ => None,
        }
    }

    /// AWS's cause, for a FAILED, TIMED_OUT or ABORTED execution.
    pub fn cause(&self) -> Option<&str> {
        match self {
            Self::Failed { cause, .. }
            | Self::TimedOut { cause, .. }
            | Self::Aborted { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }
}

/// A durable execution of the workflow `W` on a [`Runtime`]: a typed handle on its ARN. The
/// guide below (`runtime/docs/durable.md`) shows it with task tokens, activities and restarts.
///
#[doc = include_str!("../../docs/durable.md")]
pub struct Execution<W> {
    runtime: Runtime,
    arn: String,
    workflow: PhantomData<fn() -> W>,
}

impl<W> Clone for Execution<W> {
    fn clone(&self) -> Self {
        Self {
            runtime: self.runtime.clone(),
            arn: self.arn.clone(),
            workflow: PhantomData,
        }
    }
}

impl<W> fmt::Debug for Execution<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution").field("arn", &self.arn).finish()
    }
}

impl<W: Workflow> Execution<W> {
    /// StartExecution of `W` named `name` (the name is its identity: starting it again while it
    /// runs with the same input returns it; see [`Runtime::start`]). `W` is registered on the
    /// runtime on first use, as [`Runtime::register_workflow`] does, unless a state machine is
    /// already registered under [`W::NAME`](Workflow::NAME).
    pub async fn start(
        runtime: &Runtime,
        name: &str,
        input: W::Input,
    ) -> Result<Self, RuntimeError> {
        let input = serde_json::to_value(&input).map_err(|e| {
            RuntimeError::InvalidExecutionInput(format!(
                "the input of {} could not be serialized: {e}",
                W::NAME
            ))
        })?;
        Self::register(runtime)?;
        let arn = runtime.start(W::NAME, input, Some(name)).await?;
        Ok(Self::handle(runtime, arn))
    }

    /// A handle on an existing execution of `W` from its ARN: `InvalidArn` when the ARN is not
    /// an execution ARN of `W`'s state machine, `ExecutionDoesNotExist` when the store does not
    /// have it. Registers `W` on first use, as [`Execution::start`] does.
    pub async fn attach(runtime: &Runtime, arn: &str) -> Result<Self, RuntimeError> {
        let prefix = execution_arn(W::NAME, "");
        match arn.strip_prefix(&prefix) {
            Some(name) if check_name(name).is_ok() => {}
            _ => {
                return Err(RuntimeError::InvalidArn(format!(
                    "`{arn}` is not an execution of the state machine {}: its ARN starts with \
                     `{prefix}`",
                    W::NAME
                )))
            }
        }
        runtime.describe(arn).await?;
        Self::register(runtime)?;
        Ok(Self::handle(runtime, arn.to_string()))
    }

    /// ListExecutions of `W`, newest first, optionally only those with `status`.
    pub async fn list(
        runtime: &Runtime,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<Self>, RuntimeError> {
        let all = runtime.list(Some(W::NAME), status).await?;
        Ok(all
            .into_iter()
            .map(|d| Self::handle(runtime, d.record.arn))
            .collect())
    }

    fn register(runtime: &Runtime) -> Result<(), RuntimeError> {
        check_name(W::NAME)?;
        lock(&runtime.inner.machines)
            .entry(W::NAME.to_string())
            .or_insert_with(|| Machine::new(W::interpreter()));
        Ok(())
    }

    fn handle(runtime: &Runtime, arn: String) -> Self {
        Self {
            runtime: runtime.clone(),
            arn,
            workflow: PhantomData,
        }
    }

    /// The execution ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The current status (DescribeExecution's `status`).
    pub async fn status(&self) -> Result<ExecutionStatus, RuntimeError> {
        Ok(self.describe().await?.status())
    }

    /// DescribeExecution.
    pub async fn describe(&self) -> Result<ExecutionDescription, RuntimeError> {
        self.runtime.describe(&self.arn).await
    }

    /// Waits for the end of the execution and returns its typed output. An execution left
    /// RUNNING in the store by an earlier process (after [`Runtime::open`]) is continued first,
    /// as [`Runtime::resume_execution`] does.
    pub async fn output(&self) -> Result<W::Output, ExecutionError> {
        let mut d = self.runtime.wait(&self.arn).await?;
        if d.status() == ExecutionStatus::Running
            && self.runtime.resume_execution(&self.arn).await?
        {
            d = self.runtime.wait(&self.arn).await?;
        }
        let r = d.record;
        let (error, cause) = (r.error, r.cause);
        match r.status {
            ExecutionStatus::Succeeded => {
                crate::quotas::read_json(r.output.as_deref().unwrap_or("null")).map_err(|e| {
                    ExecutionError::Output {
                        workflow: W::NAME,
                        message: e.to_string(),
                    }
                })
            }
            ExecutionStatus::Failed => Err(ExecutionError::Failed { error, cause }),
            ExecutionStatus::TimedOut => Err(ExecutionError::TimedOut { error, cause }),
            ExecutionStatus::Aborted => Err(ExecutionError::Aborted { error, cause }),
            ExecutionStatus::Running => Err(ExecutionError::Runtime(
                RuntimeError::StateMachineDoesNotExist(format!(
                    "{} is RUNNING but no runtime here can continue it",
                    self.arn
                )),
            )),
        }
    }

    /// GetExecutionHistory, every page, oldest first, as typed events.
    pub async fn history(&self) -> Result<Vec<Event>, RuntimeError> {
        let events = self.runtime.full_history(&self.arn).await?;
        events
            .iter()
            .map(|e| {
                Event::from_json(e).map_err(|m| {
                    RuntimeError::Store(StoreError(format!(
                        "the stored history of {} does not read back: {m}",
                        self.arn
                    )))
                })
            })
            .collect()
    }

    /// StopExecution: the execution ends ABORTED with `error` and `cause`; its description
    /// afterwards (an execution already closed is left as it is).
    pub async fn stop(
        &self,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<ExecutionDescription, RuntimeError> {
        self.runtime.stop(&self.arn, error, cause).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_are_told_apart_from_other_runtime_errors() {
        let store = ExecutionError::from(RuntimeError::Store(StoreError("disk full".into())));
        assert_eq!(store, ExecutionError::Store("disk full".into()));
        let missing = RuntimeError::ExecutionDoesNotExist("arn".into());
        assert_eq!(
            ExecutionError::from(missing.clone()),
            ExecutionError::Runtime(missing)
        );
        let failed = ExecutionError::Failed {
            error: Some("E".into()),
            cause: None,
        };
        assert_eq!((failed.error(), failed.cause()), (Some("E"), None));
        assert_eq!(failed.to_string(), "execution FAILED: E: ");
        assert_eq!(store.error(), None);
    }
}
