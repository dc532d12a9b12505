//! stepfn: AWS Step Functions as a Rust library.

pub mod cli;
pub mod compiled;
pub mod engine;
pub mod error;
pub mod graph;
pub mod io;
pub mod workflow;

#[doc(hidden)]
pub mod __private;

pub use engine::tasks::{TaskError, TaskRegistry};
pub use engine::{ExecutionOptions, ExecutionResult, ExecutionStatus, Interpreter};
pub use error::StatesError;
pub use stepfn_asl as asl;
pub use stepfn_macros::workflow;
pub use workflow::{run, run_with, RunError, Workflow};
