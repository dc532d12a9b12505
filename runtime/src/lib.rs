#![warn(missing_docs)]
//! stepfn: AWS Step Functions as a Rust library.
//!
//! - [`workflow!`]: write a workflow in Rust; it is checked at compile time, exported as Amazon
//!   States Language (ASL), and run natively with typed task handlers ([`run`]).
//! - [`Interpreter`]: run any ASL definition with Step Functions' semantics.
//! - [`Runtime`]: durable executions (checkpointed history on SQLite or PostgreSQL, restart after a
//!   crash, task tokens, activities, redrive).
//! - [`asl`]: the States Language model and validator shared by all of them.
//!
//! # Module map
//!
//! A definition travels through the crates and modules in this order:
//!
//! 1. **Model** (`stepfn-asl`, re-exported as [`asl`]): reading ASL JSON into a typed
//!    [`asl::StateMachine`] and validating it. The `workflow!` macro (`stepfn-macros`) parses its
//!    DSL, lowers it to the same model, validates it with the same validator, and generates code.
//! 2. **Data flow** (`io`, private): InputPath/Parameters/ResultSelector/ResultPath/OutputPath,
//!    payload templates, intrinsic functions, JSONata, variables, the context object, payload
//!    sizes. Every data rule of the States Language lives here once.
//! 3. **State semantics** (`engine`, private): one module per state type (`pass`, `task`,
//!    `choice`, `wait`, `parallel`, `map`, `fail`), Retry/Catch (`retry`), history events and
//!    checkpoints (`history`, `durable`), task tokens and activities (`callbacks`), and the task
//!    registry ([`TaskRegistry`]). The [`Interpreter`] drives these over a parsed definition.
//! 4. **Generated code's driver** (`compiled`, private; reached through the hidden `__private`):
//!    the code `workflow!` emits calls the same per-state rules with typed values, so a Rust
//!    workflow and its exported ASL behave alike.
//! 5. **Durability** ([`Runtime`], [`store`]): executions checkpointed to a [`store::Store`]
//!    (SQLite file, PostgreSQL with leases and fencing, or memory), resumed after a crash.
//! 6. **Surfaces**: `stepfn serve` (`server`, feature `server`: the Step Functions API and a
//!    console), activity workers on AWS (`aws`), Lambda hosting (`lambda`), deployment
//!    templates ([`template`]), and the `stepfn` command line (feature `cli`).
//!
//! History vocabulary ([`EventType`], [`ExecutionStatus`]) and AWS's quotas ([`quotas`]) are shared
//! by all of them.

mod arn;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
mod compiled;
mod engine;
mod error;
mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "cli")]
mod graph;
mod io;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "lambda-invoke")]
pub mod lambda_endpoint;
mod mock;
pub mod quotas;
mod runtime;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
mod task_fn;
pub mod template;
mod trace;
mod typecheck;
mod workflow;

#[doc(hidden)]
pub mod __private;

pub use engine::tasks::{TaskError, TaskHandler, TaskRegistry, TaskRequest};
pub use engine::{ExecutionOptions, ExecutionResult, Interpreter};
pub use error::StatesError;
pub use events::{EventType, ExecutionStatus, HistoryEvent};
pub use mock::{Mock, MockEntry};
pub use runtime::{activity_arn, execution_arn, state_machine_arn};
pub use runtime::{ActivityTask, ExecutionDescription, HistoryPage, HistoryQuery};
pub use runtime::{Runtime, RuntimeError};
pub use stepfn_asl as asl;
#[doc = include_str!("../docs/workflow.md")]
pub use stepfn_macros::workflow;
pub use store::{ActivityRecord, ExecutionRecord};
pub use workflow::{run, run_with, RunError, Workflow};
// Typed durable executions (issue #15).
pub use events::{Event, EventDetails};
pub use runtime::{Execution, ExecutionError};
// The marker of a handler input read from merged JSON (`workflow!`'s type checks).
pub use typecheck::JsonInput;
