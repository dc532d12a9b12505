//! Property: the compiled form and the interpreter agree on generated workflows. `build.rs` draws
//! random Pass/Choice/Parallel/Map/Succeed/Fail graphs with random inputs from the generator of
//! `runtime/tests/properties.rs` (fixed seed; `STEPFN_GENERATED_SEED=N` draws another set) and
//! writes each as a `workflow!`. Each runs compiled and interpreted, with the history kept and
//! only counted: status, output, error, cause and the sequence of history events must be the same.

use serde_json::Value;
use stepfn::{workflow, ExecutionOptions, Workflow};

type Check = fn(&tokio::runtime::Runtime, &str) -> Result<bool, String>;

include!(concat!(env!("OUT_DIR"), "/generated_workflows.rs"));

/// The history as (type, details) pairs: timestamps differ between any two runs.
fn events(r: &stepfn::ExecutionResult) -> Vec<Value> {
    r.history
        .iter()
        .map(|e| {
            let mut v = e.to_json();
            if let Some(m) = v.as_object_mut() {
                m.remove("timestamp");
            }
            v
        })
        .collect()
}

/// Runs one input both ways; `Ok(true)` when the workflow is compiled.
fn check<W: Workflow>(rt: &tokio::runtime::Runtime, input: &str) -> Result<bool, String> {
    if !W::COMPILED {
        return Ok(false);
    }
    let input: Value = serde_json::from_str(input).map_err(|e| e.to_string())?;
    for keep_history in [false, true] {
        let options = ExecutionOptions {
            name: Some("generated".into()),
            keep_history,
            ..ExecutionOptions::default()
        };
        let c = rt.block_on(W::execute(input.clone(), options.clone()));
        let i = rt.block_on(W::interpreter().execute(input.clone(), options));
        let same = (&c.status, &c.output, &c.error, &c.cause)
            == (&i.status, &i.output, &i.error, &i.cause)
            && events(&c) == events(&i);
        if !same {
            return Err(format!(
                "{} on {input} (history kept: {keep_history}):\n  compiled    {:?} {:?} {:?} {:?} ({} events)\n  interpreter {:?} {:?} {:?} {:?} ({} events)\n{}",
                std::any::type_name::<W>(),
                c.status, c.output, c.error, c.cause, c.history.len(),
                i.status, i.output, i.error, i.cause, i.history.len(),
                W::ASL,
            ));
        }
    }
    Ok(true)
}

#[test]
fn compiled_and_interpreted_agree_on_generated_workflows() {
    let rt = stepfn_tests::paused_runtime();
    let mut compiled = 0;
    let mut failures = Vec::new();
    for (n, input, check) in RUNS {
        match check(&rt, input) {
            Ok(true) => compiled += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("Generated{n}: {e}")),
        }
    }
    eprintln!(
        "compiled vs interpreter: {compiled} of {} generated runs compiled, {} disagreements",
        RUNS.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every generated shape is one the compiled form covers: if none compiled, nothing was tested.
    assert_eq!(
        compiled,
        RUNS.len(),
        "some generated workflows were not compiled"
    );
}
