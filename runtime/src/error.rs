//! Errors as Step Functions names them: an error name (`States.Runtime`, `Custom.Boom`) and a cause.

use std::fmt;

/// A Step Functions error: what a state raises, what Retry and Catch match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatesError {
    /// The error name, e.g. `States.TaskFailed` or a task's own error name.
    pub error: String,
    /// The human-readable cause.
    pub cause: String,
}

impl StatesError {
    /// A new error with a name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Runtime`: an unprocessable runtime failure, never caught by `States.ALL`.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// `States.IntrinsicFailure`.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }
}

impl fmt::Display for StatesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for StatesError {}

/// The predefined error names.
pub mod names {
    /// Matches every error except `States.Runtime` and `States.DataLimitExceeded`.
    pub const ALL: &str = "States.ALL";
    /// Unprocessable runtime failure.
    pub const RUNTIME: &str = "States.Runtime";
    /// Payload over 256 KiB.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A task or the execution ran too long.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A task missed its heartbeat.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// A task failed.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// No Choice rule matched and no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A `.$` path in Parameters failed.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// ResultPath could not be applied.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// A Parallel branch failed.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// A Map exceeded its tolerated failures.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// A JSONata expression failed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
}
