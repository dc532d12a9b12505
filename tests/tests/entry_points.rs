//! `stepfn::run` runs a workflow's generated code when `workflow!` compiled it, and the
//! interpreter otherwise: a handler's backtrace shows which engine called it.

use std::sync::Mutex;
use stepfn::{workflow, TaskError, Workflow};

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records the call stack it was called from.
async fn probe(n: u64) -> Result<u64, TaskError> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    SEEN.lock().unwrap().push(trace);
    Ok(n + 1)
}

workflow! {
    /// A typed task the compiled form covers.
    pub Covered(u64) -> u64 {
        start Probe;
        Probe: task probe end;
    }

    /// The same task with a heartbeat, which the compiled form does not cover yet.
    pub Uncovered(u64) -> u64 {
        start Probe;
        Probe: task probe { heartbeat 60; } end;
    }
}

/// The backtrace of the one handler call `run` makes.
async fn trace_of<W: Workflow<Input = u64, Output = u64>>() -> String {
    SEEN.lock().unwrap().clear();
    assert_eq!(stepfn::run::<W>(1).await, Ok(2));
    let seen = SEEN.lock().unwrap();
    assert_eq!(seen.len(), 1, "the handler runs once");
    seen[0].clone()
}

#[tokio::test]
async fn run_takes_the_compiled_form_when_there_is_one() {
    const { assert!(Covered::COMPILED && !Uncovered::COMPILED) };
    let compiled = trace_of::<Covered>().await;
    assert!(
        compiled.contains("run_compiled") && !compiled.contains("Interpreter"),
        "a compiled workflow's handler is called from the generated code:\n{compiled}"
    );
    let interpreted = trace_of::<Uncovered>().await;
    assert!(
        interpreted.contains("Interpreter") && !interpreted.contains("run_compiled"),
        "an uncompiled workflow's handler is called from the interpreter:\n{interpreted}"
    );
}
