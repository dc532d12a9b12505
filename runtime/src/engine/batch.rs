//! `ItemBatcher` of a Distributed Map: the items, each shaped by `ItemSelector` first, grouped
//! into batches; each child workflow's input is `{"BatchInput": …, "Items": [...]}` instead of
//! one item.
//!
//! AWS's rules (the `ItemBatcher` page of the Step Functions guide): a batch holds at most
//! `MaxItemsPerBatch` items and at most `MaxInputBytesPerBatch` bytes, and never more than
//! 256 KiB (the payload quota); either limit is a number, a reference path (`…Path`) or a
//! JSONata expression. `BatchInput` is evaluated once and added to every batch. Items keep their
//! order, and a batch is closed when the next item would break a limit. An item that does not
//! fit in a batch of its own fails the Map (`States.Runtime`).

#[allow(unused_imports)]
use super::*;
use stepfn_asl::model::ItemBatcher;

/// The length of `v`'s compact JSON text.
fn text_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |t| t.len())
}

impl Exec<'_> {
    /// The Map's iterations' inputs: `items` shaped by `ItemSelector` (each with its
    /// `$$.Map.Item`), then grouped by `b`. `eff` is the Map's effective input, which the limits'
    /// paths and `BatchInput` read.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn batch_items(
        &self,
        b: &ItemBatcher,
        m: &MapState,
        eff: &Value,
        items: Cow<'_, [Value]>,
        ctx: &Context<'_>,
        vars: &Variables,
        jsonata: bool,
    ) -> Result<Vec<Value>, StatesError> {
        let env = Env { context: ctx, vars };
        let (max_items, max_bytes, batch_input) = if jsonata {
            let jx = self.jx(eff, None, None, ctx, vars)?;
            let limit = |e: &Option<Expr<u64>>, field: &str| -> Result<Option<u64>, StatesError> {
                e.as_ref()
                    .map(|e| check_limit(jx.uint(e, field)?, field))
                    .transpose()
            };
            (
                limit(&b.max_items_per_batch, "MaxItemsPerBatch")?,
                limit(&b.max_input_bytes_per_batch, "MaxInputBytesPerBatch")?,
                b.batch_input
                    .as_ref()
                    .map(|t| jx.value(t, "BatchInput"))
                    .transpose()?,
            )
        } else {
            let limit = |e: &Option<Expr<u64>>,
                         path: &Option<stepfn_asl::Path>,
                         field: &str|
             -> Result<Option<u64>, StatesError> {
                match (e, path) {
                    (Some(Expr::Literal(n)), _) => Ok(Some(*n)),
                    (_, Some(p)) => {
                        let field = format!("{field}Path");
                        let n = self.map_int(p, &field, eff, &env)?;
                        u64::try_from(n)
                            .map_err(|_| negative(&field, n))
                            .and_then(|n| check_limit(n, &field))
                            .map(Some)
                    }
                    _ => Ok(None),
                }
            };
            (
                limit(
                    &b.max_items_per_batch,
                    &b.max_items_per_batch_path,
                    "MaxItemsPerBatch",
                )?,
                limit(
                    &b.max_input_bytes_per_batch,
                    &b.max_input_bytes_per_batch_path,
                    "MaxInputBytesPerBatch",
                )?,
                b.batch_input
                    .as_ref()
                    .map(|t| template::evaluate(t, eff, &env))
                    .transpose()?,
            )
        };
        let items = match m.item_selector.as_ref().or(m.parameters.as_ref()) {
            None => items.into_owned(),
            // Owned items are moved into their selection; borrowed ones are copied once.
            Some(t) => items
                .into_owned()
                .into_iter()
                .enumerate()
                .map(|(index, item)| self.select_item(t, eff, ctx, index, item, vars, jsonata))
                .collect::<Result<_, _>>()?,
        };
        group(items, max_items, max_bytes, batch_input)
    }
}

fn negative(field: &str, n: i64) -> StatesError {
    StatesError::runtime(format!(
        "The {field} field must be a positive integer, found {n}"
    ))
}

/// Checks an evaluated limit (`field` names it in the error): positive, and for bytes at most
/// 256 KiB.
fn check_limit(n: u64, field: &str) -> Result<u64, StatesError> {
    let max = ItemBatcher::MAX_INPUT_BYTES;
    match n {
        0 => Err(negative(field, 0)),
        n if field.starts_with("MaxInputBytes") && n > max => Err(StatesError::runtime(format!(
            "The {field} field must be at most {max} bytes (256 KiB), found {n}"
        ))),
        n => Ok(n),
    }
}

/// Groups `items` into batches of at most `max_items` items and `max_bytes` bytes of JSON text
/// (the whole batch object, `BatchInput` included; 256 KiB when not given), in order.
fn group(
    items: Vec<Value>,
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    batch_input: Option<Value>,
) -> Result<Vec<Value>, StatesError> {
    let max_items = max_items.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let max_bytes =
        usize::try_from(max_bytes.unwrap_or(ItemBatcher::MAX_INPUT_BYTES)).unwrap_or(usize::MAX);
    // `{"Items":[]}`, plus `"BatchInput":…,` when there is one.
    let empty = 12 + batch_input.as_ref().map_or(0, |b| 14 + text_len(b));
    let batch = |items: Vec<Value>| {
        let mut m = Map::new();
        if let Some(b) = &batch_input {
            m.insert("BatchInput".into(), b.clone());
        }
        m.insert("Items".into(), Value::Array(items));
        Value::Object(m)
    };
    let mut out = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut bytes = empty;
    for (index, item) in items.into_iter().enumerate() {
        // The item's text, and a comma before it unless it is the first of its batch.
        let len = text_len(&item);
        if empty + len > max_bytes {
            return Err(StatesError::runtime(format!(
                "The item at index {index} ({len} bytes) does not fit in a batch of at most \
                 {max_bytes} bytes"
            )));
        }
        let comma = usize::from(!current.is_empty());
        if !current.is_empty() && (current.len() >= max_items || bytes + comma + len > max_bytes) {
            out.push(batch(std::mem::take(&mut current)));
            bytes = empty;
        }
        bytes += len + usize::from(!current.is_empty());
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
                json!({"BatchInput": {"k": "v"}, "Items": [1, 2]}),
                json!({"BatchInput": {"k": "v"}, "Items": [3, 4]}),
                json!({"BatchInput": {"k": "v"}, "Items": [5]}),
            ]
        );
        assert_eq!(text(&b[0]), 12 + 14 + text(&json!({"k": "v"})) + 3);
    }

    #[test]
    fn batches_by_bytes_are_never_larger_than_the_limit() {
        let items: Vec<Value> = (0..50)
            .map(|i| json!({"id": i, "pad": "x".repeat(i % 7)}))
            .collect();
        for (limit, input) in [
            (60u64, None),
            (64, Some(json!({"run": 1}))),
            (100, None),
            (333, Some(json!("x"))),
        ] {
            let b = group(items.clone(), None, Some(limit), input.clone()).unwrap();
            let flat: Vec<Value> = b
                .iter()
                .flat_map(|x| x["Items"].as_array().unwrap().clone())
                .collect();
            assert_eq!(flat, items, "order and content kept at {limit}");
            for x in &b {
                assert!(text(x) as u64 <= limit, "{} > {limit}: {x}", text(x));
            }
            // A batch is closed only when the next item would not fit.
            for w in b.windows(2) {
                let mut joined = w[0].clone();
                joined["Items"]
                    .as_array_mut()
                    .unwrap()
                    .push(w[1]["Items"][0].clone());
                assert!(text(&joined) as u64 > limit, "{joined}");
            }
        }
    }

    #[test]
    fn without_limits_a_batch_is_at_most_256_kib() {
        let items: Vec<Value> = (0..3000)
            .map(|i| json!({"i": i, "pad": "y".repeat(100)}))
            .collect();
        let b = group(items, None, None, None).unwrap();
        assert!(b.len() > 1);
        assert!(b
            .iter()
            .all(|x| text(x) as u64 <= ItemBatcher::MAX_INPUT_BYTES));
    }

    #[test]
    fn an_item_too_large_for_any_batch_fails() {
        let e = group(vec![json!("0123456789")], None, Some(16), None).unwrap_err();
        assert!(e.cause.contains("index 0"), "{}", e.cause);
    }

    #[test]
    fn limits_are_checked() {
        assert!(check_limit(0, "MaxItemsPerBatch").is_err());
        assert!(check_limit(262_145, "MaxInputBytesPerBatch").is_err());
        assert_eq!(
            check_limit(262_144, "MaxInputBytesPerBatch").unwrap(),
            262_144
        );
        assert_eq!(
            check_limit(1_000_000, "MaxItemsPerBatch").unwrap(),
            1_000_000
        );
    }
}
