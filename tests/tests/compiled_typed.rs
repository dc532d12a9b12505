//! The compiled form's typed fast paths against the interpreter, with the history kept and not
//! (events only counted: the ids in error causes must still agree), and with Step Functions'
//! 256 KiB payload limit: plain typed tasks run one after another in one arm, a typed value that
//! becomes JSON is measured, an oversized result under a Catch is caught.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stepfn::{workflow, ExecutionOptions, ExecutionResult, ExecutionStatus, TaskError, Workflow};
use stepfn_examples::{choice_loop, map, order, parallel, typed};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    pub n: u64,
    pub size: usize,
    pub fail: String,
    pub body: String,
}

fn doc(size: usize, fail: &str) -> Doc {
    Doc {
        n: 0,
        size,
        fail: fail.into(),
        body: String::new(),
    }
}

async fn add(d: Doc) -> Result<Doc, TaskError> {
    Ok(Doc { n: d.n + 1, ..d })
}

async fn grow(d: Doc) -> Result<Doc, TaskError> {
    Ok(Doc {
        body: "x".repeat(d.size),
        ..d
    })
}

async fn check(d: Doc) -> Result<Doc, TaskError> {
    match d.fail.as_str() {
        "runtime" => Err(TaskError::new("States.Runtime", "the check broke")),
        "custom" => Err(TaskError::new("Doc.Rejected", "not this one")),
        _ => Ok(d),
    }
}

workflow! {
    /// Plain typed tasks in a row.
    pub Chain(Doc) -> Doc {
        A: task add -> B;
        B: task grow -> C;
        C: task check -> D;
        D: task add end;
    }
}

workflow! {
    /// A JSON-only state after a typed task.
    pub ThenPass(Doc) -> Value {
        A: task grow -> B;
        B: pass {
            result_path "$.seen";
            result {"ok": true};
        } -> C;
        C: succeed;
    }
}

workflow! {
    /// JSON states whose outputs' size bounds follow from their inputs': doubling a field can
    /// pass the limit; a bound over the limit whose output is small must not fail.
    pub Bounded(Value) -> Value {
        A: pass {
            parameters {"small.$": "$.small", "big.$": "$.big", "n.$": "$.n", "both": {"s.$": "$.small"}};
        } -> B;
        B: pass {
            result_path "$.copy";
            parameters {"s.$": "$.small", "n.$": "States.MathAdd($.n, 1)"};
        } -> C;
        C: pass {
            parameters {"twice.$": "$.big", "again.$": "$.big", "n.$": "$.copy.n"};
        } -> D;
        D: succeed;
    }
}

workflow! {
    /// An oversized result under a Catch.
    pub Caught(Doc) -> Value {
        A: task grow {
            catch [States.DataLimitExceeded] into "$.error" -> Handled;
        } -> B;
        B: task check end;
        Handled: succeed;
    }
}

workflow! {
    /// A typed task entered from two places, and a chain in a loop.
    pub Loop(Doc) -> Doc {
        A: task add -> B;
        B: task check -> Again;
        Again: choice {
            $.n < 3 => A,
            _ => Done,
        }
        Done: succeed;
    }
}

/// Handlers named like the generated code's locals.
mod names {
    use super::{Doc, TaskError};

    macro_rules! handlers {
        ($($name:ident),*) => {$(
            pub async fn $name(d: Doc) -> Result<Doc, TaskError> {
                super::add(d).await
            }
        )*};
    }
    handlers!(out, result, input, run, cx, data, prev, states, s, d, e, which, next);
}
use names::{cx, d, data, e, input, next, out, prev, result, run, s, states, which};

workflow! {
    /// Generated locals do not shadow handlers: plain typed tasks, tasks with Retry (run in a
    /// closure), and tasks inside a Parallel branch and a Map processor.
    pub Hygiene(Doc) -> Doc {
        A: task out -> B;
        B: task result -> C;
        C: task input -> D;
        D: task run -> E;
        E: task cx {
            retry [States.ALL] every 1s, 1 times;
        } -> F;
        F: task data {
            retry [States.ALL] every 1s, 1 times;
        } -> G;
        G: task prev -> H;
        H: task states -> I;
        I: task s -> J;
        J: task d {
            catch [States.ALL] -> K;
        } -> K;
        K: task e end;
    }

    /// The same inside a Parallel branch and a Map processor.
    pub HygieneNested(Doc) -> serde_json::Value {
        Both: parallel {
            branch {
                One: task which end;
            }
            branch {
                Two: task next end;
            }
        } end;
    }
}

use stepfn_tests::paused_runtime as runtime;

fn options(keep: bool) -> ExecutionOptions {
    ExecutionOptions {
        name: Some("compiled-typed".into()),
        keep_history: keep,
        payload_limit: ExecutionOptions::default().payload_limit,
    }
}

fn types(r: &ExecutionResult) -> Vec<String> {
    let mut t: Vec<String> = r
        .history
        .iter()
        .map(|e| e.kind.as_str().to_string())
        .collect();
    t.sort();
    t
}

fn agree(what: &str, a: &ExecutionResult, b: &ExecutionResult, same_cause: bool) {
    assert_eq!(a.status, b.status, "{what}: {a:?} vs {b:?}");
    assert_eq!(a.output, b.output, "{what}");
    assert_eq!(a.error, b.error, "{what}");
    if same_cause {
        assert_eq!(a.cause, b.cause, "{what}");
    }
    assert_eq!(types(a), types(b), "{what}");
}

/// Runs `input` typed and as JSON in the compiled form and in the interpreter, history kept and
/// not; the four compiled runs must agree with the interpreter (`same_cause`: to the cause; a
/// typed value that goes from handler to handler is measured only where it is serialized, so an
/// oversized one may be named by a later state than the interpreter names).
fn same<W>(rt: &tokio::runtime::Runtime, input: W::Input, same_cause: bool) -> ExecutionResult
where
    W: Workflow,
    W::Input: Clone + 'static,
{
    assert!(W::COMPILED, "{} is expected to be compiled", W::NAME);
    let json = serde_json::to_value(&input).unwrap();
    let mut last = None;
    for keep in [true, false] {
        let interpreted = rt.block_on(W::interpreter().execute(json.clone(), options(keep)));
        let typed = rt.block_on(W::execute_typed(input.clone(), options(keep)));
        let from_json = rt.block_on(W::execute(json.clone(), options(keep)));
        let what = format!("{} on {json}, keep_history {keep}", W::NAME);
        // With the history kept, a typed value is measured where it is made.
        agree(
            &format!("{what}, typed"),
            &typed,
            &interpreted,
            same_cause || keep,
        );
        agree(
            &format!("{what}, JSON"),
            &from_json,
            &interpreted,
            same_cause || keep,
        );
        last = Some(typed);
    }
    last.unwrap()
}

const BIG: usize = 300 * 1024;

#[test]
fn typed_chains_agree() {
    let rt = runtime();
    let r = same::<Chain>(&rt, doc(3, ""), true);
    assert_eq!(
        r.output,
        Some(json!({"n": 2, "size": 3, "fail": "", "body": "xxx"}))
    );
    // A handler's error, and a States.Runtime one whose cause cites the entered event's id.
    let r = same::<Chain>(&rt, doc(0, "custom"), true);
    assert_eq!(r.error.as_deref(), Some("Doc.Rejected"));
    let r = same::<Chain>(&rt, doc(0, "runtime"), true);
    assert!(
        r.cause
            .as_deref()
            .unwrap()
            .contains("'C' (entered at the event id #"),
        "{r:?}"
    );
    let r = same::<Hygiene>(&rt, doc(0, ""), true);
    assert_eq!(r.output.unwrap()["n"], 11);
    let r = same::<HygieneNested>(&rt, doc(0, ""), true);
    assert_eq!(r.output.unwrap()[1]["n"], 1);
    let r = same::<Loop>(&rt, doc(0, ""), true);
    assert_eq!(r.output.unwrap()["n"], 3);
    same::<Loop>(&rt, doc(0, "runtime"), true);
    same::<typed::TypedChain100>(
        &rt,
        typed::Counter {
            n: 0,
            label: "l".into(),
            tags: vec!["t".into()],
        },
        true,
    );
}

#[test]
fn oversized_typed_values_fail_where_they_become_json() {
    let rt = runtime();
    // Made by B, carried typed by C and D, serialized as the output.
    let r = same::<Chain>(&rt, doc(BIG, ""), false);
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
    // Made by A, serialized by the Pass state: named A, as the interpreter does.
    let r = same::<ThenPass>(&rt, doc(BIG, ""), true);
    assert_eq!(r.status, ExecutionStatus::Failed);
    assert!(r.cause.as_deref().unwrap().contains("'A'"), "{r:?}");
    same::<ThenPass>(&rt, doc(10, ""), true);
    // Under a Catch the result is JSON at once: measured, caught.
    let r = same::<Caught>(&rt, doc(BIG, ""), true);
    assert_eq!(r.status, ExecutionStatus::Succeeded);
    assert_eq!(
        r.output.unwrap()["error"]["Error"],
        "States.DataLimitExceeded"
    );
    same::<Caught>(&rt, doc(1, "custom"), true);
}

#[test]
fn json_size_bounds_agree() {
    let rt = runtime();
    let input = |big: usize| json!({"small": "s", "big": "x".repeat(big), "n": 1});
    // 2 × 100 KiB fits; the bounds carried from state to state exceed the limit well before
    // (each path counts as the whole input), so the outputs are counted, and pass.
    let r = same::<Bounded>(&rt, input(100 * 1024), true);
    assert_eq!(r.status, ExecutionStatus::Succeeded, "{r:?}");
    assert_eq!(r.output.unwrap()["n"], 2);
    // 2 × 140 KiB does not: C fails, in both engines.
    let r = same::<Bounded>(&rt, input(140 * 1024), true);
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
    assert!(r.cause.as_deref().unwrap().contains("'C'"), "{r:?}");
    // Small: every bound fits, nothing is counted after the input.
    let r = same::<Bounded>(&rt, input(10), true);
    assert_eq!(r.output.unwrap()["twice"], "x".repeat(10));
}

#[test]
fn examples_agree_without_history() {
    let rt = runtime();
    for (id, amount, card) in stepfn_tests::ORDERS {
        same::<order::ProcessOrder>(
            &rt,
            order::Order {
                id: id.into(),
                amount,
                card: card.into(),
            },
            true,
        );
    }
    for id in stepfn_tests::JOBS {
        same::<choice_loop::PollJob>(&rt, id.to_string(), true);
    }
    for (name, country) in [("Ada", "GB"), ("Bob", "XX")] {
        same::<parallel::Screening>(
            &rt,
            parallel::Customer {
                name: name.into(),
                country: country.into(),
            },
            true,
        );
    }
    let invoice: <map::Invoice as Workflow>::Input =
        serde_json::from_value(json!({"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}]}))
            .unwrap();
    same::<map::Invoice>(&rt, invoice, true);
}

workflow! {
    /// Wraps `$.v` in one more array per turn of a Choice loop, `$.levels` times: the output of
    /// `Step` nests one level deeper each turn (its object adds one).
    pub Nesting(Value) -> Value {
        Init: pass {
            parameters {"n": 0, "v": "x", "levels.$": "$.levels"};
        } -> Loop;
        Loop: choice {
            $.n < $.levels => Step,
            _ => Done,
        }
        Step: pass {
            parameters {"n.$": "States.MathAdd($.n, 1)", "v.$": "States.Array($.v)", "levels.$": "$.levels"};
        } -> Loop;
        Done: pass { output_path "$.v"; } end;
    }
}

#[test]
fn the_nesting_quota_applies_alike() {
    use stepfn::quotas::MAX_DEPTH;
    let rt = runtime();
    let levels = |n: usize| json!({ "levels": n });
    // `Step`'s last output nests `levels + 1` deep: at the quota it passes.
    let r = same::<Nesting>(&rt, levels(MAX_DEPTH - 1), true);
    assert_eq!(r.status, ExecutionStatus::Succeeded, "{:?}", r.error);
    // One more level fails `Step` with States.Runtime, in every form and history mode.
    let r = same::<Nesting>(&rt, levels(MAX_DEPTH), true);
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    let cause = r.cause.unwrap();
    assert!(
        cause.contains("'Step'") && cause.contains(&format!("deeper than {MAX_DEPTH} levels")),
        "{cause}"
    );
    // `stepfn::run` takes the compiled form and reports the same error.
    match rt.block_on(stepfn::run::<Nesting>(levels(MAX_DEPTH))) {
        Err(stepfn::RunError::Execution {
            error, cause: c, ..
        }) => {
            assert_eq!(
                (error.as_str(), c.as_str()),
                ("States.Runtime", cause.as_str())
            );
        }
        other => panic!("expected the nesting error, got {other:?}"),
    }
}
