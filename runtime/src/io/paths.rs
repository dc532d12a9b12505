//! Reading and writing through paths: InputPath, OutputPath, ResultPath, and `.$` values.
//!
//! Error causes follow the texts AWS records, so a failed execution reads the same here as there.

use super::Env;
use crate::error::{names, StatesError};
use serde_json::{Map, Value};
use std::borrow::Cow;
use stepfn_asl::{IoPath, Path, PathRoot, ResultPath, Selected};

/// Where a path reads from, given the state's input.
fn root<'v>(path: &Path, input: &'v Value, env: &Env<'v>) -> Result<&'v Value, StatesError> {
    match path.root() {
        PathRoot::Input => Ok(input),
        PathRoot::Context => Ok(env.context.value()),
        PathRoot::Variable(name) => env
            .vars
            .get(name)
            .ok_or_else(|| StatesError::runtime(format!("The variable '${name}' is not defined"))),
    }
}

/// Evaluates a path: `Ok(None)` when a definite path found nothing.
pub fn select(path: &Path, input: &Value, env: &Env<'_>) -> Result<Option<Value>, StatesError> {
    let r = root(path, input, env)?;
    Ok(path.select_value(r))
}

/// Evaluates a definite path and borrows the value (no copy).
pub fn select_ref<'v>(
    path: &Path,
    input: &'v Value,
    env: &Env<'v>,
) -> Result<Option<&'v Value>, StatesError> {
    let r = root(path, input, env)?;
    Ok(match path.select(r) {
        Selected::One(v) => Some(v),
        Selected::Many(_) | Selected::Missing => None,
    })
}

/// Applies `InputPath` (or `OutputPath`): absent keeps the value, `null` gives `{}`.
#[inline]
pub fn apply_io_path(
    p: Option<&IoPath>,
    value: Value,
    env: &Env<'_>,
) -> Result<Value, StatesError> {
    match p {
        None => Ok(value),
        Some(p) => apply_present_io_path(p, value, env),
    }
}

fn apply_present_io_path(p: &IoPath, value: Value, env: &Env<'_>) -> Result<Value, StatesError> {
    match p {
        IoPath::Null => Ok(Value::Object(Map::new())),
        IoPath::Path(path) if path.is_root() => Ok(value),
        IoPath::Path(path) => select(path, &value, env)?.ok_or_else(|| no_results(path)),
    }
}

/// AWS's `States.Runtime` cause for an InputPath or OutputPath that matches nothing.
fn no_results(path: &Path) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{}' : No results for path: {}",
        path.as_str(),
        path.normalized()
    ))
}

/// Applies `InputPath` without copying: the selected part of `input`, borrowed where possible.
#[inline]
pub fn input_path<'v>(
    p: Option<&IoPath>,
    input: &'v Value,
    env: &Env<'v>,
) -> Result<Cow<'v, Value>, StatesError> {
    match p {
        None => Ok(Cow::Borrowed(input)),
        Some(p) => present_input_path(p, input, env),
    }
}

fn present_input_path<'v>(
    p: &IoPath,
    input: &'v Value,
    env: &Env<'v>,
) -> Result<Cow<'v, Value>, StatesError> {
    match p {
        IoPath::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        IoPath::Path(path) if path.is_root() => Ok(Cow::Borrowed(input)),
        IoPath::Path(path) => {
            let found = if path.is_definite() {
                select_ref(path, input, env)?.map(Cow::Borrowed)
            } else {
                select(path, input, env)?.map(Cow::Owned)
            };
            found.ok_or_else(|| no_results(path))
        }
    }
}

/// Applies `ResultPath`: places `result` into the state's raw `input`.
pub fn apply_result_path(
    p: Option<&ResultPath>,
    input: Value,
    result: Value,
) -> Result<Value, StatesError> {
    match p {
        None => Ok(result),
        Some(ResultPath::Discard) => Ok(input),
        Some(ResultPath::Path(path)) => place(path, input, result),
    }
}

/// Writes `value` at a reference path inside `target`, creating missing objects on the way.
pub fn place(path: &Path, mut target: Value, value: Value) -> Result<Value, StatesError> {
    use stepfn_asl::path::PathSegment;
    let segs = path.segments();
    if segs.is_empty() {
        return Ok(value);
    }
    let fail = |target: &Value| {
        StatesError::new(
            names::RESULT_PATH_MATCH_FAILURE,
            format!(
                "Unable to apply ReferencePath {} to input {}",
                path.as_str(),
                serde_json::to_string(target).unwrap_or_default()
            ),
        )
    };
    {
        let mut cur = &mut target;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            match seg {
                PathSegment::Field(name) => {
                    if cur.is_null() && i > 0 {
                        *cur = Value::Object(Map::new());
                    }
                    let Value::Object(m) = cur else {
                        break;
                    };
                    // An existing field is replaced in place (same position, as `insert`
                    // would): no key copied, one lookup.
                    if last {
                        match stepfn_asl::object::get_mut(m, name) {
                            Some(slot) => *slot = value,
                            None => {
                                m.insert(name.clone(), value);
                            }
                        }
                        return Ok(target);
                    }
                    if stepfn_asl::object::get(m, name).is_none() {
                        m.insert(name.clone(), Value::Object(Map::new()));
                    }
                    match stepfn_asl::object::get_mut(m, name) {
                        Some(next) => cur = next,
                        None => break,
                    }
                }
                PathSegment::Index(idx) => {
                    let Value::Array(a) = cur else { break };
                    let Some(slot) = usize::try_from(*idx).ok().and_then(|i| a.get_mut(i)) else {
                        break;
                    };
                    if last {
                        *slot = value;
                        return Ok(target);
                    }
                    cur = slot;
                }
                _ => break,
            }
        }
    }
    Err(fail(&target))
}

/// The cause AWS gives when a `.$` path finds nothing.
pub fn path_not_found(path: &Path, field: &str, input: &Value) -> StatesError {
    StatesError::runtime(format!(
        "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
        path.as_str(),
        field,
        serde_json::to_string(input).unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Context, Variables};
    use serde_json::json;

    fn env_parts() -> (Context<'static>, Variables) {
        // Leaked: a test's context borrows its execution for the whole test.
        let exec = Box::leak(Box::new(crate::io::context::ExecutionInfo {
            id: "arn:x".into(),
            name: "n".into(),
            start_time: "t".into(),
            input: json!({}),
            role_arn: "r".into(),
            redrive_count: 0,
            state_machine_id: "sm".into(),
            state_machine_name: "smn".into(),
        }));
        (
            Context::new(exec, "S", jiff::Timestamp::UNIX_EPOCH, Some(0)),
            Variables::new(),
        )
    }

    #[test]
    fn result_path_places_and_creates() {
        let p = Path::parse_reference("$.a.b").unwrap();
        assert_eq!(
            place(&p, json!({"x": 1}), json!(2)).unwrap(),
            json!({"x": 1, "a": {"b": 2}})
        );
        let p = Path::parse_reference("$.x.y").unwrap();
        let e = place(&p, json!({"x": 1}), json!(2)).unwrap_err();
        assert_eq!(e.error, "States.ResultPathMatchFailure");
        let p = Path::parse_reference("$.l[1]").unwrap();
        assert_eq!(
            place(&p, json!({"l": [0, 0]}), json!(5)).unwrap(),
            json!({"l": [0, 5]})
        );
    }

    #[test]
    fn result_path_null_and_root() {
        assert_eq!(
            apply_result_path(Some(&ResultPath::Discard), json!(1), json!(2)).unwrap(),
            json!(1)
        );
        assert_eq!(
            apply_result_path(None, json!(1), json!(2)).unwrap(),
            json!(2)
        );
        let p = Path::parse_reference("$").unwrap();
        assert_eq!(
            apply_result_path(Some(&ResultPath::Path(p)), json!(1), json!(2)).unwrap(),
            json!(2)
        );
    }

    #[test]
    fn io_paths() {
        let (c, v) = env_parts();
        let env = Env {
            context: &c,
            vars: &v,
        };
        assert_eq!(
            apply_io_path(Some(&IoPath::Null), json!({"a": 1}), &env).unwrap(),
            json!({})
        );
        let p = IoPath::Path(Path::parse("$.a").unwrap());
        assert_eq!(
            apply_io_path(Some(&p), json!({"a": 1}), &env).unwrap(),
            json!(1)
        );
        let p = IoPath::Path(Path::parse("$.NoSuchOutputPath").unwrap());
        let e = apply_io_path(Some(&p), json!({}), &env).unwrap_err();
        assert_eq!(
            e.cause,
            "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
        );
        let p = IoPath::Path(Path::parse("$$.State.Name").unwrap());
        assert_eq!(
            apply_io_path(Some(&p), json!({}), &env).unwrap(),
            json!("S")
        );
    }
}
