//! Differential test: for every example workflow and every benchmark workload written with
//! `workflow!`, the compiled form and the exported ASL run in the interpreter give the same
//! status, output (or error and cause) and history event types, on several inputs each. The
//! workloads are also checked against the ASL and expected output in ../shared/bench/workloads.

use serde_json::{json, Value};
use std::path::Path;
use stepfn::{ExecutionOptions, ExecutionResult, Workflow};
use stepfn_examples::{choice_loop, map, order, parallel, workloads};

use stepfn_tests::paused_runtime as runtime;

fn options() -> ExecutionOptions {
    ExecutionOptions {
        name: Some("differential".into()),
        keep_history: true,
        payload_limit: None,
    }
}

fn types(r: &ExecutionResult, sorted: bool) -> Vec<String> {
    let mut t: Vec<String> = r
        .history
        .iter()
        .map(|e| e.kind.as_str().to_string())
        .collect();
    if sorted {
        t.sort();
    }
    t
}

/// Runs `input` both ways and compares; returns the compiled result.
fn same<W: Workflow>(rt: &tokio::runtime::Runtime, input: Value) -> ExecutionResult {
    assert!(W::COMPILED, "{} is expected to be compiled", W::NAME);
    let compiled = rt.block_on(W::execute(input.clone(), options()));
    let interpreted = rt.block_on(W::interpreter().execute(input.clone(), options()));
    let ctx = format!("{} on {input}", W::NAME);
    assert_eq!(
        compiled.status, interpreted.status,
        "{ctx}: {compiled:?} vs {interpreted:?}"
    );
    assert_eq!(compiled.output, interpreted.output, "{ctx}");
    assert_eq!(compiled.error, interpreted.error, "{ctx}");
    assert_eq!(compiled.cause, interpreted.cause, "{ctx}");
    let concurrent = W::ASL.contains("\"Parallel\"") || W::ASL.contains("\"Map\"");
    assert_eq!(
        types(&compiled, concurrent),
        types(&interpreted, concurrent),
        "{ctx}"
    );
    // Events only counted (Express-like), with and without the payload limit.
    for payload_limit in [
        Some(stepfn::__private::internals::size::PAYLOAD_LIMIT),
        None,
    ] {
        let counted = ExecutionOptions {
            keep_history: false,
            payload_limit,
            ..options()
        };
        let c = rt.block_on(W::execute(input.clone(), counted.clone()));
        let i = rt.block_on(W::interpreter().execute(input.clone(), counted));
        let ctx = format!("{ctx}, history counted, payload limit {payload_limit:?}");
        assert_eq!(c.status, i.status, "{ctx}: {c:?} vs {i:?}");
        assert_eq!(c.output, i.output, "{ctx}");
        assert_eq!(c.error, i.error, "{ctx}");
        assert_eq!(c.cause, i.cause, "{ctx}");
    }
    compiled
}

#[test]
fn examples_compiled_and_interpreted_agree() {
    let rt = runtime();
    for (id, amount, card) in stepfn_tests::ORDERS {
        same::<order::ProcessOrder>(&rt, json!({"id": id, "amount": amount, "card": card}));
    }
    // A wrong input type fails the same way too.
    same::<order::ProcessOrder>(&rt, json!({"id": 5}));
    for id in stepfn_tests::JOBS {
        same::<choice_loop::PollJob>(&rt, json!(id));
    }
    for (name, country) in [("Ada", "GB"), ("Bob", "XX"), ("", "FR")] {
        same::<parallel::Screening>(&rt, json!({"name": name, "country": country}));
    }
    same::<map::Invoice>(
        &rt,
        json!({"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}]}),
    );
    same::<map::Invoice>(
        &rt,
        json!({"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 0}]}),
    );
    same::<map::Invoice>(&rt, json!({"lines": "not a list"}));
    same::<map::Invoice>(&rt, json!({"lines": []}));
}

#[test]
fn typed_chain_agrees() {
    let rt = runtime();
    let r = same::<stepfn_examples::typed::TypedChain100>(
        &rt,
        json!({"n": 1, "label": "x", "tags": ["a"]}),
    );
    assert_eq!(
        r.output,
        Some(json!({"n": 101, "label": "x", "tags": ["a"]}))
    );
    same::<stepfn_examples::typed::TypedChain100>(&rt, json!({"n": "not a number"}));
}

#[test]
fn typed_runs_give_typed_outputs() {
    let rt = runtime();
    let shipped = rt
        .block_on(stepfn::run::<order::ProcessOrder>(order::Order {
            id: "o9".into(),
            amount: 1,
            card: "visa".into(),
        }))
        .unwrap();
    assert_eq!(shipped.tracking, "1Z-o9");
    let job = rt
        .block_on(stepfn::run::<choice_loop::PollJob>("j".to_string()))
        .unwrap();
    assert_eq!((job.checks, job.status.as_str()), (3, "DONE"));
}

fn shared_workload(name: &str) -> Option<(Value, Value, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/workloads");
    if !dir.is_dir() {
        return None;
    }
    let read = |ext: &str| -> Value {
        let text =
            std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).expect("workload file");
        serde_json::from_str(&text).expect("workload JSON")
    };
    Some((read("asl.json"), read("input.json"), read("expected.json")))
}

fn workload<W: Workflow>(rt: &tokio::runtime::Runtime, file: &str, more_inputs: &[Value]) {
    let Some((mut asl, input, expected)) = shared_workload(file) else {
        eprintln!(
            "NOTE: ../shared/bench/workloads is absent; `{file}` checked only against itself"
        );
        for i in more_inputs {
            same::<W>(rt, i.clone());
        }
        return;
    };
    // The workflow! version is the same state machine (but for the retry interval, see workloads.rs).
    if file == "e_retry_catch" {
        asl["States"]["Guarded"]["Retry"][0]["IntervalSeconds"] = json!(1);
    }
    assert_eq!(
        serde_json::from_str::<Value>(W::ASL).unwrap(),
        asl,
        "{file}: the workflow! definition differs from the workload's ASL"
    );
    let r = same::<W>(rt, input);
    assert_eq!(
        r.output.as_ref(),
        Some(&expected),
        "{file}: {:?} {:?}",
        r.error,
        r.cause
    );
    for i in more_inputs {
        same::<W>(rt, i.clone());
    }
}

#[test]
fn workloads_compiled_and_interpreted_agree() {
    // The workloads' recorded outputs include a 10,000-iteration Choice loop, past the
    // 25,000-event history quota of a Standard execution: lifted here (both forms stop at it
    // alike, which `quotas.rs` tests).
    stepfn::quotas::lift_history_quota(true);
    let rt = runtime();
    workload::<workloads::TrivialThree>(&rt, "t_trivial_3", &[json!({}), json!({"a": {"a": 5}})]);
    workload::<workloads::PassChain100>(
        &rt,
        "a_pass_chain_100",
        &[json!({"counter": {"n": 41}}), json!({"counter": {}})],
    );
    workload::<workloads::ChoiceLoop10k>(
        &rt,
        "b_choice_loop_10k",
        &[json!({"i": 9990}), json!({"i": "x"})],
    );
    workload::<workloads::Map10k>(
        &rt,
        "c_map_10k",
        &[
            json!({"items": [{"id": 1, "name": "n", "price": 2, "qty": 3}]}),
            json!({"items": 3}),
        ],
    );
    workload::<workloads::Parallel10x10>(
        &rt,
        "d_parallel_10x10",
        &[json!({"step": 100}), json!({"step": "x"})],
    );
    workload::<workloads::RetryCatch>(&rt, "e_retry_catch", &[json!({"x": [1, 2]})]);
}
