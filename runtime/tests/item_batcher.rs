//! A Distributed Map's `ItemBatcher`: items shaped by `ItemSelector`, grouped by count and by
//! bytes, `BatchInput` added to every batch, in JSONPath and JSONata, and its errors.

use serde_json::{json, Value};
use stepfn::asl::StateMachine;
use stepfn::{ExecutionOptions, ExecutionStatus, Interpreter, TaskRegistry};

/// A machine whose only state is a Distributed Map with `fields`, its processor a Pass that
/// returns each child's input.
fn machine(fields: Value, jsonata: bool) -> StateMachine {
    let mut map = json!({"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Child", "States": {"Child": {"Type": "Pass", "End": true}}}});
    for (k, v) in fields.as_object().unwrap() {
        map[k] = v.clone();
    }
    let mut def = json!({"StartAt": "Batches", "States": {"Batches": map}});
    if jsonata {
        def["QueryLanguage"] = json!("JSONata");
    }
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("{e:?}"))
}

async fn run(fields: Value, jsonata: bool, input: Value) -> stepfn::ExecutionResult {
    Interpreter::new(machine(fields, jsonata), "Batching", TaskRegistry::new())
        .execute(input, ExecutionOptions::default())
        .await
}

async fn output(fields: Value, jsonata: bool, input: Value) -> Value {
    let r = run(fields, jsonata, input).await;
    assert_eq!(
        r.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        r.error,
        r.cause
    );
    r.output.unwrap()
}

/// The batches of a Map's output (each child's input, which its Pass returned).
fn batches(out: &Value) -> impl Iterator<Item = &Value> {
    out.as_array().expect("the Map's output is an array").iter()
}

/// A batch's `Items`.
fn items_of(batch: &Value) -> &Vec<Value> {
    batch["Items"].as_array().expect("a batch has Items")
}

#[tokio::test]
async fn batches_by_count_with_item_selector_and_batch_input() {
    let out = output(
        json!({
            "ItemsPath": "$.orders",
            "ItemSelector": {"id.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"region.$": "$.region", "fixed": 1}},
        }),
        false,
        json!({"orders": ["a", "b", "c"], "region": "eu"}),
    )
    .await;
    assert_eq!(
        out,
        json!([
            {"BatchInput": {"region": "eu", "fixed": 1}, "Items": [{"id": "a", "index": 0}, {"id": "b", "index": 1}]},
            {"BatchInput": {"region": "eu", "fixed": 1}, "Items": [{"id": "c", "index": 2}]},
        ])
    );
}

#[tokio::test]
async fn limits_from_paths_and_bytes() {
    let items: Vec<Value> = (0..10).map(|i| json!(format!("item-{i}"))).collect();
    // Three items per batch, read from the input.
    let out = output(
        json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.n",
            "BatchInput": {"total.$": "States.ArrayLength($.items)"}}}),
        false,
        json!({"items": items, "n": 3}),
    )
    .await;
    let sizes: Vec<usize> = batches(&out).map(|b| items_of(b).len()).collect();
    assert_eq!(sizes, [3, 3, 3, 1]);
    // BatchInput read the items in the input after they were selected.
    assert!(batches(&out).all(|b| b["BatchInput"] == json!({"total": 10})));
    // `{"Items":["item-0","item-1"]}` is 29 bytes; a third item would make it 38.
    let out = output(
        json!({"ItemBatcher": {"MaxInputBytesPerBatch": 30}}),
        false,
        Value::Array(items.clone()),
    )
    .await;
    for b in batches(&out) {
        assert!(b.to_string().len() <= 30, "{b}");
        assert_eq!(items_of(b).len(), 2, "{b}");
    }
    let flat: Vec<Value> = batches(&out).flat_map(|b| items_of(b).clone()).collect();
    assert_eq!(flat, items);
}

#[tokio::test]
async fn jsonata_limits_and_batch_input() {
    let out = output(
        json!({
            "Items": "{% $states.input.xs %}",
            "ItemSelector": {"x": "{% $states.context.Map.Item.Value * 10 %}"},
            "ItemBatcher": {
                "MaxItemsPerBatch": "{% $states.input.size %}",
                "BatchInput": {"count": "{% $count($states.input.xs) %}"}
            }
        }),
        true,
        json!({"xs": [1, 2, 3], "size": 2}),
    )
    .await;
    assert_eq!(
        out,
        json!([
            {"BatchInput": {"count": 3}, "Items": [{"x": 10}, {"x": 20}]},
            {"BatchInput": {"count": 3}, "Items": [{"x": 30}]},
        ])
    );
}

#[tokio::test]
async fn bad_limits_fail_the_map_with_states_runtime() {
    for (fields, input, says) in [
        (
            json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}}),
            json!({"items": [1], "n": 0}),
            "MaxItemsPerBatchPath",
        ),
        (
            json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxInputBytesPerBatchPath": "$.n"}}),
            json!({"items": [1], "n": 300000}),
            "256 KiB",
        ),
        (
            json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.missing"}}),
            json!({"items": [1]}),
            "MaxItemsPerBatchPath",
        ),
        (
            json!({"ItemBatcher": {"MaxInputBytesPerBatch": 20}}),
            json!(["a string longer than the batch"]),
            "index 0",
        ),
    ] {
        let r = run(fields.clone(), false, input).await;
        assert_eq!(r.status, ExecutionStatus::Failed, "{fields}");
        assert_eq!(r.error.as_deref(), Some("States.Runtime"), "{fields}");
        let cause = r.cause.unwrap_or_default();
        assert!(cause.contains(says), "{fields}: {cause}");
    }
}

#[test]
fn the_definition_is_checked_and_exported_as_written() {
    let distributed = |batcher: Value| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemBatcher": batcher,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
    };
    for (batcher, says) in [
        (
            json!({"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"}),
            "MaxItemsPerBatchPath",
        ),
        (json!({"MaxInputBytesPerBatch": 300000}), "262144"),
        (json!({"MaxItemsPerBatch": 0}), "MaxItemsPerBatch"),
        (json!({"MaxItems": 2}), "MaxItems"),
        (json!({"BatchInput": {"a.$": "$.["}}), "BatchInput"),
    ] {
        let e = StateMachine::from_json(&distributed(batcher.clone()))
            .expect_err(&batcher.to_string())
            .iter()
            .map(|d| format!("{} {}\n", d.location, d.message))
            .collect::<String>();
        assert!(e.contains(says), "{batcher}: {e}");
        assert!(e.contains("ItemBatcher"), "{batcher}: {e}");
    }
    let def = distributed(
        json!({"MaxItemsPerBatchPath": "$.n", "MaxInputBytesPerBatch": 1024,
        "BatchInput": {"a.$": "$.a"}}),
    );
    let sm = StateMachine::from_json(&def).unwrap();
    assert_eq!(sm.to_json(), def);
}
