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

/// The predefined error names the runtime raises, from [`stepfn_asl::PredefinedError`] (the one
/// table of them).
pub mod names {
    use stepfn_asl::PredefinedError as P;
    /// Matches every error except `States.Runtime` and `States.DataLimitExceeded`.
    pub const ALL: &str = P::All.as_str();
    /// Unprocessable runtime failure.
    pub const RUNTIME: &str = P::Runtime.as_str();
    /// Payload over 256 KiB.
    pub const DATA_LIMIT_EXCEEDED: &str = P::DataLimitExceeded.as_str();
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = P::IntrinsicFailure.as_str();
    /// A task or the execution ran too long.
    pub const TIMEOUT: &str = P::Timeout.as_str();
    /// A task missed its heartbeat.
    pub const HEARTBEAT_TIMEOUT: &str = P::HeartbeatTimeout.as_str();
    /// A task failed.
    pub const TASK_FAILED: &str = P::TaskFailed.as_str();
    /// No Choice rule matched and no Default.
    pub const NO_CHOICE_MATCHED: &str = P::NoChoiceMatched.as_str();
    /// ResultPath could not be applied.
    pub const RESULT_PATH_MATCH_FAILURE: &str = P::ResultPathMatchFailure.as_str();
    /// A Map exceeded its tolerated failures.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str =
        P::ExceedToleratedFailureThreshold.as_str();
    /// A JSONata expression failed.
    pub const QUERY_EVALUATION_ERROR: &str = P::QueryEvaluationError.as_str();
}
