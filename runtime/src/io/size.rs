//! Payload size as Step Functions counts it: the UTF-8 bytes of the compact JSON text.

use serde_json::Value;

/// Step Functions' payload limit: 256 KiB.
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// True when the compact JSON text of `v` is longer than `limit` bytes. Stops counting early.
pub fn exceeds(v: &Value, limit: usize) -> bool {
    let mut n = 0usize;
    count(v, &mut n, limit);
    n > limit
}

fn count(v: &Value, n: &mut usize, limit: usize) {
    if *n > limit {
        return;
    }
    match v {
        Value::Null => *n += 4,
        Value::Bool(b) => *n += if *b { 4 } else { 5 },
        Value::Number(x) => *n += number_len(x),
        Value::String(s) => *n += string_len(s),
        Value::Array(a) => {
            *n += 2 + a.len().saturating_sub(1);
            for x in a {
                count(x, n, limit);
            }
        }
        Value::Object(m) => {
            *n += 2 + m.len().saturating_sub(1) + m.len();
            for (k, x) in m {
                *n += string_len(k);
                count(x, n, limit);
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

fn string_len(s: &str) -> usize {
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
}
