//! stepfn: AWS Step Functions as a Rust library.

pub mod error;
pub mod io;

pub use error::StatesError;
pub use stepfn_asl as asl;
pub use stepfn_macros::workflow;
