//! The specialized path of compiled workflows (`stepfn::compiled::fast`): with the history only
//! counted, the compiled form evaluates Pass, Choice and Succeed states on Rust locals and
//! deoptimizes to its general form on anything else. Every case here runs the compiled form and
//! the interpreter on the same input, history counted, with and without the payload limit, and
//! compares status, output, error and cause. The inputs are chosen to reach each deoptimization:
//! values of the wrong type, missing fields, integers past 32 bits, inputs that are not objects,
//! a Choice that matches nothing, outputs past the payload limit.

use serde_json::{json, Value};
use stepfn::{workflow, ExecutionOptions, ExecutionResult, ExecutionStatus, Workflow};

workflow! {
    /// Constants, nested ResultPath, copies, MathAdd, Format and a Choice of every kind of rule.
    pub Shapes {
        start Seed;
        Seed: pass {
            result {"k": 1, "nested": {"x": "a"}, "list": [1, 2, 3]};
            result_path "$.seed";
        } -> Build;
        Build: pass {
            parameters {
                "sum.$": "States.MathAdd($.seed.k, $.n)",
                "label.$": "States.Format('{}-{}-{}', $.name, $.seed.nested.x, $.n)",
                "first.$": "$.seed.list[0]",
                "copy.$": "$.seed",
                "raw.$": "$.extra",
                "deep": {"n.$": "$.n", "fixed": [true, null]}
            };
            result_path "$.built";
        } -> Extend;
        Extend: pass {
            result {"more": [1]};
            result_path "$.built.inner";
        } -> Route;
        Route: choice {
            $.built.sum > 10 && $.name == "big" => Big,
            !($.built.first == 1) => Small,
            $.flag is present && $.flag == true => Flagged,
            $.n < 0 || $.name matches "neg*" => Negative,
            _ => Small,
        }
        Big: pass {
            parameters {"total.$": "States.MathAdd($.built.sum, 100)", "all.$": "$"};
        } -> Done;
        Flagged: pass {
            result "flagged";
            result_path "$.seed.nested.x";
        } -> Done;
        Negative: pass {
            result_path "$.negative";
        } -> Done;
        Small: pass -> Done;
        Done: succeed;
    }

    /// A Choice loop whose string doubles each round: past the payload limit in a few rounds.
    pub Grow {
        start Check;
        Check: choice {
            $.i < 3 => Add,
            _ => Done,
        }
        Add: pass {
            parameters {"i.$": "States.MathAdd($.i, 1)", "s.$": "States.Format('{}{}', $.s, $.s)"};
        } -> Check;
        Done: succeed;
    }

    /// A Choice without a Default.
    pub NoDefault {
        start Pick;
        Pick: choice {
            $.x == 1 => One,
        }
        One: succeed;
    }

    /// A counting loop long enough to stay on the specialized path.
    pub Count {
        start Check;
        Check: choice {
            $.i < 1000 => Incr,
            _ => Done,
        }
        Incr: pass {
            parameters {"i.$": "States.MathAdd($.i, 1)", "last.$": "$.i"};
        } -> Check;
        Done: succeed;
    }
}

workflow! {
    /// Parallel branches on the specialized path, one of which may fail or give up, then a state
    /// whose error cites an event id (so the events counted on the way must be the general
    /// form's).
    pub Fan {
        start Split;
        Split: parallel {
            branch {
                start A;
                A: pass { parameters {"a.$": "States.MathAdd($.n, 1)"}; } -> B;
                B: choice {
                    $.a > 100 => Big,
                    _ => Small,
                }
                Big: fail "Too.Big", "a is over 100";
                Small: succeed;
            }
            branch {
                start C;
                C: pass { result_path "$.seen"; result true; } end;
            }
            branch {
                start D;
                D: pass { parameters {"s.$": "States.Format('{}/{}', $.name, $.n)"}; } end;
            }
            result_path "$.fan";
        } -> Check;
        Check: pass { parameters {"first.$": "$.fan[0].a", "n.$": "$.fan[1].n"}; } -> Read;
        Read: pass { parameters {"x.$": "$.first.nothing"}; } end;
    }

    /// A Map whose processor reshapes each item, then a state whose error cites an event id.
    pub Items {
        start Each;
        Each: map "$.items" {
            processor {
                start Shape;
                Shape: pass {
                    parameters {
                        "key.$": "$.id",
                        "label.$": "States.Format('#{}:{}', $.id, $.name)",
                        "next.$": "States.MathAdd($.id, 1)",
                        "dims": {"qty.$": "$.qty"}
                    };
                } end;
            }
            result_path "$.out";
        } -> After;
        After: pass { parameters {"count.$": "$.out[0].key", "missing.$": "$.out[0].nothing"}; } end;
    }
}

workflow! {
    /// A top-level Fail state reached on the specialized path.
    pub Guard {
        start Check;
        Check: choice {
            $.ok == true => Done,
            _ => Stop,
        }
        Stop: fail "Guard.Stopped", "the input was not ok";
        Done: succeed;
    }
}

workflow! {
    /// A Map over an array the workflow made itself (a constant on the specialized path).
    pub OverConstants {
        start Seed;
        Seed: pass {
            result [{"id": 1}, {"id": 2}, {"id": 3}];
            result_path "$.items";
        } -> Each;
        Each: map "$.items" {
            processor {
                start Double;
                Double: pass { parameters {"twice.$": "States.MathAdd($.id, $.id)", "fixed": {"a": [1]}}; } end;
            }
            result_path "$.out";
        } end;
    }
}

/// A task the general form runs; the specialized path resumes after it.
async fn bump(v: Value) -> Result<Value, stepfn::TaskError> {
    let n = v["n"].as_i64().unwrap_or_default();
    let mut out = json!({"n": n + 1});
    if let Some(tag) = v.get("tag") {
        out["tag"] = tag.clone();
    }
    Ok(out)
}

workflow! {
    /// A loop through a Task: the Pass and Choice after it run on the specialized path, resumed
    /// after each task; an error there cites an event id counted across both forms.
    pub Resumed {
        start Work;
        Work: task bump -> Add;
        Add: pass {
            parameters {"n.$": "States.MathAdd($.n, 10)", "tag.$": "$.tag"};
        } -> Loop;
        Loop: choice {
            $.n < 50 => Work,
            _ => Done,
        }
        Done: succeed;
    }
}

fn options(payload_limit: Option<usize>) -> ExecutionOptions {
    ExecutionOptions {
        name: Some("specialized".into()),
        keep_history: false,
        payload_limit,
    }
}

/// Runs `input` compiled and interpreted, history counted, with and without the payload limit,
/// and returns the compiled results (limit, then none).
fn same<W: Workflow>(input: Value) -> Vec<ExecutionResult> {
    assert!(W::COMPILED, "{} is expected to be compiled", W::NAME);
    let rt = stepfn_tests::paused_runtime();
    let mut out = Vec::new();
    for limit in [Some(stepfn::io::size::PAYLOAD_LIMIT), None] {
        let c = rt.block_on(W::execute(input.clone(), options(limit)));
        let i = rt.block_on(W::interpreter().execute(input.clone(), options(limit)));
        let text = input.to_string();
        let ctx = format!(
            "{} on {}, limit {limit:?}",
            W::NAME,
            &text[..text.len().min(200)]
        );
        assert_eq!(c.status, i.status, "{ctx}: {:?} vs {:?}", c.error, i.error);
        assert_eq!(c.output, i.output, "{ctx}");
        assert_eq!(c.error, i.error, "{ctx}");
        assert_eq!(c.cause, i.cause, "{ctx}");
        out.push(c);
    }
    out
}

#[test]
fn shapes_agree_on_every_path() {
    let inputs = [
        json!({"n": 15, "name": "big", "extra": [1, {"a": 2}]}),
        json!({"n": 2, "name": "small", "extra": null}),
        json!({"n": 2, "name": "small", "extra": "x", "flag": true}),
        json!({"n": 2, "name": "small", "extra": "x", "flag": "yes"}),
        json!({"n": -4, "name": "x", "extra": 1}),
        json!({"n": 4, "name": "negative", "extra": 1}),
        // MathAdd rounds floats as Java does; Format prints them as Java does.
        json!({"n": 2.5, "name": "big", "extra": 0}),
        json!({"n": 9.5, "name": "big", "extra": 0}),
        json!({"n": 1e3, "name": "big", "extra": 0}),
        // Errors: a string to MathAdd, past 32 bits, a missing field, Format of an object.
        json!({"n": "7", "name": "big", "extra": 0}),
        json!({"n": 3_000_000_000u64, "name": "big", "extra": 0}),
        json!({"n": 1, "extra": 0}),
        json!({"n": 1, "name": {"a": [1, 2]}, "extra": 0}),
        json!({"name": "big", "extra": 0}),
        // ResultPath into what is not an object.
        json!(5),
        json!(null),
        json!([1, 2]),
        // `$.seed` already there: replaced in place, its position kept.
        json!({"seed": 0, "n": 1, "name": "a", "extra": 0, "built": {"other": 1}}),
        json!({"built": "not an object", "n": 1, "name": "a", "extra": 0}),
    ];
    let mut statuses = Vec::new();
    for input in inputs {
        statuses.push(same::<Shapes>(input)[0].status);
    }
    // The cases reach both outcomes.
    assert!(statuses.contains(&ExecutionStatus::Succeeded));
    assert!(statuses.contains(&ExecutionStatus::Failed));
}

#[test]
fn payload_limit_is_enforced_as_the_interpreter_does() {
    // 40,000 bytes doubled three times: 320,000 bytes, past 256 KiB on the third round.
    let big = "x".repeat(40_000);
    let r = same::<Grow>(json!({"i": 0, "s": big}));
    assert_eq!(r[0].status, ExecutionStatus::Failed);
    assert_eq!(r[0].error.as_deref(), Some("States.DataLimitExceeded"));
    assert_eq!(r[1].status, ExecutionStatus::Succeeded);
    // Small strings stay within it.
    let r = same::<Grow>(json!({"i": 0, "s": "ab\"\n"}));
    assert_eq!(r[0].output, Some(json!({"i": 3, "s": "ab\"\n".repeat(8)})));
    // Not an integer, not a string, not there.
    same::<Grow>(json!({"i": 0.5, "s": "a"}));
    same::<Grow>(json!({"i": 0, "s": 1.5}));
    same::<Grow>(json!({"i": 0}));
    same::<Grow>(json!({"s": "a"}));
}

#[test]
fn choice_without_default() {
    assert_eq!(
        same::<NoDefault>(json!({"x": 1}))[0].output,
        Some(json!({"x": 1}))
    );
    let r = same::<NoDefault>(json!({"x": 2}));
    assert_eq!(r[0].error.as_deref(), Some("States.NoChoiceMatched"));
    same::<NoDefault>(json!({}));
    same::<NoDefault>(json!("x"));
}

#[test]
fn loops_run_to_the_end() {
    let r = same::<Count>(json!({"i": 0, "other": [1, 2, 3]}));
    assert_eq!(r[0].output, Some(json!({"i": 1000, "last": 999})));
    // Past 32 bits MathAdd fails, at the first Incr.
    let r = same::<Count>(json!({"i": -3_000_000_000i64}));
    assert_eq!(r[0].error.as_deref(), Some("States.IntrinsicFailure"));
    same::<Count>(json!({"i": 999.5}));
    same::<Count>(json!({"i": "0"}));
}

#[test]
fn parallel_branches_agree() {
    for input in [
        json!({"n": 1, "name": "x"}),
        json!({"n": 500, "name": "x"}),
        json!({"n": "one", "name": "x"}),
        json!({"n": 1}),
        json!({"n": 1, "name": [1, 2]}),
        json!(7),
        json!({"n": 1, "name": "y".repeat(100_000)}),
    ] {
        same::<Fan>(input);
    }
}

#[test]
fn map_iterations_agree() {
    let item = |i: u64| json!({"id": i, "name": format!("item-{i}"), "qty": i % 7});
    let many: Vec<Value> = (0..50).map(item).collect();
    for input in [
        json!({"items": many}),
        json!({"items": []}),
        json!({"items": [item(1), {"id": "two", "name": "x", "qty": 1}]}),
        json!({"items": [item(1), {"name": "x", "qty": 1}]}),
        json!({"items": [item(1), 5]}),
        json!({"items": {"not": "an array"}}),
        json!({"other": 1}),
        // 300 items of 1 KB: an output past 256 KiB.
        json!({"items": (0..300).map(|i| json!({"id": i, "name": "n".repeat(1000), "qty": 1})).collect::<Vec<_>>()}),
    ] {
        same::<Items>(input);
    }
}

/// The error after the Parallel and after the Map cites the id of the event its state was
/// entered at: the events counted on the specialized path are the general form's, one by one.
#[test]
fn errors_after_parallel_and_map_cite_the_same_event_ids() {
    for r in [
        same::<Fan>(json!({"n": 1, "name": "x"})),
        same::<Items>(json!({"items": [{"id": 1, "name": "a", "qty": 2}]})),
    ] {
        assert_eq!(r[0].error.as_deref(), Some("States.Runtime"));
        let cause = r[0].cause.as_deref().unwrap_or_default();
        assert!(cause.contains("(entered at the event id #"), "{cause}");
    }
}

#[test]
fn a_fail_state_fails_the_execution() {
    let r = same::<Guard>(json!({"ok": false}));
    assert_eq!(r[0].error.as_deref(), Some("Guard.Stopped"));
    assert_eq!(r[0].cause.as_deref(), Some("the input was not ok"));
    assert_eq!(
        same::<Guard>(json!({"ok": true}))[0].output,
        Some(json!({"ok": true}))
    );
    same::<Guard>(json!({}));
}

#[test]
fn the_specialized_path_resumes_after_tasks() {
    let r = same::<Resumed>(json!({"n": 0, "tag": "x"}));
    assert_eq!(r[0].output, Some(json!({"n": 55, "tag": "x"})));
    // No tag: the Pass after the first task fails, citing the event it was entered at.
    let r = same::<Resumed>(json!({"n": 0}));
    assert_eq!(r[0].error.as_deref(), Some("States.Runtime"));
    assert!(r[0]
        .cause
        .as_deref()
        .unwrap_or_default()
        .contains("(entered at the event id #"));
    // The task takes n past 32 bits: MathAdd fails.
    let r = same::<Resumed>(json!({"n": 2_147_483_647i64, "tag": "x"}));
    assert_eq!(r[0].error.as_deref(), Some("States.IntrinsicFailure"));
}

#[test]
fn a_map_over_constants() {
    let r = same::<OverConstants>(json!({"x": 1}));
    assert_eq!(
        r[0].output.as_ref().map(|o| o["out"].clone()),
        Some(json!([
            {"twice": 2, "fixed": {"a": [1]}},
            {"twice": 4, "fixed": {"a": [1]}},
            {"twice": 6, "fixed": {"a": [1]}}
        ]))
    );
    same::<OverConstants>(json!([]));
}
