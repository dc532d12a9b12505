//! AWS's quotas and the nesting rule, through the library and the `stepfn` binary: the
//! 25,000-event history of a Standard execution (no event past it stored; Express has no such
//! quota; `--no-history-quota` lifts it), the nesting limit read back equally by every reader,
//! names and payload sizes.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};
use stepfn::asl::StateMachine;
use stepfn::quotas::{HISTORY_EVENTS, MAX_DEPTH};
use stepfn::ExecutionStatus;
use stepfn::{ExecutionOptions, Interpreter, Runtime, TaskRegistry};

/// A Choice loop of `n` iterations; each wraps `$.v` in an array when `wrap`, so the output
/// nests `n` levels.
fn choice_loop(n: u64, wrap: bool) -> Value {
    let v = if wrap { "States.Array($.v)" } else { "$.v" };
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Parameters": {"n": 0, "v": "x"}, "Next": "Loop"},
        "Loop": {"Type": "Choice",
                 "Choices": [{"Variable": "$.n", "NumericLessThan": n, "Next": "Step"}],
                 "Default": "Done"},
        "Step": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "v.$": v},
                 "Next": "Loop"},
        "Done": {"Type": "Pass", "OutputPath": "$.v", "End": true}}})
}

fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("x"), |v, _| Value::Array(vec![v]))
}

struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("stepfn-quotas-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDb(dir)
    }
    fn db(&self) -> PathBuf {
        self.0.join("q.db")
    }
    fn file(&self, name: &str, v: &Value) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stepfn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(args)
        .output()
        .expect("run stepfn")
}

fn stdout_json(o: &Output) -> Value {
    stepfn::quotas::read_json(&String::from_utf8_lossy(&o.stdout)).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_history_stops_at_the_quota_and_nothing_past_it_is_stored() {
    let dir = TempDb::new();
    let rt = Runtime::open(dir.db()).unwrap();
    let machine = StateMachine::from_json(&choice_loop(6_300, false)).unwrap();
    rt.register("Loop", machine, TaskRegistry::new()).unwrap();
    let arn = rt.start("Loop", json!({}), Some("q")).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    assert_eq!(d.record.error.as_deref(), Some("States.Runtime"));
    let cause = d.record.cause.clone().unwrap();
    assert!(
        cause.contains("maximum number of history events (25000)"),
        "{cause}"
    );
    // The stored history is exactly the quota, ids 1..=25,000, ending in the failure.
    let events = rt.full_history(&arn).await.unwrap();
    assert_eq!(events.len() as u64, HISTORY_EVENTS);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1));
    }
    assert_eq!(events.last().unwrap()["type"], "ExecutionFailed");
}

#[tokio::test]
async fn express_has_no_history_quota_and_standard_in_memory_has() {
    let machine = StateMachine::from_json(&choice_loop(6_300, false)).unwrap();
    let it = Interpreter::new(machine, "Loop", TaskRegistry::new());
    let express = it
        .execute(
            json!({}),
            ExecutionOptions {
                keep_history: false,
                ..ExecutionOptions::default()
            },
        )
        .await;
    assert_eq!(express.status, ExecutionStatus::Succeeded);
    assert_eq!(express.output, Some(json!("x")));
    let standard = it.execute(json!({}), ExecutionOptions::default()).await;
    assert_eq!(standard.status, ExecutionStatus::Failed);
    assert_eq!(standard.history.len() as u64, HISTORY_EVENTS);
    assert_eq!(
        standard.history.last().unwrap().kind.as_str(),
        "ExecutionFailed"
    );
    // Just under the quota: 1 + 2 + 4 × 6,246 + 2 + 2 + 1 = 24,992 events.
    let machine = StateMachine::from_json(&choice_loop(6_246, false)).unwrap();
    let it = Interpreter::new(machine, "Loop", TaskRegistry::new());
    let under = it.execute(json!({}), ExecutionOptions::default()).await;
    assert_eq!(under.status, ExecutionStatus::Succeeded);
    assert_eq!(under.history.len(), 24_992);
}

#[test]
fn cli_fails_at_the_quota_unless_lifted() {
    let dir = TempDb::new();
    let def = dir.file("loop.asl.json", &choice_loop(6_300, false));
    let db = dir.db().to_string_lossy().into_owned();
    let o = stepfn(&["run", &def, "--db", &db, "--name", "a"]);
    let out = stdout_json(&o);
    assert_eq!(out["status"], "FAILED", "{out}");
    assert_eq!(out["error"], "States.Runtime");
    let o = stepfn(&["history", "--db", &db, "a"]);
    let history = stdout_json(&o);
    assert_eq!(history["events"].as_array().map(Vec::len), Some(25_000));
    let o = stepfn(&[
        "run",
        &def,
        "--db",
        &db,
        "--name",
        "b",
        "--no-history-quota",
    ]);
    assert_eq!(stdout_json(&o)["status"], "SUCCEEDED");
}

#[tokio::test]
async fn nesting_up_to_the_limit_is_read_back_by_every_reader() {
    // The runtime makes a value `MAX_DEPTH` deep (the object holding `v` is one more level,
    // so the loop wraps `MAX_DEPTH - 1` times); one more level fails the state.
    let dir = TempDb::new();
    let levels = MAX_DEPTH as u64 - 1;
    let def = dir.file("deep.asl.json", &choice_loop(levels, true));
    let db = dir.db().to_string_lossy().into_owned();
    let want = nested(MAX_DEPTH - 1);
    let memory = stdout_json(&stepfn(&["run", &def]));
    assert_eq!(memory["output"], want);
    for _ in 0..2 {
        // The run, then the rerun that reads the stored execution.
        let o = stepfn(&["run", &def, "--db", &db, "--name", "deep"]);
        assert_eq!(stdout_json(&o)["output"], want);
    }
    let o = stepfn(&["history", "--db", &db, "deep"]);
    let events = stdout_json(&o)["events"].as_array().unwrap().clone();
    let last = &events.last().unwrap()["executionSucceededEventDetails"]["output"];
    assert_eq!(
        stepfn::quotas::read_json::<Value>(last.as_str().unwrap()).unwrap(),
        want
    );
    // Through the library on the same database (closed again before the CLI opens it: one
    // process holds a SQLite file at a time).
    {
        let rt = Runtime::open(dir.db()).unwrap();
        let d = rt
            .describe(&stepfn::execution_arn("deep", "deep"))
            .await
            .unwrap();
        assert_eq!(d.output(), Some(want));
    }

    let deeper = dir.file("deeper.asl.json", &choice_loop(levels + 1, true));
    let o = stepfn(&["run", &deeper, "--db", &db, "--name", "deeper"]);
    let out = stdout_json(&o);
    assert_eq!(out["status"], "FAILED");
    assert!(out["cause"]
        .as_str()
        .unwrap()
        .contains("nests deeper than 1000"));
    assert_eq!(
        stdout_json(&stepfn(&["run", &deeper]))["cause"],
        out["cause"]
    );
}

#[tokio::test]
async fn inputs_past_the_limits_are_refused_clearly() {
    let rt = Runtime::in_memory();
    let m = StateMachine::from_json(
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .unwrap();
    rt.register("P", m, TaskRegistry::new()).unwrap();
    let e = rt
        .start("P", nested(MAX_DEPTH + 1), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nests deeper than 1000"), "{e}");
    let big = json!({"s": "x".repeat(256 * 1024)});
    let e = rt.start("P", big, None).await.unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
    for bad in [
        "a b",
        "a/b",
        "x".repeat(81).as_str(),
        "a\u{7f}",
        "a*",
        "",
        "a{b",
    ] {
        assert!(
            rt.start("P", json!({}), Some(bad)).await.is_err(),
            "{bad:?}"
        );
        assert!(rt
            .register(
                bad,
                StateMachine::from_json(
                    &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})
                )
                .unwrap(),
                TaskRegistry::new()
            )
            .is_err());
    }
    assert!(rt
        .start("P", json!({}), Some(&"x".repeat(80)))
        .await
        .is_ok());
    // A definition over 1 MB.
    let huge = format!(
        r#"{{"Comment": "{}", "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}"#,
        "x".repeat(1024 * 1024)
    );
    let diags = StateMachine::from_json_str(&huge).unwrap_err();
    assert!(diags[0].to_string().contains("at most"), "{}", diags[0]);
}

#[tokio::test]
async fn payload_size_is_checked_on_every_path() {
    let too_big = || json!({"s": "x".repeat(256 * 1024)});
    // A task result.
    let def =
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "big", "End": true}}});
    let mut tasks = TaskRegistry::new();
    tasks.register_json("big", move |_| async move { Ok(too_big()) });
    let it = Interpreter::new(StateMachine::from_json(&def).unwrap(), "T", tasks);
    let r = it.execute(json!({}), ExecutionOptions::default()).await;
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
    // A state's output built by the state itself.
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}});
    let it = Interpreter::new(
        StateMachine::from_json(&def).unwrap(),
        "P",
        TaskRegistry::new(),
    );
    let half = json!({"s": "x".repeat(140 * 1024)});
    let r = it.execute(half, ExecutionOptions::default()).await;
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
    // An activity's output (SendTaskSuccess), refused at the API; the task still answers.
    let rt = Runtime::in_memory();
    let act = rt.create_activity("work").await.unwrap();
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act.arn, "End": true}}});
    rt.register(
        "M",
        StateMachine::from_json(&def).unwrap(),
        TaskRegistry::new(),
    )
    .unwrap();
    let arn = rt.start("M", json!({}), None).await.unwrap();
    let task = rt.get_activity_task(&act.arn, None).await.unwrap().unwrap();
    let e = rt
        .send_task_success_json(&task.task_token, &too_big().to_string())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("262144"), "{e}");
    rt.send_task_success_json(&task.task_token, "{\"ok\": 1}")
        .await
        .unwrap();
    assert_eq!(
        rt.wait(&arn).await.unwrap().output(),
        Some(json!({"ok": 1}))
    );
}

/// A Distributed Map whose `ItemReader` or `ResultWriter` (Amazon S3) the runtime cannot run
/// fails with `States.Runtime` naming the field, rather than running the Map without it.
#[tokio::test]
async fn unsupported_distributed_map_fields_fail_instead_of_being_ignored() {
    for (field, value) in [
        (
            "ResultWriter",
            serde_json::json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}),
        ),
        (
            "ItemReader",
            serde_json::json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}}),
        ),
    ] {
        let mut map = serde_json::json!({"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}});
        map[field] = value;
        let machine =
            StateMachine::from_json(&serde_json::json!({"StartAt": "M", "States": {"M": map}}))
                .expect("AWS accepts the definition");
        let r = stepfn::Interpreter::new(machine, "Batch", stepfn::TaskRegistry::new())
            .execute(
                serde_json::json!([1, 2, 3]),
                stepfn::ExecutionOptions::default(),
            )
            .await;
        assert_eq!(r.status, stepfn::ExecutionStatus::Failed, "{field}");
        assert_eq!(r.error.as_deref(), Some("States.Runtime"));
        assert!(
            r.cause.as_deref().unwrap_or_default().contains(field),
            "{:?}",
            r.cause
        );
    }
}
