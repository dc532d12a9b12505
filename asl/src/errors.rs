//! The error names Step Functions predefines: one table, read by the validator (which names an
//! unknown `States.*` error in Retry/Catch) and by the runtime (which raises them).

macro_rules! predefined_errors {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// An error name Step Functions predefines (`States.*`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PredefinedError {
            $($(#[$doc])* $variant,)*
        }

        impl PredefinedError {
            /// Every predefined error, in the order of AWS's documentation.
            pub const ALL_NAMES: &'static [PredefinedError] = &[$(PredefinedError::$variant,)*];

            /// The error's name, e.g. `States.TaskFailed`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(PredefinedError::$variant => $name,)*
                }
            }

            /// The predefined error of that name, if it is one.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(PredefinedError::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

predefined_errors! {
    /// Matches every error except `States.Runtime` and `States.DataLimitExceeded`.
    All = "States.ALL",
    /// A task or the execution ran longer than its timeout.
    Timeout = "States.Timeout",
    /// A task missed its heartbeat.
    HeartbeatTimeout = "States.HeartbeatTimeout",
    /// A task failed.
    TaskFailed = "States.TaskFailed",
    /// The execution lacks a permission the task needs.
    Permissions = "States.Permissions",
    /// ResultPath could not be applied to the state's input.
    ResultPathMatchFailure = "States.ResultPathMatchFailure",
    /// A `.$` field of Parameters (or another template) selected nothing.
    ParameterPathFailure = "States.ParameterPathFailure",
    /// A Parallel branch failed.
    BranchFailed = "States.BranchFailed",
    /// No Choice rule matched and there is no Default.
    NoChoiceMatched = "States.NoChoiceMatched",
    /// An intrinsic function failed.
    IntrinsicFailure = "States.IntrinsicFailure",
    /// A Map's failed items passed its tolerated failure threshold.
    ExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold",
    /// A Map's ItemReader failed.
    ItemReaderFailed = "States.ItemReaderFailed",
    /// A Map's ResultWriter failed.
    ResultWriterFailed = "States.ResultWriterFailed",
    /// A JSONata expression failed.
    QueryEvaluationError = "States.QueryEvaluationError",
    /// An unprocessable runtime failure; never caught by `States.ALL`.
    Runtime = "States.Runtime",
    /// A payload passed the size quota; never caught by `States.ALL`.
    DataLimitExceeded = "States.DataLimitExceeded",
    /// An HTTP task's connection failed.
    HttpSocket = "States.Http.Socket",
}

impl std::fmt::Display for PredefinedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::PredefinedError;

    #[test]
    fn names_read_back() {
        for e in PredefinedError::ALL_NAMES {
            assert_eq!(PredefinedError::parse(e.as_str()), Some(*e));
            assert!(e.as_str().starts_with("States."));
        }
        assert_eq!(PredefinedError::parse("States.Nope"), None);
    }
}
