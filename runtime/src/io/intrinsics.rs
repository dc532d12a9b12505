//! Evaluation of intrinsic function calls (`States.Format`, …). Not implemented yet.

use crate::error::StatesError;
use serde_json::Value;
use stepfn_asl::{IntrinsicCall, Path};

/// Evaluates a parsed intrinsic call; `resolve` reads a path argument (`$.x`, `$$.x`, `$var`).
pub fn evaluate(
    call: &IntrinsicCall,
    resolve: &mut dyn FnMut(&Path) -> Result<Value, StatesError>,
) -> Result<Value, StatesError> {
    let _ = resolve;
    Err(StatesError::intrinsic(format!("`{}` is not implemented yet", call.function.name())))
}
