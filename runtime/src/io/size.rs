//! Payload size as Step Functions counts it: the UTF-8 bytes of the compact JSON text.

use serde_json::Value;

/// Step Functions' payload limit: 256 KiB.
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// The most bytes a float's JSON text takes (`-2.2250738585072014e-308`).
const FLOAT_LEN_MAX: usize = 24;

/// True when the compact JSON text of `v` is longer than `limit` bytes. Stops counting early.
///
/// Checked on every state's output, so it first counts an upper bound that does not format
/// floats (each counts as `FLOAT_LEN_MAX` (24) bytes); only a value whose bound passes the limit is
/// counted exactly.
pub fn exceeds(v: &Value, limit: usize) -> bool {
    checked(v, limit).is_none()
}

/// An upper bound of the length of `v`'s compact JSON text (floats counted at their longest),
/// or a number over `limit` once the count passes it.
pub fn bound(v: &Value, limit: usize) -> usize {
    let mut n = 0usize;
    count::<false>(v, &mut n, limit);
    n
}

/// `Some(b)`, with `b` at most `limit` and at least the length of `v`'s compact JSON text, when
/// that text fits in `limit` bytes; `None` when it does not.
pub fn checked(v: &Value, limit: usize) -> Option<usize> {
    let b = bound(v, limit);
    if b <= limit {
        return Some(b);
    }
    let mut n = 0usize;
    count::<true>(v, &mut n, limit);
    (n <= limit).then_some(n)
}

/// Adds the length of `v`'s compact JSON text to `n` (floats exactly when `EXACT`, else by their
/// upper bound), stopping once `n` passes `limit`.
fn count<const EXACT: bool>(v: &Value, n: &mut usize, limit: usize) {
    if *n > limit {
        return;
    }
    match v {
        Value::Null => *n += 4,
        Value::Bool(b) => *n += if *b { 4 } else { 5 },
        Value::Number(x) if !EXACT && x.is_f64() => *n += FLOAT_LEN_MAX,
        Value::Number(x) => *n += number_len(x),
        Value::String(s) => *n += string_len::<EXACT>(s),
        Value::Array(a) => {
            *n += 2 + a.len().saturating_sub(1);
            for x in a {
                count::<EXACT>(x, n, limit);
            }
        }
        Value::Object(m) => {
            *n += 2 + m.len().saturating_sub(1) + m.len();
            for (k, x) in m {
                *n += string_len::<EXACT>(k);
                count::<EXACT>(x, n, limit);
            }
        }
    }
}

/// The length of a number's JSON text, without allocating.
fn number_len(x: &serde_json::Number) -> usize {
    struct Counter(usize);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    if let Some(u) = x.as_u64() {
        return u.checked_ilog10().unwrap_or(0) as usize + 1;
    }
    if let Some(i) = x.as_i64() {
        return i.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 2;
    }
    let mut c = Counter(0);
    let _ = std::fmt::write(&mut c, format_args!("{x}"));
    c.0
}

/// An upper bound of the length of a string's JSON text (quotes and escapes included).
#[inline]
pub fn string_bound(s: &str) -> usize {
    string_len::<false>(s)
}

/// The length of a string's JSON text (quotes and escapes included); when not `EXACT`, an upper
/// bound that counts every escaped byte as a `\u00XX` escape, in one vectorizable pass.
fn string_len<const EXACT: bool>(s: &str) -> usize {
    if !EXACT {
        let escaped: usize = s
            .bytes()
            .map(|b| usize::from(b < 0x20 || b == b'"' || b == b'\\'))
            .sum();
        return 2 + s.len() + 5 * escaped;
    }
    let mut n = 2 + s.len();
    for b in s.bytes() {
        match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => n += 1,
            b if b < 0x20 => n += 5,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_like_compact_json() {
        for v in [
            json!(null),
            json!({"a": [1, 2.5, "x\"y\n", -17, 0, 10, 1e300, u64::MAX], "b": {"c": true}}),
            json!([]),
            json!({}),
        ] {
            let len = serde_json::to_string(&v).unwrap().len();
            assert!(!exceeds(&v, len));
            assert!(exceeds(&v, len - 1));
        }
    }

    #[test]
    fn float_text_fits_its_bound() {
        for f in [
            -2.2250738585072014e-308,
            f64::MIN,
            f64::MAX,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.1234567890123456,
            1.0,
            -1e-7,
        ] {
            let text = serde_json::to_string(&serde_json::json!(f)).unwrap();
            assert!(text.len() <= FLOAT_LEN_MAX, "{text}");
        }
    }
}
