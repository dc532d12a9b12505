//! `ItemBatcher` of a Distributed Map: the (selected) items grouped into batches, each child
//! workflow's input being `{"Items": [...], "BatchInput": ...}` instead of one item.
//!
//! AWS's rules (the `ItemBatcher` page of the Step Functions guide): a batch holds at most
//! `MaxItemsPerBatch` items and at most `MaxInputBytesPerBatch` bytes (at most 256 KiB, the
//! payload quota), either or both given, each as a number or a reference path (`…Path`), or a
//! JSONata expression; `BatchInput` is a template evaluated once and added to every batch.
//! Items keep their order; a batch is closed when the next item would break a limit. An item
//! that does not fit in a batch of its own fails the Map (`States.Runtime`).

use crate::error::StatesError;
use serde_json::{Map, Value};
use stepfn_asl::{Path, Template};

/// The most bytes a batch may hold: the payload quota.
pub(crate) const MAX_BATCH_BYTES: u64 = crate::io::size::PAYLOAD_LIMIT as u64;

/// The length of `v`'s compact JSON text.
fn text_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |t| t.len())
}

/// One limit as the definition gives it.
pub(super) enum Limit {
    /// A number.
    Literal(u64),
    /// A reference path (JSONPath states).
    Path(Path),
    /// A `{% … %}` expression (JSONata states).
    Jsonata(Template),
}

/// An `ItemBatcher` read from the definition (the model keeps it as JSON for export).
pub(super) struct BatchSpec {
    /// `MaxItemsPerBatch` / `MaxItemsPerBatchPath`.
    pub max_items: Option<(Limit, &'static str)>,
    /// `MaxInputBytesPerBatch` / `MaxInputBytesPerBatchPath`.
    pub max_bytes: Option<(Limit, &'static str)>,
    /// `BatchInput`.
    pub batch_input: Option<Template>,
}

impl BatchSpec {
    /// Reads `ItemBatcher`; `jsonata`: the Map state's query language is JSONata.
    pub fn parse(raw: &Value, jsonata: bool) -> Result<Self, StatesError> {
        let bad = |m: String| StatesError::runtime(format!("ItemBatcher: {m}"));
        let Value::Object(o) = raw else {
            return Err(bad("must be an object".into()));
        };
        let limit = |field: &'static str| -> Result<Option<(Limit, &'static str)>, StatesError> {
            let path_field: &'static str = match field {
                "MaxItemsPerBatch" => "MaxItemsPerBatchPath",
                _ => "MaxInputBytesPerBatchPath",
            };
            match (o.get(field), o.get(path_field)) {
                (Some(_), Some(_)) => Err(bad(format!("`{field}` and `{path_field}` are exclusive"))),
                (Some(Value::String(s)), None) if jsonata => {
                    Ok(Some((Limit::Jsonata(Template::parse_jsonata(&Value::String(s.clone()))), field)))
                }
                (Some(v), None) => match v.as_u64() {
                    Some(n) => Ok(Some((Limit::Literal(n), field))),
                    None => Err(bad(format!("`{field}` must be a non-negative integer, found {v}"))),
                },
                (None, Some(Value::String(p))) if !jsonata => match Path::parse_reference(p) {
                    Ok(p) => Ok(Some((Limit::Path(p), path_field))),
                    Err(e) => Err(bad(format!("`{path_field}`: {e}"))),
                },
                (None, Some(v)) => Err(bad(format!("`{path_field}` must be a reference path, found {v}"))),
                (None, None) => Ok(None),
            }
        };
        let batch_input = match o.get("BatchInput") {
            None => None,
            Some(v) if jsonata => Some(Template::parse_jsonata(v)),
            Some(v) => {
                let mut errors = Vec::new();
                let t = Template::parse_payload(v, &mut errors);
                if let Some(e) = errors.first() {
                    return Err(bad(format!("`BatchInput`: {}", e.message)));
                }
                Some(t)
            }
        };
        Ok(BatchSpec {
            max_items: limit("MaxItemsPerBatch")?,
            max_bytes: limit("MaxInputBytesPerBatch")?,
            batch_input,
        })
    }
}

/// Checks an evaluated limit (`field` names it in the error).
pub(super) fn check_limit(n: i64, field: &str) -> Result<u64, StatesError> {
    let bytes = field.starts_with("MaxInputBytes");
    match u64::try_from(n) {
        Ok(0) | Err(_) => Err(StatesError::runtime(format!(
            "The {field} field must be a positive integer, found {n}"
        ))),
        Ok(n) if bytes && n > MAX_BATCH_BYTES => Err(StatesError::runtime(format!(
            "The {field} field must be at most {MAX_BATCH_BYTES} bytes (256 KiB), found {n}"
        ))),
        Ok(n) => Ok(n),
    }
}

/// Groups `items` into batches of at most `max_items` items and `max_bytes` bytes of JSON text
/// (the whole batch object, `BatchInput` included), in order.
pub(super) fn group(
    items: Vec<Value>,
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    batch_input: Option<Value>,
) -> Result<Vec<Value>, StatesError> {
    let max_items = max_items.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let max_bytes = max_bytes.unwrap_or(MAX_BATCH_BYTES) as usize;
    // `{"Items":[]}` plus `,"BatchInput":…` when there is one.
    let empty = 11 + batch_input.as_ref().map_or(0, |b| 14 + text_len(b));
    let batch = |items: Vec<Value>| {
        let mut m = Map::new();
        m.insert("Items".into(), Value::Array(items));
        if let Some(b) = &batch_input {
            m.insert("BatchInput".into(), b.clone());
        }
        Value::Object(m)
    };
    let mut out = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut bytes = empty;
    for (index, item) in items.into_iter().enumerate() {
        // The item's text, and a comma before it unless it is the first of its batch.
        let len = text_len(&item);
        let added = |current: &Vec<Value>| len + usize::from(!current.is_empty());
        if !current.is_empty() && (current.len() >= max_items || bytes + added(&current) > max_bytes)
        {
            out.push(batch(std::mem::take(&mut current)));
            bytes = empty;
        }
        if empty + len > max_bytes {
            return Err(StatesError::runtime(format!(
                "The item at index {index} ({len} bytes) does not fit in a batch of at most {max_bytes} bytes"
            )));
        }
        bytes += added(&current);
        current.push(item);
    }
    if !current.is_empty() {
        out.push(batch(current));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> usize {
        serde_json::to_string(v).unwrap().len()
    }

    #[test]
    fn batches_by_count_keep_order_and_carry_batch_input() {
        let items: Vec<Value> = (1..=5).map(|i| json!(i)).collect();
        let b = group(items, Some(2), None, Some(json!({"k": "v"}))).unwrap();
        assert_eq!(
            b,
            vec![
                json!({"Items": [1, 2], "BatchInput": {"k": "v"}}),
                json!({"Items": [3, 4], "BatchInput": {"k": "v"}}),
                json!({"Items": [5], "BatchInput": {"k": "v"}}),
            ]
        );
    }

    #[test]
    fn batches_by_bytes_are_never_larger_than_the_limit() {
        let items: Vec<Value> = (0..50).map(|i| json!({"id": i, "pad": "x".repeat(i % 7)})).collect();
        for limit in [60u64, 64, 100, 333] {
            let b = group(items.clone(), None, Some(limit), Some(json!({"run": 1}))).unwrap();
            let flat: Vec<Value> = b.iter().flat_map(|x| x["Items"].as_array().unwrap().clone()).collect();
            assert_eq!(flat, items, "order and content kept at {limit}");
            for x in &b {
                assert!(text(x) as u64 <= limit, "{} > {limit}: {x}", text(x));
            }
            // Closed only when the next item would not fit.
            for w in b.windows(2) {
                let mut joined = w[0].clone();
                joined["Items"].as_array_mut().unwrap().push(w[1]["Items"][0].clone());
                assert!(text(&joined) as u64 > limit);
            }
        }
    }

    #[test]
    fn an_item_too_large_for_any_batch_fails() {
        let e = group(vec![json!("0123456789")], None, Some(16), None).unwrap_err();
        assert!(e.cause.contains("index 0"), "{}", e.cause);
    }

    #[test]
    fn limits_are_checked() {
        assert!(check_limit(0, "MaxItemsPerBatch").is_err());
        assert!(check_limit(-1, "MaxItemsPerBatchPath").is_err());
        assert!(check_limit(262_145, "MaxInputBytesPerBatch").is_err());
        assert_eq!(check_limit(262_144, "MaxInputBytesPerBatch").unwrap(), 262_144);
        assert_eq!(check_limit(1_000_000, "MaxItemsPerBatch").unwrap(), 1_000_000);
    }

    #[test]
    fn the_spec_is_read_from_the_definition() {
        let s = BatchSpec::parse(&json!({"MaxItemsPerBatchPath": "$.n", "BatchInput": {"a.$": "$.a"}}), false).unwrap();
        assert!(matches!(s.max_items, Some((Limit::Path(_), "MaxItemsPerBatchPath"))));
        assert!(s.max_bytes.is_none() && s.batch_input.is_some());
        assert!(BatchSpec::parse(&json!({"MaxItemsPerBatch": 1, "MaxItemsPerBatchPath": "$.n"}), false).is_err());
        assert!(BatchSpec::parse(&json!({"MaxItemsPerBatch": -3}), false).is_err());
    }
}
