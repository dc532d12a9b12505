//! The specialized path of a compiled workflow.
//!
//! `workflow!` evaluates the Pass, Choice, Succeed and Fail states of the top-level scope
//! symbolically at compile time: it knows which parts of each state's data are constants, which
//! are integers computed by `States.MathAdd`, which are copies of the execution input, and how
//! objects are put together. It then generates a second form of the scope, used when the history
//! is only counted and nothing reads `$$`: integers stay in Rust locals, objects are made only
//! when a state needs them whole (the output, a deoptimization), and a loop of Choice and Pass
//! states becomes a Rust loop. A Parallel or Map state (without Retry, Catch, Parameters,
//! ItemSelector or ResultSelector) whose branches or processor start with such states runs them
//! as specialized functions that borrow their input; if one of them gives up ([`Sub::Bail`]), the
//! events counted since the state was entered are taken back and the state deoptimizes whole.
//!
//! Whenever the specialized path meets what it does not handle (a state of another type, a value
//! of an unexpected type, anything that would raise an error, an output whose size bound passes
//! the payload limit), it *deoptimizes*: it builds the JSON of the current state's input and
//! hands it, with the state, to the general form of the scope ([`Exit::Deopt`]), which runs that
//! state again from the start with the interpreter's rules and raises the right error. The
//! specialized path has no side effects to undo: Pass and Choice states only compute, and the
//! events it counts are those of the states it completed.
//!
//! The general form hands control back ([`entry`] at a state index) at the states that follow one
//! the specialized path never covers (a Task, a Wait) or may hand over (a Parallel, a Map), so
//! the JSON-only stretches between tasks run specialized too.
//!
//! The functions here are the specialized path's share of the rules; each is the function the
//! interpreter uses (or a piece of it), so the two forms cannot drift apart.

use super::{Data, Execution};
use crate::error::StatesError;
use serde_json::{Number, Value};
use stepfn_asl::Comparison;

/// How the specialized path of a scope ended.
pub enum Exit {
    /// The scope ended: its output, or its error.
    Done(Result<Data, StatesError>),
    /// The general form continues at this state (its index in the scope) with this input.
    Deopt(usize, Data),
}

/// How the specialized path of a Parallel branch or Map processor ended.
pub enum Sub {
    /// Its output, and a bound of its JSON text (within the payload limit when there is one).
    Done(Value, usize),
    /// It met what it does not handle (or an error): the Parallel or Map state that runs it
    /// deoptimizes as a whole.
    Bail,
}

/// Where the event count stands, to go back to if a specialized Parallel or Map gives up.
#[derive(Clone, Copy)]
pub struct Mark {
    events: u64,
    prev: u64,
}

/// The event count before a specialized Parallel or Map.
#[inline]
pub fn mark(cx: &Execution, prev: u64) -> Mark {
    Mark {
        events: cx.history.len(),
        prev,
    }
}

/// After a specialized Parallel's branches or Map's iterations: `*prev` becomes the id of the
/// last event counted (as the general form does after joining them).
#[inline]
pub fn caught_up(cx: &Execution, prev: &mut u64) {
    *prev = cx.history.len().max(*prev);
}

/// Forgets the events counted since `mark` (the state deoptimizes and is run again).
#[cold]
pub fn rewind(cx: &Execution, mark: Mark, prev: &mut u64) {
    cx.history.rewind(mark.events);
    *prev = mark.prev;
}

/// A Fail state's error.
#[cold]
pub fn failed(error: &str, cause: &str) -> Exit {
    Exit::Done(Err(StatesError::new(error, cause)))
}

/// What the specialized path starts from at state `at`: the input as JSON and its size bound
/// (a typed value is serialized, as the state would do). Otherwise how the path ends at once:
/// it does not run when the history is kept, and hands a JSON input with no known bound that
/// passes the payload limit to the general form, which reports it; a typed value too large to
/// be serialized within the limit fails as the state would fail.
#[inline]
pub fn entry(cx: &Execution, at: usize, data: Data) -> Result<(Value, usize), Exit> {
    if cx.keep {
        return Err(Exit::Deopt(at, data));
    }
    // A typed value is measured once, as it is serialized.
    let (v, bound) = cx.json_measured(data).map_err(|e| Exit::Done(Err(e)))?;
    match (cx.payload_limit, bound) {
        (None, _) => Ok((v, 0)),
        (Some(_), Some(b)) => Ok((v, b)),
        (Some(l), None) => match crate::io::size::checked(&v, l) {
            Some(b) => Ok((v, b)),
            None => Err(Exit::Deopt(at, Data::Json(v))),
        },
    }
}

/// The payload limit outputs are checked against, if any.
#[inline]
pub fn limit(cx: &Execution) -> Option<usize> {
    cx.payload_limit
}

/// Counts one event (the history is only counted on the specialized path): `*prev` becomes its
/// id.
#[inline]
pub fn count(cx: &Execution, prev: &mut u64) {
    *prev = cx.count();
}

/// The scope's output: `bound` is the specialized path's bound of its JSON text, known to be
/// within the payload limit when there is one.
#[inline]
pub fn done(cx: &Execution, v: Value, bound: usize) -> Exit {
    Exit::Done(Ok(match cx.payload_limit {
        Some(_) => Data::Bounded(v, bound),
        None => Data::Json(v),
    }))
}

/// A state's input handed to the general form; `bound` is the specialized path's bound of its
/// JSON text, known to be within the payload limit when there is one (the input of a state is
/// the checked output of the one before it, or the checked execution input).
#[inline(never)]
#[cold]
pub fn deopt(cx: &Execution, state: usize, v: Value, bound: usize) -> Exit {
    Exit::Deopt(
        state,
        match cx.payload_limit {
            Some(_) => Data::Bounded(v, bound),
            None => Data::Json(v),
        },
    )
}

/// `.name` of a definite path.
#[inline]
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    stepfn_asl::path::field(v, name)
}

/// `[i]` of a definite path.
#[inline]
pub fn index(v: &Value, i: i64) -> Option<&Value> {
    stepfn_asl::path::index(v, i)
}

/// The number a value is, if it is one.
#[inline]
pub fn number(v: &Value) -> Option<&Number> {
    match v {
        Value::Number(n) => Some(n),
        _ => None,
    }
}

/// `States.MathAdd`, or `None` where it fails.
#[inline]
pub fn math_add(a: &Number, b: &Number) -> Option<i64> {
    crate::io::intrinsics::math_add(a, b)
}

/// Any intrinsic call, evaluated as the interpreter does, its path arguments read by the caller
/// (`(path text, value)`); `None` where it fails (a missing path, a wrong argument): the state
/// deoptimizes and the general form raises the error. `call` is `None` if the call's text did
/// not parse again (it always does: it was parsed to generate the code).
pub fn intrinsic<'a>(
    call: Option<&'a stepfn_asl::IntrinsicCall>,
    args: &[(&str, Option<&'a Value>)],
) -> Option<Value> {
    let call = call?;
    crate::io::intrinsics::evaluate(call, &mut |p| {
        args.iter()
            .find(|(text, _)| *text == p.as_str())
            .and_then(|(_, v)| *v)
            .map(std::borrow::Cow::Borrowed)
            .ok_or_else(|| StatesError::runtime("path not found"))
    })
    .ok()
}

/// Appends a `States.Format` argument as the function prints it.
#[inline]
pub fn format_arg(out: &mut String, v: &Value) {
    crate::io::intrinsics::write_format_value(out, v);
}

/// A Choice comparison of what the `Variable` selected with a literal operand; `None` where the
/// rule raises an error (a missing `Variable`).
#[inline]
pub fn compare(op: Comparison, value: Option<&Value>, rhs: &Value) -> Option<bool> {
    crate::engine::choice::compare_selected(op, value, rhs)
}

/// An upper bound of a value's JSON text, given the payload limit: counted.
#[inline]
pub fn value_bound(v: &Value, limit: usize) -> usize {
    crate::io::size::bound(v, limit)
}

/// An upper bound of a string's JSON text.
#[inline]
pub fn string_bound(s: &str) -> usize {
    crate::io::size::string_bound(s)
}

/// `ResultPath` `$.name` on an object known to be one: the field is replaced in place, or
/// appended (see [`crate::io::paths::place`]).
#[inline]
pub fn set_field(target: &mut Value, name: &str, value: Value) {
    if let Value::Object(m) = target {
        match stepfn_asl::object::get_mut(m, name) {
            Some(slot) => *slot = value,
            None => {
                m.insert(name.to_string(), value);
            }
        }
    }
}

/// An object with room for `n` members.
#[inline]
pub fn object(n: usize) -> serde_json::Map<String, Value> {
    serde_json::Map::with_capacity(n)
}

/// The shape of a state's data on the specialized path: how to build its JSON from the path's
/// locals when it deoptimizes. `workflow!` writes it as JSON text; generated code reads it once.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A constant.
    Const(Value),
    /// The integer local of this index.
    Int(usize),
    /// The JSON local of this index.
    Val(usize),
    /// An object with these members, in order.
    Obj(Vec<(String, Shape)>),
    /// The JSON local of this index (an object) with these members set over it.
    Overlay(usize, Vec<(String, Shape)>),
}

impl Shape {
    /// Reads the text `workflow!` writes: `["c", value]`, `["i", k]`, `["v", k]`,
    /// `["o", [[key, shape], …]]`, `["l", k, [[key, shape], …]]`.
    pub fn parse(text: &str) -> Option<Shape> {
        fn read(v: &Value) -> Option<Shape> {
            let a = v.as_array()?;
            let index = |i: usize| a.get(i)?.as_u64().and_then(|k| usize::try_from(k).ok());
            let members = |i: usize| -> Option<Vec<(String, Shape)>> {
                a.get(i)?
                    .as_array()?
                    .iter()
                    .map(|m| Some((m.get(0)?.as_str()?.to_string(), read(m.get(1)?)?)))
                    .collect()
            };
            match a.first()?.as_str()? {
                "c" => Some(Shape::Const(a.get(1)?.clone())),
                "i" => Some(Shape::Int(index(1)?)),
                "v" => Some(Shape::Val(index(1)?)),
                "o" => Some(Shape::Obj(members(1)?)),
                "l" => Some(Shape::Overlay(index(1)?, members(2)?)),
                _ => None,
            }
        }
        read(&serde_json::from_str(text).ok()?)
    }

    /// The JSON: integers from `ints`, JSON values moved out of `vals`.
    fn build(&self, ints: &[i64], vals: &mut [Value]) -> Option<Value> {
        Some(match self {
            Shape::Const(v) => v.clone(),
            Shape::Int(k) => Value::from(*ints.get(*k)?),
            Shape::Val(k) => std::mem::take(vals.get_mut(*k)?),
            Shape::Obj(members) => {
                let mut m = object(members.len());
                for (key, s) in members {
                    m.insert(key.clone(), s.build(ints, vals)?);
                }
                Value::Object(m)
            }
            Shape::Overlay(k, members) => {
                let mut base = std::mem::take(vals.get_mut(*k)?);
                for (key, s) in members {
                    let v = s.build(ints, vals)?;
                    set_field(&mut base, key, v);
                }
                base
            }
        })
    }
}

/// Deoptimizes at `state`, building its input from `shape` and the path's locals (see
/// [`deopt`]). A shape that does not fit its locals (a bug of `workflow!`) fails the execution
/// with `States.Runtime` rather than run on wrong data.
#[inline(never)]
#[cold]
pub fn deopt_shape<const N: usize>(
    cx: &Execution,
    state: usize,
    shape: Option<&Shape>,
    ints: &[i64],
    mut vals: [Value; N],
    bound: usize,
) -> Exit {
    match shape.and_then(|s| s.build(ints, &mut vals)) {
        Some(v) => deopt(cx, state, v, bound),
        None => Exit::Done(Err(StatesError::runtime(
            "internal error: a compiled workflow's specialized path could not rebuild its data",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_build_what_they_describe() {
        let shape = Shape::parse(
            r#"["l", 0, [["counter", ["o", [["n", ["i", 0]], ["last", ["c", "P3"]], ["v", ["v", 1]]]]], ["extra", ["c", [1]]]]]"#,
        )
        .unwrap();
        let mut vals = [json!({"counter": 1, "keep": true}), json!("moved")];
        let v = shape.build(&[42], &mut vals).unwrap();
        assert_eq!(
            v,
            json!({"counter": {"n": 42, "last": "P3", "v": "moved"}, "keep": true, "extra": [1]})
        );
        // The replaced member keeps its place; the new one is appended.
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["counter", "keep", "extra"]);
        // A shape that does not fit its locals builds nothing.
        assert_eq!(
            Shape::parse(r#"["i", 3]"#).unwrap().build(&[1], &mut []),
            None
        );
        assert_eq!(Shape::parse(r#"["x", 1]"#), None);
        assert_eq!(Shape::parse("not json"), None);
    }
}
