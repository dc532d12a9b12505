//! `stepfn::run` and mocked runs (`W::mock()`) run a workflow's generated code when `workflow!`
//! compiled it, and the interpreter otherwise: a handler's backtrace shows which engine called
//! it.

use std::sync::Mutex;
use stepfn::{workflow, ExecutionOptions, Mock, TaskError, Workflow};

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

    /// The same task with a Retry: the compiled form calls it inside its retry loop.
    pub CoveredRetry(u64) -> u64 {
        start Probe;
        Probe: task probe { retry [States.ALL] every 1s, 2 times; } end;
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

static MOCKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The backtrace of the one call of the mock replacing `probe` in a run of `mock`, and the
/// states entered.
async fn mocked_trace<W: Workflow<Input = u64, Output = u64>>(mock: Mock<W>) -> (String, Vec<String>) {
    MOCKED.lock().unwrap().clear();
    let result = mock
        .handler(probe, |n| async move {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            MOCKED.lock().unwrap().push(trace);
            Ok::<_, TaskError>(n + 10)
        })
        .run_with(1, ExecutionOptions::default())
        .await
        .expect("probe is a handler of the workflow");
    assert_eq!(result.output, Some(serde_json::json!(11)), "the mock answered, not probe");
    let seen = MOCKED.lock().unwrap();
    assert_eq!(seen.len(), 1, "the mock runs once");
    let entered = result.states_entered().into_iter().map(str::to_string).collect();
    (seen[0].clone(), entered)
}

#[tokio::test]
async fn a_mocked_run_takes_the_compiled_form_when_there_is_one() {
    const { assert!(CoveredRetry::COMPILED) };
    for (trace, entered) in [
        mocked_trace(Covered::mock()).await,
        mocked_trace(CoveredRetry::mock()).await,
    ] {
        assert!(
            trace.contains("run_compiled") && !trace.contains("Interpreter"),
            "a compiled workflow's mock is called from the generated code:\n{trace}"
        );
        assert_eq!(entered, ["Probe"], "the history is kept");
    }
    let (interpreted, entered) = mocked_trace(Uncovered::mock()).await;
    assert!(
        interpreted.contains("Interpreter") && !interpreted.contains("run_compiled"),
        "an uncompiled workflow's mock is called from the interpreter:\n{interpreted}"
    );
    assert_eq!(entered, ["Probe"]);
}
