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
