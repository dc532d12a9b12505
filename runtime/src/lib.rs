//! stepfn: AWS Step Functions as a Rust library.
//!
//! - [`workflow!`]: write a workflow in Rust; it is checked at compile time, exported as Amazon
//!   States Language (ASL), and run natively with typed task handlers.
//! - [`Interpreter`]: run any ASL definition with Step Functions' semantics.
//! - [`asl`]: the States Language model and validator shared by both.

pub mod arn;
#[cfg(feature = "aws")]
pub mod aws;
pub mod cli;
pub mod compiled;
pub mod engine;
pub mod error;
pub mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod io;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "lambda-invoke")]
pub mod lambda_endpoint;
pub mod quotas;
pub mod runtime;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
mod task_fn;
pub mod template;
mod typecheck;
pub mod workflow;

#[doc(hidden)]
pub mod __private;

pub use engine::tasks::{TaskError, TaskRegistry};
pub use engine::{ExecutionOptions, ExecutionResult, ExecutionStatus, Interpreter};
pub use error::StatesError;
pub use runtime::{ActivityTask, ExecutionDescription, HistoryPage, HistoryQuery};
pub use runtime::{Runtime, RuntimeError};
pub use stepfn_asl as asl;
#[doc = include_str!("../docs/workflow.md")]
pub use stepfn_macros::workflow;
pub use store::ActivityRecord;
pub use workflow::{run, run_with, RunError, Workflow};
// The marker of a handler input read from merged JSON (`workflow!`'s type checks).
pub use typecheck::JsonInput;
