//! Evaluation of intrinsic function calls (`States.Format`, `States.ArrayRange`, …).
//!
//! The call was parsed and its arity checked at load time (`stepfn_asl::intrinsic`); this
//! module checks the argument values and computes the result. Every failure is a
//! `States.IntrinsicFailure` whose cause names the function and what was wrong.

use crate::error::StatesError;
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use stepfn_asl::intrinsic::{split_format_template, FormatPart};
use stepfn_asl::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, Path};

/// `States.ArrayRange` builds at most this many elements.
pub const MAX_RANGE_ITEMS: i128 = 1000;

/// `States.Base64Encode`, `States.Base64Decode` and `States.Hash` take at most this many characters.
pub const MAX_INPUT_CHARS: usize = 10_000;

/// The hash algorithms `States.Hash` accepts.
pub const HASH_ALGORITHMS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/// Evaluates a parsed intrinsic call; `resolve` reads a path argument (`$.x`, `$$.x`, `$var`).
pub fn evaluate<'v>(
    call: &'v IntrinsicCall,
    resolve: &mut dyn FnMut(&Path) -> Result<Cow<'v, Value>, StatesError>,
) -> Result<Value, StatesError> {
    // Arguments are borrowed where they can be (literals, values a path selects), so a function
    // over a large array does not copy it first.
    let mut args: Vec<Cow<'v, Value>> = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(match arg {
            IntrinsicArg::Literal(v) => Cow::Borrowed(v),
            IntrinsicArg::Path(p) => resolve(p)?,
            IntrinsicArg::Call(inner) => Cow::Owned(evaluate(inner, resolve)?),
        });
    }
    let f = Func {
        name: call.function.name(),
    };
    // Arity was checked at parse time; `need` re-checks it so a hand-built call cannot panic.
    use IntrinsicFunction as F;
    match call.function {
        F::Format => format(f, call, &args),
        F::StringToJson => {
            f.need(&args, 1)?;
            string_to_json(f, &args[0])
        }
        F::JsonToString => {
            f.need(&args, 1)?;
            serde_json::to_string(&args[0])
                .map(Value::String)
                .map_err(|e| f.fail(format!("cannot serialize the value: {e}")))
        }
        F::Array => Ok(Value::Array(
            args.into_iter().map(Cow::into_owned).collect(),
        )),
        F::ArrayPartition => {
            f.need(&args, 2)?;
            let items = f.array(&args[0], "first argument")?;
            let size = f.integer(&args[1], "chunk size")?;
            if size <= 0 {
                return Err(f.fail(format!(
                    "the chunk size must be a positive integer, found {}",
                    args[1]
                )));
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        F::ArrayContains => {
            f.need(&args, 2)?;
            let items = f.array(&args[0], "first argument")?;
            Ok(Value::Bool(items.contains(&args[1])))
        }
        F::ArrayRange => {
            f.need(&args, 3)?;
            array_range(
                f,
                f.integer(&args[0], "start")?,
                f.integer(&args[1], "end")?,
                f.integer(&args[2], "step")?,
            )
        }
        F::ArrayGetItem => {
            f.need(&args, 2)?;
            let items = f.array(&args[0], "first argument")?;
            let index = f.integer(&args[1], "index")?;
            if index < 0 {
                return Err(f.fail(format!(
                    "the index must be a non-negative integer, found {index}"
                )));
            }
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| {
                    f.fail(format!(
                        "the index {index} is out of bounds for an array of {} {}",
                        items.len(),
                        if items.len() == 1 { "item" } else { "items" }
                    ))
                })
        }
        F::ArrayLength => {
            f.need(&args, 1)?;
            Ok(Value::from(f.array(&args[0], "argument")?.len()))
        }
        F::ArrayUnique => {
            f.need(&args, 1)?;
            let items = f.array(&args[0], "argument")?;
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for v in items {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::Array(out))
        }
        F::Base64Encode => {
            f.need(&args, 1)?;
            let s = f.limited_string(&args[0], "argument")?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        F::Base64Decode => {
            f.need(&args, 1)?;
            let s = f.limited_string(&args[0], "argument")?;
            let bytes = BASE64_DECODER
                .decode(s.as_bytes())
                .map_err(|e| f.fail(format!("the argument is not valid base64: {e}")))?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        F::Hash => {
            f.need(&args, 2)?;
            let data = f.limited_string(&args[0], "data")?;
            let algorithm = f.string(&args[1], "algorithm")?;
            hash(f, data, algorithm).map(Value::String)
        }
        F::JsonMerge => {
            f.need(&args, 3)?;
            json_merge(f, &args[0], &args[1], &args[2])
        }
        F::MathRandom => math_random(f, &args),
        F::MathAdd => {
            f.need(&args, 2)?;
            let a = f.rounded_i32(&args[0], "first argument")?;
            let b = f.rounded_i32(&args[1], "second argument")?;
            Ok(Value::from(i64::from(a) + i64::from(b)))
        }
        F::StringSplit => {
            f.need(&args, 2)?;
            let s = f.string(&args[0], "first argument")?;
            let delims = f.string(&args[1], "delimiter")?;
            // Every character of the second argument separates; empty pieces are dropped.
            let parts = s
                .split(|c: char| delims.contains(c))
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect();
            Ok(Value::Array(parts))
        }
        F::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
    }
}

/// Base64 as Java's basic decoder reads it: the standard alphabet, padding optional.
const BASE64_DECODER: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The function being evaluated: builds its failures and checks its argument types.
#[derive(Clone, Copy)]
struct Func {
    name: &'static str,
}

impl Func {
    fn fail(self, what: impl std::fmt::Display) -> StatesError {
        StatesError::intrinsic(format!("{}: {what}", self.name))
    }

    fn need(self, args: &[Cow<'_, Value>], n: usize) -> Result<(), StatesError> {
        if args.len() == n {
            Ok(())
        } else {
            Err(self.fail(format!("expected {n} arguments, found {}", args.len())))
        }
    }

    fn array<'v>(self, v: &'v Value, what: &str) -> Result<&'v Vec<Value>, StatesError> {
        v.as_array().ok_or_else(|| {
            self.fail(format!(
                "the {what} must be an array, found {}",
                describe(v)
            ))
        })
    }

    fn string<'v>(self, v: &'v Value, what: &str) -> Result<&'v str, StatesError> {
        v.as_str().ok_or_else(|| {
            self.fail(format!(
                "the {what} must be a string, found {}",
                describe(v)
            ))
        })
    }

    fn limited_string<'v>(self, v: &'v Value, what: &str) -> Result<&'v str, StatesError> {
        let s = self.string(v, what)?;
        let n = s.chars().count();
        if n > MAX_INPUT_CHARS {
            return Err(self.fail(format!(
                "the {what} has {n} characters; at most {MAX_INPUT_CHARS} are allowed"
            )));
        }
        Ok(s)
    }

    /// An integer argument. A float with an integral value (`2.0`) is accepted.
    fn integer(self, v: &Value, what: &str) -> Result<i64, StatesError> {
        if let Some(i) = v.as_i64() {
            return Ok(i);
        }
        if v.as_u64().is_some() {
            // Above i64::MAX: saturate (only ever used as a size, index or bound).
            return Ok(i64::MAX);
        }
        if let Some(x) = v.as_f64() {
            // [-2^63, 2^63): the integral floats that fit in an i64.
            if x.fract() == 0.0 && (i64::MIN as f64..i64::MAX as f64).contains(&x) {
                return Ok(x as i64);
            }
        }
        Err(self.fail(format!(
            "the {what} must be an integer, found {}",
            describe(v)
        )))
    }

    /// A number rounded to the nearest integer the way Java's `Math.round` does (halves go up),
    /// which must then fit in 32 bits.
    fn rounded_i32(self, v: &Value, what: &str) -> Result<i32, StatesError> {
        let n = match v {
            Value::Number(n) => n,
            _ => {
                return Err(self.fail(format!(
                    "the {what} must be a number, found {}",
                    describe(v)
                )))
            }
        };
        rounded_i32(n).ok_or_else(|| {
            self.fail(format!(
                "the {what} must be an integer between {} and {}, found {v}",
                i32::MIN,
                i32::MAX
            ))
        })
    }
}

/// A number rounded as Java's `Math.round` does (halves go up), if the result fits in 32 bits:
/// how the math functions read their arguments.
fn rounded_i32(n: &Number) -> Option<i32> {
    let rounded = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i128::from(i)),
        (None, Some(x)) => java_round(x),
        _ => None,
    };
    rounded.and_then(|r| i32::try_from(r).ok())
}

/// `States.MathAdd` of two numbers, or `None` where the call fails (an argument that does not
/// round to a 32-bit integer).
#[inline]
pub fn math_add(a: &Number, b: &Number) -> Option<i64> {
    Some(i64::from(rounded_i32(a)?) + i64::from(rounded_i32(b)?))
}

/// Java's `Math.round`: the nearest integer, halves rounded towards positive infinity.
/// `None` for values far outside any integer range of interest.
fn java_round(x: f64) -> Option<i128> {
    if !x.is_finite() || x.abs() > 1e30 {
        return None;
    }
    let mut r = x.round(); // halves away from zero
    if x < 0.0 && r - x == -0.5 {
        r += 1.0;
    }
    Some(r as i128)
}

/// A short description of a value's type for error causes.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() <= 64 => format!("the string {v}"),
        Value::String(_) => "a string".to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

fn format(f: Func, call: &IntrinsicCall, args: &[Cow<'_, Value>]) -> Result<Value, StatesError> {
    let Some(template) = args.first() else {
        return Err(f.fail("expected at least 1 argument, the template"));
    };
    let template = f.string(template, "template (first argument)")?;
    let parts = call
        .format_template()
        .unwrap_or_else(|| split_format_template(template));
    let placeholders = parts
        .iter()
        .filter(|p| matches!(p, FormatPart::Placeholder))
        .count();
    let values = &args[1..];
    if placeholders != values.len() {
        return Err(f.fail(format!(
            "the template has {placeholders} {} but {} {} given",
            if placeholders == 1 {
                "placeholder"
            } else {
                "placeholders"
            },
            values.len(),
            if values.len() == 1 {
                "value was"
            } else {
                "values were"
            }
        )));
    }
    let mut out = String::new();
    let mut next = values.iter();
    for part in &parts {
        match part {
            FormatPart::Text(t) => out.push_str(t),
            FormatPart::Placeholder => {
                if let Some(v) = next.next() {
                    write_format_value(&mut out, v);
                }
            }
        }
    }
    Ok(Value::String(out))
}

/// How `States.Format` prints a value: strings as they are, numbers and literals as Java
/// prints them, objects as `{key=value, …}` and arrays as `[a, b]` (Java's `toString`).
pub fn write_format_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Integers are written in place (as `java_number` prints them), without a String of
        // their own.
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_format_value(out, item);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_format_value(out, item);
            }
            out.push('}');
        }
    }
}

/// A number as Java prints it: integers as digits, floats like `Double.toString`
/// (`1.0`, `1.5E-4`, `1.0E21`).
fn java_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(x) = n.as_f64() else {
        return n.to_string();
    };
    java_double(x)
}

fn java_double(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let s = x.to_string();
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust's `{:e}` gives the shortest digits: `1.5e-4`, `1e21`.
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exp}")
        } else {
            format!("{mantissa}.0E{exp}")
        }
    }
}

fn string_to_json(f: Func, v: &Value) -> Result<Value, StatesError> {
    let s = f.string(v, "argument")?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        // A blank string parses to null (as Jackson's `readTree` does).
        return Ok(Value::Null);
    }
    let text = integer_negative_zero(trimmed);
    serde_json::from_str(&text).map_err(|e| f.fail(format!("the argument is not valid JSON: {e}")))
}

/// Rewrites every number token `-0` (an integer) to `0` outside JSON strings, so it parses as
/// the integer zero rather than the float `-0.0`.
fn integer_negative_zero(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("-0") {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '-'
            && chars.get(i + 1) == Some(&'0')
            && !matches!(chars.get(i + 2), Some('.' | 'e' | 'E' | '0'..='9'))
        {
            // Drop the sign of an integer `-0`.
        } else {
            out.push(c);
        }
        i += 1;
    }
    out.into()
}

fn array_range(f: Func, start: i64, end: i64, step: i64) -> Result<Value, StatesError> {
    if step == 0 {
        return Err(f.fail("the step (third argument) must not be 0"));
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > MAX_RANGE_ITEMS {
        return Err(f.fail(format!(
            "the range would hold {count} items; at most {MAX_RANGE_ITEMS} are allowed"
        )));
    }
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut x = start;
    for _ in 0..count {
        // Within [start, end], so it fits in an i64.
        out.push(Value::from(i64::try_from(x).unwrap_or_default()));
        x += step;
    }
    Ok(Value::Array(out))
}

fn hash(f: Func, data: &str, algorithm: &str) -> Result<String, StatesError> {
    use sha2::Digest;
    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
    let d = data.as_bytes();
    Ok(match algorithm {
        "MD5" => hex(&md5::Md5::digest(d)),
        "SHA-1" => hex(&sha1::Sha1::digest(d)),
        "SHA-256" => hex(&sha2::Sha256::digest(d)),
        "SHA-384" => hex(&sha2::Sha384::digest(d)),
        "SHA-512" => hex(&sha2::Sha512::digest(d)),
        other => {
            return Err(f.fail(format!(
                "unsupported hash algorithm `{other}`; use one of {}",
                HASH_ALGORITHMS.join(", ")
            )))
        }
    })
}

fn json_merge(f: Func, a: &Value, b: &Value, deep: &Value) -> Result<Value, StatesError> {
    let a = a.as_object().ok_or_else(|| {
        f.fail(format!(
            "the first argument must be an object, found {}",
            describe(a)
        ))
    })?;
    let b = b.as_object().ok_or_else(|| {
        f.fail(format!(
            "the second argument must be an object, found {}",
            describe(b)
        ))
    })?;
    match deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(f.fail("deep merge is not supported: the third argument must be false"));
        }
        other => {
            return Err(f.fail(format!(
                "the third argument must be the boolean false, found {}",
                describe(other)
            )));
        }
    }
    // Shallow: the keys of the second object win; the first object's key order is kept.
    let mut out: Map<String, Value> = a.clone();
    for (k, v) in b {
        out.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(out))
}

fn math_random(f: Func, args: &[Cow<'_, Value>]) -> Result<Value, StatesError> {
    if !(2..=3).contains(&args.len()) {
        return Err(f.fail(format!("expected 2 or 3 arguments, found {}", args.len())));
    }
    let start = f.rounded_i32(&args[0], "start")?;
    let end = f.rounded_i32(&args[1], "end")?;
    if start >= end {
        return Err(f.fail(format!(
            "the start ({start}) must be less than the end ({end}); the end is exclusive"
        )));
    }
    let mut rng = match args.get(2) {
        Some(seed) => fastrand::Rng::with_seed(i64::from(f.rounded_i32(seed, "seed")?) as u64),
        None => fastrand::Rng::new(),
    };
    Ok(Value::from(rng.i32(start..end)))
}

#[cfg(test)]
mod tests;
