//! The compiled form against the interpreter on the conformance corpus: every JSONPath
//! definition of ../shared/conformance/cases that `workflow!` compiles (no Task, JSONata,
//! variables, context object or random intrinsics; Waits run on a paused clock) becomes a
//! `workflow!` at build time (`build.rs`, through `stepfn dsl`'s renderer), and runs on each
//! recorded input compiled and interpreted, with the history counted and kept, with and without
//! the payload limit. Status, output, error and cause must be the same. (The conformance test
//! checks the interpreter against what AWS recorded.)

use serde_json::Value;
use stepfn::{workflow, ExecutionOptions, Workflow};

type Check = fn(&tokio::runtime::Runtime, &str, &str) -> Result<bool, String>;

include!(concat!(env!("OUT_DIR"), "/compiled_conformance.rs"));

/// Runs one case both ways; `Ok(true)` when the workflow is compiled (else nothing to compare).
fn check<W: Workflow>(
    rt: &tokio::runtime::Runtime,
    case: &str,
    input: &str,
) -> Result<bool, String> {
    if !W::COMPILED {
        return Ok(false);
    }
    let input: Value = serde_json::from_str(input).map_err(|e| format!("{case}: {e}"))?;
    for keep_history in [false, true] {
        for payload_limit in [
            Some(stepfn::__private::internals::size::PAYLOAD_LIMIT),
            None,
        ] {
            let options = ExecutionOptions {
                name: Some("conformance".into()),
                keep_history,
                payload_limit,
            };
            let c = rt.block_on(W::execute(input.clone(), options.clone()));
            let i = rt.block_on(W::interpreter().execute(input.clone(), options));
            if (&c.status, &c.output, &c.error, &c.cause)
                != (&i.status, &i.output, &i.error, &i.cause)
            {
                return Err(format!(
                    "{case} (history kept: {keep_history}, payload limit: {payload_limit:?}):\n  compiled    {:?} {:?} {:?} {:?}\n  interpreter {:?} {:?} {:?} {:?}",
                    c.status, c.output, c.error, c.cause, i.status, i.output, i.error, i.cause
                ));
            }
        }
    }
    Ok(true)
}

#[test]
fn compiled_workflows_agree_with_the_interpreter_on_the_corpus() {
    if RUNS.is_empty() {
        eprintln!(
            "NOTE: ../shared/conformance/cases is absent (or had nothing the compiled form covers): nothing was compared"
        );
        return;
    }
    let rt = stepfn_tests::paused_runtime();
    let mut compiled = 0;
    let mut failures = Vec::new();
    for (case, input, check) in RUNS {
        match check(&rt, case, input) {
            Ok(true) => compiled += 1,
            Ok(false) => {}
            Err(e) => failures.push(e),
        }
    }
    eprintln!(
        "compiled vs interpreter: {compiled} of {} conformance runs compiled, {} disagreements",
        RUNS.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus has hundreds of such cases: a filter that let none through would test nothing.
    assert!(compiled >= 100, "only {compiled} cases were compiled");
}
