//! Choice rules evaluated as Step Functions does: a value of the wrong type makes a comparison
//! false (not an error), a missing `Variable` is a `States.Runtime` error unless tested with
//! `IsPresent`, numbers compare by value, strings by code point, timestamps as instants.

use crate::error::{names, StatesError};
use crate::io::{paths, Env};
use serde_json::Value;
use std::cmp::Ordering;
use stepfn_asl::{Choice, Comparison, Condition, Operand};

/// The rule of a JSONPath Choice state that `input` matches: the first whose condition holds
/// (`Some(index)`), else the `Default` (`None`); `States.NoChoiceMatched` when there is none.
/// The interpreter and the compiled form both call it; the plan says where the rule leads.
pub(crate) fn matching_rule(
    c: &Choice,
    input: &Value,
    env: &Env<'_>,
) -> Result<Option<usize>, StatesError> {
    for (i, rule) in c.choices.iter().enumerate() {
        if evaluate(&rule.condition, input, env)? {
            return Ok(Some(i));
        }
    }
    match c.default {
        Some(_) => Ok(None),
        None => Err(StatesError::new(names::NO_CHOICE_MATCHED, "No Matches!")),
    }
}

/// Evaluates a JSONPath condition against the state's effective input.
pub fn evaluate(c: &Condition, input: &Value, env: &Env<'_>) -> Result<bool, StatesError> {
    match c {
        Condition::And(cs) => {
            for c in cs {
                if !evaluate(c, input, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(cs) => {
            for c in cs {
                if evaluate(c, input, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(c) => Ok(!evaluate(c, input, env)?),
        Condition::Compare {
            variable,
            op,
            operand,
        } => {
            let value = paths::select_ref(variable, input, env)?;
            let owned;
            let value = match value {
                Some(v) => Some(v),
                None if !variable.is_definite() => {
                    owned = paths::select(variable, input, env)?;
                    owned.as_ref()
                }
                None => None,
            };
            if *op == Comparison::IsPresent {
                return Ok(is_present(value, operand_literal(operand)));
            }
            let Some(value) = value else {
                return Err(StatesError::runtime(format!(
                    "Invalid path '{}' : No results for path: {}",
                    variable.as_str(),
                    variable.normalized()
                )));
            };
            let rhs_owned;
            let rhs: &Value = match operand {
                Operand::Literal(v) => v,
                Operand::Path(p) => match paths::select(p, input, env)? {
                    Some(v) => {
                        rhs_owned = v;
                        &rhs_owned
                    }
                    None => {
                        return Err(StatesError::runtime(format!(
                            "Invalid path '{}' : No results for path: {}",
                            p.as_str(),
                            p.normalized()
                        )))
                    }
                },
            };
            Ok(compare(*op, value, rhs))
        }
        Condition::Jsonata(e) => Err(StatesError::runtime(format!(
            "JSONata conditions are not supported yet (`{}`)",
            e.source
        ))),
        Condition::Constant(b) => Ok(*b),
    }
}

fn operand_literal(o: &Operand) -> Option<&Value> {
    match o {
        Operand::Literal(v) => Some(v),
        Operand::Path(_) => None,
    }
}

/// `IsPresent` of what a `Variable` selected, against its literal operand.
fn is_present(value: Option<&Value>, operand: Option<&Value>) -> bool {
    value.is_some() == operand.and_then(Value::as_bool).unwrap_or(true)
}

/// A comparison with a literal operand of what its `Variable` selected (`None`: nothing).
/// `None` when that is an error: a missing `Variable` tested with anything but `IsPresent`.
#[inline]
pub fn compare_selected(op: Comparison, value: Option<&Value>, rhs: &Value) -> Option<bool> {
    match (op, value) {
        (Comparison::IsPresent, v) => Some(is_present(v, Some(rhs))),
        (_, Some(v)) => Some(compare(op, v, rhs)),
        (_, None) => None,
    }
}

/// Compares a present value with the operand.
pub fn compare(op: Comparison, value: &Value, rhs: &Value) -> bool {
    use Comparison as C;
    let ord = |o: Option<Ordering>, f: fn(Ordering) -> bool| o.is_some_and(f);
    match op {
        C::StringEquals => str_cmp(value, rhs) == Some(Ordering::Equal),
        C::StringLessThan => ord(str_cmp(value, rhs), Ordering::is_lt),
        C::StringGreaterThan => ord(str_cmp(value, rhs), Ordering::is_gt),
        C::StringLessThanEquals => ord(str_cmp(value, rhs), Ordering::is_le),
        C::StringGreaterThanEquals => ord(str_cmp(value, rhs), Ordering::is_ge),
        C::StringMatches => match (value, rhs) {
            (Value::String(s), Value::String(p)) => string_matches(s, p),
            _ => false,
        },
        C::NumericEquals => num_cmp(value, rhs) == Some(Ordering::Equal),
        C::NumericLessThan => ord(num_cmp(value, rhs), Ordering::is_lt),
        C::NumericGreaterThan => ord(num_cmp(value, rhs), Ordering::is_gt),
        C::NumericLessThanEquals => ord(num_cmp(value, rhs), Ordering::is_le),
        C::NumericGreaterThanEquals => ord(num_cmp(value, rhs), Ordering::is_ge),
        C::BooleanEquals => match (value, rhs) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        C::TimestampEquals => ts_cmp(value, rhs) == Some(Ordering::Equal),
        C::TimestampLessThan => ord(ts_cmp(value, rhs), Ordering::is_lt),
        C::TimestampGreaterThan => ord(ts_cmp(value, rhs), Ordering::is_gt),
        C::TimestampLessThanEquals => ord(ts_cmp(value, rhs), Ordering::is_le),
        C::TimestampGreaterThanEquals => ord(ts_cmp(value, rhs), Ordering::is_ge),
        C::IsNull => value.is_null() == rhs.as_bool().unwrap_or(true),
        C::IsPresent => rhs.as_bool().unwrap_or(true),
        C::IsNumeric => value.is_number() == rhs.as_bool().unwrap_or(true),
        C::IsString => value.is_string() == rhs.as_bool().unwrap_or(true),
        C::IsBoolean => value.is_boolean() == rhs.as_bool().unwrap_or(true),
        C::IsTimestamp => {
            let is_ts = value
                .as_str()
                .is_some_and(|s| stepfn_asl::timestamp::parse(s).is_some());
            is_ts == rhs.as_bool().unwrap_or(true)
        }
    }
}

fn str_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                return Some(x.cmp(&y));
            }
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                return Some(x.cmp(&y));
            }
            a.as_f64()?.partial_cmp(&b.as_f64()?)
        }
        _ => None,
    }
}

fn ts_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let a = stepfn_asl::timestamp::parse(a.as_str()?)?;
    let b = stepfn_asl::timestamp::parse(b.as_str()?)?;
    Some(a.cmp(&b))
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star, `\\` a backslash.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(Tok::Ch(n)),
                None => toks.push(Tok::Ch('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let chars: Vec<char> = s.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut i, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < chars.len() {
        match toks.get(t) {
            Some(Tok::Ch(c)) if *c == chars[i] => {
                i += 1;
                t += 1;
            }
            Some(Tok::Star) => {
                star = Some((t, i));
                t += 1;
            }
            _ => match star {
                Some((st, si)) => {
                    t = st + 1;
                    i = si + 1;
                    star = Some((st, si + 1));
                }
                None => return false,
            },
        }
    }
    while toks.get(t) == Some(&Tok::Star) {
        t += 1;
    }
    t == toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(!string_matches("log-2024.txd", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abc", "*b*"));
        assert!(string_matches("a\\b", "a\\\\b"));
    }

    #[test]
    fn type_mismatch_is_false() {
        assert!(!compare(Comparison::NumericEquals, &json!("1"), &json!(1)));
        assert!(compare(Comparison::NumericEquals, &json!(1), &json!(1.0)));
        assert!(compare(Comparison::NumericEquals, &json!(0), &json!(-0.0)));
        assert!(!compare(Comparison::StringEquals, &json!(1), &json!("1")));
        assert!(!compare(
            Comparison::TimestampEquals,
            &json!("date"),
            &json!("date")
        ));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        assert!(compare(
            Comparison::TimestampEquals,
            &json!("2024-01-01T01:00:00+01:00"),
            &json!("2024-01-01T00:00:00Z")
        ));
        assert!(compare(
            Comparison::TimestampLessThan,
            &json!("2024-01-01T00:00:00Z"),
            &json!("2024-01-01T00:00:00.5Z")
        ));
    }
}
