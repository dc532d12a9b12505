//! A proptest generator of state machines: random graphs of Pass, Choice, Succeed, Fail,
//! Parallel and Map states that always end (every transition goes forward), with random inputs.
//! Shared (`#[path]`) by `runtime/tests/properties.rs` and `macros/tests/dsl_properties.rs`.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// One state's shape before its transitions are wired.
#[derive(Debug, Clone)]
enum Shape {
    Pass {
        result: Option<i64>,
        keep_input: bool,
    },
    Choice {
        below: i64,
    },
    Succeed,
    Fail,
    Parallel(Vec<Vec<Shape>>),
    Map(Vec<Shape>),
}

fn shape(depth: u32) -> BoxedStrategy<Shape> {
    let leaf = prop_oneof![
        4 => (proptest::option::of(-5i64..5), any::<bool>())
            .prop_map(|(result, keep_input)| Shape::Pass { result, keep_input }),
        2 => (-3i64..6).prop_map(|below| Shape::Choice { below }),
        1 => Just(Shape::Succeed),
        1 => Just(Shape::Fail),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        6 => leaf,
        1 => prop::collection::vec(scope_shapes(depth - 1), 1..3).prop_map(Shape::Parallel),
        1 => scope_shapes(depth - 1).prop_map(Shape::Map),
    ]
    .boxed()
}

fn scope_shapes(depth: u32) -> BoxedStrategy<Vec<Shape>> {
    prop::collection::vec(shape(depth), 1..6).boxed()
}

/// Wires a scope: state `i` goes to a random later state (`picks` chooses which), the last ends.
fn scope(shapes: &[Shape], picks: &[usize], prefix: &str) -> Value {
    let name = |i: usize| format!("{prefix}S{i}");
    let n = shapes.len();
    let later = |i: usize, k: usize| {
        let span = n - i - 1;
        name(
            i + 1
                + picks
                    .get((i * 3 + k) % picks.len().max(1))
                    .copied()
                    .unwrap_or(0)
                    % span,
        )
    };
    let mut states = Map::new();
    for (i, s) in shapes.iter().enumerate() {
        let last = i + 1 == n;
        let mut st = match s {
            Shape::Pass { result, keep_input } => {
                let mut m = json!({"Type": "Pass"});
                if let Some(r) = result {
                    m["Result"] = json!({"r": r});
                    m["ResultPath"] = json!("$.r");
                } else if !keep_input {
                    m["Parameters"] = json!({"n.$": "$.n", "items.$": "$.items", "seen": i});
                }
                m
            }
            Shape::Choice { below } if !last => json!({"Type": "Choice",
                "Choices": [{"And": [{"Variable": "$.n", "IsNumeric": true},
                                     {"Variable": "$.n", "NumericLessThan": below}],
                             "Next": later(i, 0)}],
                "Default": later(i, 1)}),
            Shape::Choice { .. } => json!({"Type": "Pass"}),
            Shape::Succeed => json!({"Type": "Succeed"}),
            Shape::Fail => {
                json!({"Type": "Fail", "Error": "Generated.Fail", "Cause": format!("{prefix}{i}")})
            }
            Shape::Parallel(branches) => json!({"Type": "Parallel", "ResultPath": "$.p",
                "Branches": branches.iter().enumerate()
                    .map(|(b, sh)| scope(sh, picks, &format!("{prefix}S{i}B{b}")))
                    .collect::<Vec<_>>()}),
            Shape::Map(inner) => json!({"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.m",
                "ItemProcessor": scope(inner, picks, &format!("{prefix}S{i}M"))}),
        };
        let t = st["Type"].as_str().unwrap_or_default().to_string();
        if t != "Choice" && t != "Succeed" && t != "Fail" {
            if last {
                st["End"] = json!(true);
            } else {
                st["Next"] = json!(later(i, 2));
            }
        }
        states.insert(name(i), st);
    }
    // Only the states reachable from the start (ASL forbids the others).
    let mut reached = vec![name(0)];
    let mut k = 0;
    while k < reached.len() {
        let st = &states[&reached[k]];
        let mut targets: Vec<&Value> = vec![&st["Next"], &st["Default"]];
        if let Some(rules) = st["Choices"].as_array() {
            targets.extend(rules.iter().map(|r| &r["Next"]));
        }
        for t in targets.into_iter().filter_map(Value::as_str) {
            if !reached.iter().any(|r| r == t) {
                reached.push(t.to_string());
            }
        }
        k += 1;
    }
    states.retain(|k, _| reached.contains(k));
    json!({"StartAt": name(0), "States": states})
}

/// A generated definition (valid ASL) and an input for it.
pub fn machine_and_input() -> impl Strategy<Value = (Value, Value)> {
    (
        scope_shapes(2),
        prop::collection::vec(0usize..8, 1..12),
        -4i64..8,
        prop::collection::vec(-4i64..8, 0..4),
    )
        .prop_map(|(shapes, picks, n, items)| {
            let def = scope(&shapes, &picks, "");
            let items: Vec<Value> = items
                .into_iter()
                .map(|k| json!({"n": k, "items": []}))
                .collect();
            (def, json!({"n": n, "items": items}))
        })
}
