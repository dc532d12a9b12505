//! Step Functions' quotas that an execution can reach, each checked here.
//!
//! - History: a Standard execution whose history would pass [`HISTORY_EVENTS`] events fails.
//!   AWS's quota page says only that "the execution fails"; it names no error, so stepfn fails it
//!   with `States.Runtime` and a cause naming the quota, its last event (`ExecutionFailed`) being
//!   the 25,000th. Express executions (history only counted) have no such quota.
//!   [`lift_history_quota`] turns it off for local development (on by default).
//! - Nesting: a JSON value nests at most [`MAX_DEPTH`] arrays and objects, whoever makes it. AWS
//!   documents no nesting limit; its JSON readers are Jackson's, whose default limit is 1,000
//!   levels, and stepfn takes that number: deep enough for any real payload, shallow enough that
//!   the runtime's own recursive work on a value cannot exhaust a thread's stack. Every reader of
//!   JSON text the runtime made or received ([`read_json`]) accepts exactly what the runtime may
//!   produce (`check_depth` on every state's output), so nothing written is read back as an
//!   error or as `null`.
//!
//! - Payload: an execution's input and every state's output fit the payload limit (256 KiB;
//!   [`ExecutionOptions::payload_limit`](crate::ExecutionOptions::payload_limit)).
//!
//! Every state's output, in the interpreter and in the compiled form alike, goes through
//! `check_output` (payload and nesting). The definition limit (1 MB) and the name rules are
//! checked where definitions and names enter (`stepfn_asl`, `Runtime::start`).

use crate::error::{names, StatesError};
use crate::io::size;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

/// The most events a Standard execution's history holds (AWS: 25,000).
pub const HISTORY_EVENTS: u64 = 25_000;

/// The deepest nesting of arrays and objects in a value (`[]` is 1 level).
pub const MAX_DEPTH: usize = 1_000;

static HISTORY_QUOTA_LIFTED: AtomicBool = AtomicBool::new(false);

/// Lifts (or restores) the history quota for executions started afterwards in this process. For
/// local development only: on AWS the quota holds.
pub fn lift_history_quota(lifted: bool) {
    HISTORY_QUOTA_LIFTED.store(lifted, Ordering::Relaxed);
}

/// The history quota in force: `None` when lifted.
pub(crate) fn history_events() -> Option<u64> {
    (!HISTORY_QUOTA_LIFTED.load(Ordering::Relaxed)).then_some(HISTORY_EVENTS)
}

/// The error of an execution whose history reached the quota.
pub(crate) fn history_exceeded() -> StatesError {
    StatesError::runtime(format!(
        "The execution reached the maximum number of history events ({HISTORY_EVENTS}), \
         the Step Functions quota for a Standard execution's history"
    ))
}

/// JSON text that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not of the expected shape.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error(
        "the JSON text nests deeper than {MAX_DEPTH} levels (at byte {offset}); \
         the limit is {MAX_DEPTH}"
    )]
    TooDeep {
        /// The byte offset of the bracket that passes the limit.
        offset: usize,
    },
}

/// Reads JSON text nested at most [`MAX_DEPTH`] levels: the one reader of everything the runtime
/// stores, receives or prints (serde_json's own limit, 128, is lower than what executions make).
pub fn read_json<T: DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    if let Some(offset) = too_deep_at(text.as_bytes()) {
        return Err(ReadError::TooDeep { offset });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    // The nesting is bounded above; serde_stacker grows the stack as the reader descends.
    de.disable_recursion_limit();
    let v = T::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(v)
}

/// The offset of the first `[` or `{` outside strings that opens level `MAX_DEPTH + 1`.
fn too_deep_at(text: &[u8]) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Levels [`depth`] walks by recursion (a small, bounded stack, no allocation) before a work list
/// takes over for a deeper value.
const RECURSION_LEVELS: usize = 64;

/// The nesting depth of `v`, counted up to `MAX_DEPTH + 1`.
pub fn depth(v: &Value) -> usize {
    /// The depth of `v`, or `None` when it nests deeper than `levels`.
    fn shallow(v: &Value, levels: usize) -> Option<usize> {
        let mut inner = 0;
        let mut visit = |c: &Value| {
            if is_container(&c) {
                inner = inner.max(shallow(c, levels.checked_sub(1)?)?);
            }
            Some(())
        };
        match v {
            Value::Array(a) => a.iter().try_for_each(&mut visit)?,
            Value::Object(m) => m.values().try_for_each(&mut visit)?,
            _ => return Some(0),
        }
        Some(inner + 1)
    }
    match shallow(v, RECURSION_LEVELS) {
        Some(d) => d,
        None => deep(v),
    }
}

fn is_container(v: &&Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

/// [`depth`] of a deeply nested value: iterative (a work list of values and their levels), so no
/// recursion on deep values. Only arrays and objects go on the work list: scalars (most of a
/// value) cost no push.
fn deep(v: &Value) -> usize {
    if !is_container(&v) {
        return 0;
    }
    let mut deepest = 0;
    let mut todo = vec![(v, 1usize)];
    while let Some((v, level)) = todo.pop() {
        deepest = deepest.max(level);
        if deepest > MAX_DEPTH {
            return MAX_DEPTH + 1;
        }
        let inner = level + 1;
        match v {
            Value::Array(a) => todo.extend(a.iter().filter(is_container).map(|c| (c, inner))),
            Value::Object(m) => todo.extend(m.values().filter(is_container).map(|c| (c, inner))),
            _ => {}
        }
    }
    deepest
}

/// The error of a payload over the limit: the execution input (`state` `None`), or the result of
/// `state`.
pub(crate) fn payload_exceeded(state: Option<&str>) -> StatesError {
    match state {
        None => StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            "The execution input exceeds the maximum payload size of 262144 bytes",
        ),
        Some(what) => StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{what}' returned a result with a size exceeding the maximum \
                 number of bytes service limit."
            ),
        ),
    }
}

/// The checks of a state's output, whichever driver runs it: the payload limit (when there is
/// one) and the nesting quota. `bound` is an upper bound of the output's JSON text length when
/// the state knows one (else the output is counted); returns a bound of it (`None` without a
/// payload limit).
#[inline(always)]
pub(crate) fn check_output(
    output: &Value,
    bound: Option<usize>,
    payload_limit: Option<usize>,
    state: &str,
) -> Result<Option<usize>, StatesError> {
    let bound = match (payload_limit, bound) {
        (None, _) => None,
        (Some(limit), Some(b)) if b <= limit => Some(b),
        (Some(limit), _) => match size::checked(output, limit) {
            Some(b) => Some(b),
            None => return Err(payload_exceeded(Some(state))),
        },
    };
    check_depth(output, bound)?;
    Ok(bound)
}

/// Fails a state whose output nests deeper than [`MAX_DEPTH`]. `bound`, an upper bound of the
/// output's JSON text length when known, skips the walk for outputs too short to be that deep
/// (each level takes at least two bytes).
pub(crate) fn check_depth(v: &Value, bound: Option<usize>) -> Result<(), StatesError> {
    if bound.is_some_and(|b| b <= 2 * MAX_DEPTH) || depth(v) <= MAX_DEPTH {
        return Ok(());
    }
    Err(StatesError::runtime(format!(
        "The state's output nests deeper than {MAX_DEPTH} levels of arrays and objects, \
         the most a value can nest"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn reads_up_to_the_limit_and_no_deeper() {
        let v: Value = read_json(&nested(MAX_DEPTH)).unwrap();
        assert_eq!(depth(&v), MAX_DEPTH);
        let e = read_json::<Value>(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(matches!(e, ReadError::TooDeep { offset } if offset == MAX_DEPTH));
        // Brackets inside strings do not count.
        let s = format!("[\"{}\\\"{}\"]", "[".repeat(2000), "{".repeat(2000));
        assert_eq!(read_json::<Value>(&s).unwrap().as_array().unwrap().len(), 1);
        assert!(read_json::<Value>("[1] x").is_err());
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth(&serde_json::json!("x")), 0);
        assert_eq!(depth(&serde_json::json!([])), 1);
        assert_eq!(depth(&serde_json::json!({"a": [1, {"b": []}], "c": 2})), 4);
        // Around the levels walked by recursion, and with the deepest branch last.
        for levels in RECURSION_LEVELS - 1..=RECURSION_LEVELS + 3 {
            let v: Value = read_json(&nested(levels)).unwrap();
            assert_eq!((depth(&v), deep(&v)), (levels, levels));
            let wide = serde_json::json!({"a": [[1]], "b": {"c": v}});
            assert_eq!(depth(&wide), levels + 2);
        }
        let deep: Value = read_json(&nested(MAX_DEPTH)).unwrap();
        assert!(check_depth(&deep, None).is_ok());
        let deeper = Value::Array(vec![deep]);
        assert_eq!(depth(&deeper), MAX_DEPTH + 1);
        assert!(check_depth(&deeper, None).is_err());
        // A bound too small to hold the nesting skips the walk; a large one does not.
        assert!(check_depth(&deeper, Some(2 * MAX_DEPTH + 2)).is_err());
    }

    #[test]
    fn outputs_are_checked_for_size_and_nesting() {
        let small = serde_json::json!({"a": [1, 2]});
        // Counted when no bound is known; a known bound under the limit is kept.
        let b = check_output(&small, None, Some(100), "S").unwrap().unwrap();
        assert!(b >= small.to_string().len());
        assert_eq!(
            check_output(&small, Some(50), Some(100), "S").unwrap(),
            Some(50)
        );
        // A bound over the limit is not trusted: the output is counted.
        assert!(check_output(&small, Some(500), Some(100), "S").is_ok());
        assert_eq!(check_output(&small, None, None, "S").unwrap(), None);
        let big = Value::String("x".repeat(200));
        let e = check_output(&big, None, Some(100), "Big").unwrap_err();
        assert_eq!(e.error, names::DATA_LIMIT_EXCEEDED);
        assert!(e.cause.contains("'Big'"), "{e:?}");
        // Nesting is checked with or without a payload limit.
        let deep = (0..=MAX_DEPTH).fold(Value::Null, |v, _| Value::Array(vec![v]));
        assert_eq!(depth(&deep), MAX_DEPTH + 1);
        for limit in [None, Some(1 << 20)] {
            let e = check_output(&deep, None, limit, "Deep").unwrap_err();
            assert_eq!(e.error, names::RUNTIME);
            assert!(e.cause.contains("nests deeper"), "{e:?}");
        }
    }
}
