//! Items used by code that `workflow!` generates. Not part of the public API.

pub use serde_json;

pub use crate::mock::mock_entry;

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

/// The handler trait: every use of a handler in generated code goes through it.
pub use crate::task_fn::{NoShape, NotAHandler, TaskFn};

pub use crate::engine::tasks::handler_name;
pub use futures::future::BoxFuture;
pub use indexmap::IndexMap;
pub use tokio::time::timeout;

/// The type checks `workflow!` writes (never run).
pub use crate::typecheck::*;

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
