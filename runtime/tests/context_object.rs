//! The context object's `State`: `Name` and `EnteredTime` for every state, `RetryCount` only for
//! the states that can retry (Task, Parallel, Map), counting the attempt a Task's Parameters are
//! evaluated for; in the interpreter and in `workflow!`'s compiled form alike.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use stepfn::asl::StateMachine;
use stepfn::{workflow, ExecutionOptions, ExecutionStatus, Interpreter, TaskError, TaskRegistry};

async fn run(definition: Value, tasks: TaskRegistry) -> Value {
    let input = json!({"items": [1]});
    let machine = StateMachine::from_json(&definition).expect("a valid definition");
    let result = Interpreter::new(machine, "Context", tasks)
        .execute(input, ExecutionOptions::default())
        .await;
    assert_eq!(result.status, ExecutionStatus::Succeeded, "{result:?}");
    result.output.expect("an output")
}

/// A pass-through of `$$.State` from a state of each kind that reads it.
#[tokio::test(start_paused = true)]
async fn state_fields_follow_the_state_type() {
    let mut tasks = TaskRegistry::new();
    tasks.register_json("${echo}", |v: Value| async move { Ok::<_, TaskError>(v) });
    let out = run(
        json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Parameters": {"s.$": "$$.State"}, "ResultPath": "$.pass", "Next": "T"},
                "T": {"Type": "Task", "Resource": "${echo}", "Parameters": {"s.$": "$$.State"},
                      "ResultPath": "$.task", "Next": "Par"},
                "Par": {"Type": "Parallel", "ResultSelector": {"s.$": "$$.State"}, "ResultPath": "$.parallel",
                        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "Next": "M"},
                "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"s.$": "$$.State"},
                      "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                      "ResultPath": "$.map", "Next": "J"},
                "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $merge([$states.input, {'jsonata': $states.context.State}]) %}",
                      "End": true}
            }
        }),
        tasks,
    )
    .await;
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&out["pass"]["s"]), ["EnteredTime", "Name"]);
    assert_eq!(out["pass"]["s"]["Name"], "P");
    assert_eq!(
        keys(&out["task"]["s"]),
        ["EnteredTime", "Name", "RetryCount"]
    );
    assert_eq!(out["task"]["s"]["RetryCount"], 0);
    assert_eq!(
        keys(&out["parallel"]["s"]),
        ["EnteredTime", "Name", "RetryCount"]
    );
    assert_eq!(out["map"][0]["s"]["Name"], "M");
    assert_eq!(
        keys(&out["map"][0]["s"]),
        ["EnteredTime", "Name", "RetryCount"]
    );
    assert_eq!(keys(&out["jsonata"]), ["EnteredTime", "Name"]);
}

/// `$$.State.RetryCount` in a Task's Parameters is the attempt's retry number.
#[tokio::test(start_paused = true)]
async fn retry_count_counts_the_attempt() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let mut tasks = TaskRegistry::new();
    tasks.register_json("${flaky}", move |v: Value| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                Err(TaskError::new("Busy", "try again"))
            } else {
                Ok(v)
            }
        }
    });
    let out = run(
        json!({
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": "${flaky}", "Parameters": {"rc.$": "$$.State.RetryCount"},
                      "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 3}], "End": true}
            }
        }),
        tasks,
    )
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(out, json!({"rc": 2}));
}

static FLAKY: AtomicU32 = AtomicU32::new(0);

async fn flaky(v: Value) -> Result<Value, TaskError> {
    if FLAKY.fetch_add(1, Ordering::SeqCst) < 2 {
        Err(TaskError::new("Busy", "try again"))
    } else {
        Ok(v)
    }
}

workflow! {
    /// A retried task whose Parameters read `$$.State.RetryCount`.
    Retried(Value) -> Value {
        start T;
        T: task flaky {
            parameters {"rc.$": "$$.State.RetryCount", "name.$": "$$.State.Name"};
            retry [Busy] every 1s, 3 times;
        } end;
    }
}

// The workflow is covered by the compiled form (so `stepfn::run` runs the generated code).
const _: () = assert!(<Retried as stepfn::Workflow>::COMPILED);

/// The compiled form gives the same counts.
#[tokio::test(start_paused = true)]
async fn compiled_form_counts_retries_too() {
    let out = stepfn::run::<Retried>(json!({}))
        .await
        .expect("it succeeds");
    assert_eq!(out, json!({"rc": 2, "name": "T"}));
}
