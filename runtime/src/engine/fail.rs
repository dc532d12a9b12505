//! Fail states: the error and cause, literal or selected from the input (ErrorPath/CausePath).
//! The interpreter and the compiled form both call [`fail_error`].

use super::to_text;
use crate::error::StatesError;
use crate::io::{paths, template, Env};
use serde_json::Value;
use stepfn_asl::{Expr, Fail, Template};

/// The error a Fail state ends its scope with: `Ok` with the state's own error and cause, or
/// `Err` when evaluating `ErrorPath`/`CausePath` failed (that error replaces it).
pub(crate) fn fail_error(
    f: &Fail,
    input: &Value,
    env: &Env<'_>,
) -> Result<StatesError, StatesError> {
    let text = |lit: &Option<Expr<String>>,
                path: &Option<Template>,
                field: &str|
     -> Result<String, StatesError> {
        if let Some(Expr::Literal(s)) = lit {
            return Ok(s.clone());
        }
        let Some(t) = path else {
            return Ok(String::new());
        };
        let v = match t {
            Template::Path(p) => paths::select(p, input, env)?
                .ok_or_else(|| paths::path_not_found(p, field, input))?,
            other => template::evaluate(other, input, env)?,
        };
        Ok(match v {
            Value::String(s) => s,
            other => to_text(&other),
        })
    };
    let error = text(&f.error, &f.error_path, "ErrorPath")?;
    let cause = text(&f.cause, &f.cause_path, "CausePath")?;
    Ok(StatesError::new(error, cause))
}
