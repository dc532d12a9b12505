//! Scaling workloads: Map and Choice loops of growing size, generated.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Inline Map over N items, shaped like `c_map_10k`.
    Map,
    /// Choice + Pass loop of N iterations, shaped like `b_choice_loop_10k`.
    Choice,
    /// The Choice loop with its history kept: how time and memory grow with history length.
    History,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Map => "map",
            Kind::Choice => "choice",
            Kind::History => "history",
        }
    }
}

pub(crate) fn scaling_name(k: Kind, n: u64) -> String {
    format!("{}:{n}", k.as_str())
}

pub(crate) fn parse_scaling_name(s: &str) -> Result<(Kind, u64), String> {
    let bad = || format!("bad scaling name {s:?} (want map:N, choice:N or history:N)");
    let (k, n) = s.split_once(':').ok_or_else(bad)?;
    let k = match k {
        "map" => Kind::Map,
        "choice" => Kind::Choice,
        "history" => Kind::History,
        _ => return Err(bad()),
    };
    let n: u64 = n.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(bad());
    }
    Ok((k, n))
}

pub(crate) fn scaling_workload(k: Kind, n: u64) -> Workload {
    match k {
        Kind::Map => Workload {
            source: Source::Asl(map_definition(n)),
            input: JsonText::new(&map_input(n)),
            check: Check::MapItems(n),
            transitions: n + 1,
            payload_limit: false,
            paused_clock: false,
            keep_history: false,
        },
        Kind::Choice | Kind::History => Workload {
            source: Source::Asl(choice_definition(n)),
            input: JsonText::new(&json!({ "i": 0 })),
            check: Check::Exact(JsonText::new(&json!({ "i": n }))),
            transitions: 2 * n + 2,
            payload_limit: false,
            paused_clock: false,
            keep_history: k == Kind::History,
        },
    }
}

/// `c_map_10k.asl.json` for `n` items (the definition does not depend on `n`).
pub(crate) fn map_definition(n: u64) -> Value {
    json!({
        "Comment": format!("Map over {} items", human_count(n)),
        "StartAt": "EachItem",
        "States": {
            "EachItem": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Reshape",
                    "States": {
                        "Reshape": {
                            "Type": "Pass",
                            "Parameters": {
                                "key.$": "$.id",
                                "label.$": "States.Format('#{}:{}', $.id, $.name)",
                                "cost.$": "$.price",
                                "dims": { "qty.$": "$.qty" }
                            },
                            "End": true
                        }
                    }
                },
                "End": true
            }
        }
    })
}

/// `c_map_10k.input.json` for `n` items.
pub(crate) fn map_input(n: u64) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({ "id": i, "name": format!("item-{i}"), "price": i % 100, "qty": i % 7 }))
        .collect();
    json!({ "items": items })
}

/// Item `i` of `c_map_10k.expected.json`.
pub(crate) fn map_output_item(i: u64) -> Value {
    json!({ "key": i, "label": format!("#{i}:item-{i}"), "cost": i % 100, "dims": { "qty": i % 7 } })
}

/// `b_choice_loop_10k.asl.json` counting to `n`.
pub(crate) fn choice_definition(n: u64) -> Value {
    json!({
        "Comment": format!("count 0..{n} with MathAdd + Choice"),
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    { "Variable": "$.i", "NumericLessThan": n, "Next": "Incr" }
                ],
                "Default": "Done"
            },
            "Incr": {
                "Type": "Pass",
                "Parameters": { "i.$": "States.MathAdd($.i, 1)" },
                "Next": "Check"
            },
            "Done": { "Type": "Succeed" }
        }
    })
}

pub(crate) fn human_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
