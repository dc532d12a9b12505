//! Pass states, and the output bounds of states that copy their input: a Pass output is its
//! input, a Result, or Parameters, placed by ResultPath.

#[allow(unused_imports)]
use super::*;

impl Exec<'_> {
    /// A JSONPath Pass state. `size`: a bound of the input's JSON text length on entry (if
    /// known), of the output's on return.
    #[inline(always)]
    pub(super) fn pass(
        &self,
        st: &State,
        p: &Pass,
        input: Value,
        size: &mut Option<usize>,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let env = Env { context: ctx, vars };
        let mut assigned = None;
        let out = pass_output(st, p, input, size, self.payload_limit, &env, |result| {
            assigned = self.assign(st, result, &env)?;
            Ok(())
        })?;
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok(out)
    }
}

/// A bound of the output's JSON text length for a state whose output is its input seen through
/// InputPath and OutputPath, given `input`'s bound (`{}` counts 2 when a path is `null`).
pub(crate) fn subset_bound(st: &State, input: Option<usize>) -> Option<usize> {
    let subset = reads_input(st.input_path.as_ref()) && reads_input(st.output_path.as_ref());
    input.filter(|_| subset).map(|b| b + 2)
}

/// The work of a JSONPath Pass state: its result (`Result`, `Parameters`, or the effective
/// input), shown to `on_result` (where the interpreter evaluates `Assign`), placed by
/// ResultPath, then OutputPath. Shared by the interpreter and compiled workflows.
///
/// `size`: a bound of the input's JSON text length on entry (if known); on return, a bound of
/// the output's (`None` when unknown, or when there is no `payload_limit`).
#[inline(always)]
pub(crate) fn pass_output(
    st: &State,
    p: &Pass,
    input: Value,
    size: &mut Option<usize>,
    payload_limit: Option<usize>,
    env: &Env<'_>,
    on_result: impl FnOnce(&Value) -> Result<(), StatesError>,
) -> Result<Value, StatesError> {
    // A bound of the result's text known without counting it.
    let result_bound = match (&p.result, &p.parameters) {
        (Some(_), _) => None,
        (None, Some(t)) => size.and_then(|b| template::output_bound(t, b)),
        (None, None) => *size,
    };
    let result = match (&p.result, &p.parameters) {
        (Some(r), _) => r.clone(),
        (None, Some(t)) => template::evaluate(
            t,
            &*paths::input_path(st.input_path.as_ref(), &input, env)?,
            env,
        )?,
        (None, None) => paths::input_path(st.input_path.as_ref(), &input, env)?.into_owned(),
    };
    on_result(&result)?;
    *size = placed_bound(
        payload_limit,
        st,
        p.result_path.as_ref(),
        *size,
        &result,
        result_bound,
    );
    let out = paths::apply_result_path(p.result_path.as_ref(), input, result)?;
    paths::apply_io_path(st.output_path.as_ref(), out, env)
}

/// A bound of the JSON text length of a state output made by placing `result` (whose text is at
/// most `result_bound`, when known) into an input of bound `input` at `result_path`, then
/// applying OutputPath; `None` when unknown or there is no `payload_limit`.
pub(super) fn placed_bound(
    payload_limit: Option<usize>,
    st: &State,
    result_path: Option<&ResultPath>,
    input: Option<usize>,
    result: &Value,
    result_bound: Option<usize>,
) -> Option<usize> {
    let limit = payload_limit?;
    if !reads_input(st.output_path.as_ref()) {
        return None;
    }
    let placed = match result_path {
        Some(ResultPath::Discard) => input?,
        None => result_bound.unwrap_or_else(|| size::bound(result, limit)),
        Some(ResultPath::Path(path)) => {
            // Each field on the path adds at most its quoted, escaped key, a colon, a comma
            // and the braces of an object made on the way.
            let keys: usize = path
                .segments()
                .iter()
                .map(|s| match s {
                    stepfn_asl::path::PathSegment::Field(k) => 6 * k.len() + 6,
                    _ => 0,
                })
                .sum();
            input? + result_bound.unwrap_or_else(|| size::bound(result, limit)) + keys
        }
    };
    Some(placed + 2)
}
