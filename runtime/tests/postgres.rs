//! Several processes on one PostgreSQL database: executions shared between runtimes, takeover
//! after `kill -9`, fencing of a paused process (SIGSTOP past its lease, then SIGCONT), and ≥ 50
//! SIGKILLs at random moments across three `stepfn run` processes.
//!
//! The database is `STEPFN_TEST_POSTGRES` (e.g. `postgres://stepfn:stepfn@127.0.0.1/stepfn`);
//! each test works in a fresh schema of it. Unset, the tests skip with a message, except under
//! CI (`CI` set), where they fail saying why (see `support/pg_schema.rs`).
#![cfg(feature = "postgres")]

#[path = "support/pg_schema.rs"]
mod pg_schema;

use pg_schema::{blocking_pg_url, pg_url};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stepfn::asl::StateMachine;
use stepfn::store::{PgStore, Store};
use stepfn::ExecutionStatus;
use stepfn::{Runtime, RuntimeError, TaskRegistry};

/// How long a test waits for progress it expects, on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// Three rounds of: a Map over three items, a one-second Wait, an increment; then Succeed.
fn looping() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0, "items": [1, 2, 3]}, "Next": "Check"},
        "Check": {"Type": "Choice", "Default": "Work",
            "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Done"}]},
        "Work": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped",
            "ItemProcessor": {"StartAt": "Item", "States": {
                "Item": {"Type": "Pass", "End": true}}},
            "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Incr"},
        "Incr": {"Type": "Pass", "Next": "Check",
            "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"}},
        "Done": {"Type": "Succeed"}}})
}

/// Checks one finished history: ids 1..n in order, and each (type, state) as often as in a
/// clean run of [`looping`].
fn check_history(events: &[Value]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e["id"],
            json!(i as u64 + 1),
            "ids are not 1..n: {events:#?}"
        );
    }
    let mut counts = BTreeMap::<String, usize>::new();
    for e in events {
        *counts
            .entry(e["type"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let want = [
        ("ExecutionStarted", 1),
        ("WaitStateEntered", 3),
        ("WaitStateExited", 3),
        ("MapStateEntered", 3),
        ("MapStateSucceeded", 3),
        ("MapIterationSucceeded", 9),
        ("ChoiceStateEntered", 4),
        ("ExecutionSucceeded", 1),
    ];
    for (kind, n) in want {
        assert_eq!(
            counts.get(kind).copied().unwrap_or(0),
            n,
            "{kind} in {counts:?}"
        );
    }
}

fn definition_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepfn-pg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("Loop.asl.json");
    std::fs::write(&file, looping().to_string()).unwrap();
    file
}

/// `stepfn run FILE --db URL --name NAME --lease-timeout 1s`, its stdout piped.
fn run_process(file: &Path, url: &str, name: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .arg("run")
        .arg(file)
        .args(["--db", url, "--name", name, "--lease-timeout", "1s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

/// The JSON `stepfn run` printed; fails (killing it) when it has not ended within [`PATIENCE`].
fn output_of(mut child: Child) -> Value {
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`stepfn run` did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A runtime of this test process on the database (another "process" for the store: its own
/// lease owner).
fn runtime(url: &str) -> Runtime {
    let rt = Runtime::open_with_lease(url, Duration::from_secs(1)).unwrap();
    let m = StateMachine::from_json(&looping()).unwrap();
    rt.register("Loop", m, TaskRegistry::new()).unwrap();
    rt
}

/// The test's view of the database: a bare store, which only reads. (A `Runtime` would also
/// claim every execution whose lease expired, even to release it at once: on a loaded machine,
/// where a process under test renews its 1 s lease late, that fences the process off and fails
/// its `stepfn run`.)
fn observer(url: &str) -> PgStore {
    PgStore::connect(url, Duration::from_secs(1)).unwrap()
}

/// The execution's history so far (empty before it exists).
async fn events_so_far(store: &dyn Store, arn: &str) -> Vec<Value> {
    store
        .events(arn, 0, 100_000, false)
        .await
        .unwrap_or_default()
}

async fn wait_for_events(store: &dyn Store, arn: &str, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    while events_so_far(store, arn).await.len() < n {
        assert!(Instant::now() < deadline, "no progress on {arn}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runtimes_answer_the_same() {
    let Some(url) = pg_url().await else { return };
    let (a, b) = (runtime(&url), runtime(&url));
    let arn = a.start("Loop", json!({}), Some("x")).await.unwrap();
    // Idempotent by name across processes.
    assert_eq!(b.start("Loop", json!({}), Some("x")).await.unwrap(), arn);
    let e = b
        .start("Loop", json!({"y": 1}), Some("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, RuntimeError::ExecutionAlreadyExists(_)), "{e}");
    // B does not take over an execution A holds.
    assert!(!b.resume_execution(&arn).await.unwrap());
    let done = b.wait(&arn).await.unwrap();
    assert_eq!(done.status(), ExecutionStatus::Succeeded);
    assert_eq!(a.describe(&arn).await.unwrap(), done);
    let (ha, hb) = (
        a.full_history(&arn).await.unwrap(),
        b.full_history(&arn).await.unwrap(),
    );
    assert_eq!(ha, hb);
    check_history(&ha);
    assert_eq!(
        a.list(Some("Loop"), None).await.unwrap(),
        b.list(Some("Loop"), None).await.unwrap()
    );
    // StopExecution from the other process.
    let arn = a.start("Loop", json!({}), Some("y")).await.unwrap();
    wait_for_events(&**a.store(), &arn, 3).await;
    let stopped = b.stop(&arn, Some("Stop"), None).await.unwrap();
    assert_eq!(stopped.status(), ExecutionStatus::Aborted);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let h = a.full_history(&arn).await.unwrap();
    assert_eq!(h.last().unwrap()["type"], "ExecutionAborted", "{h:#?}");
    assert_eq!(
        a.describe(&arn).await.unwrap().status(),
        ExecutionStatus::Aborted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_runtime_is_taken_over() {
    let Some(url) = pg_url().await else { return };
    let a = runtime(&url);
    let arn = a.start("Loop", json!({}), Some("t")).await.unwrap();
    wait_for_events(&**a.store(), &arn, 8).await;
    let b = runtime(&url);
    // A "crashes": its tasks stop and its leases are no longer renewed.
    drop(a);
    let started = Instant::now();
    let d = tokio::time::timeout(Duration::from_secs(30), b.wait(&arn))
        .await
        .expect("not taken over within 30 s")
        .unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert!(started.elapsed() < Duration::from_secs(10));
    check_history(&b.full_history(&arn).await.unwrap());
}

#[test]
fn takeover_after_kill_9() {
    let Some(url) = blocking_pg_url() else { return };
    let file = definition_file();
    let watch = tokio::runtime::Runtime::new().unwrap();
    let db = observer(&url);
    let arn = stepfn::execution_arn("Loop", "k");
    let a = run_process(&file, &url, "k");
    watch.block_on(wait_for_events(&db, &arn, 8));
    signal(&a, "-KILL");
    let _ = a.wait_with_output();
    let b = run_process(&file, &url, "k");
    let out = output_of(b);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    watch.block_on(async { check_history(&events_so_far(&db, &arn).await) });
}

#[test]
fn a_paused_process_is_fenced() {
    let Some(url) = blocking_pg_url() else { return };
    let file = definition_file();
    let watch = tokio::runtime::Runtime::new().unwrap();
    let db = observer(&url);
    let arn = stepfn::execution_arn("Loop", "p");
    let a = run_process(&file, &url, "p");
    watch.block_on(wait_for_events(&db, &arn, 8));
    // Paused past its lease (1 s): B takes over and finishes.
    signal(&a, "-STOP");
    let b = run_process(&file, &url, "p");
    let out = output_of(b);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    let before = watch.block_on(events_so_far(&db, &arn));
    check_history(&before);
    // A wakes up in the middle of its Wait: not a single event gets in.
    signal(&a, "-CONT");
    let out = output_of(a);
    assert_eq!(
        out["status"], "SUCCEEDED",
        "A reports the store's outcome: {out}"
    );
    let after = watch.block_on(events_so_far(&db, &arn));
    assert_eq!(before, after);
}

#[test]
fn fifty_random_sigkills_across_three_processes() {
    let Some(url) = blocking_pg_url() else { return };
    let file = definition_file();
    let names: Vec<String> = (0..6).map(|i| format!("r{i}")).collect();
    let mut slots: Vec<Child> = (0..3)
        .map(|i| run_process(&file, &url, &names[i]))
        .collect();
    let mut kills = 0;
    while kills < 50 {
        std::thread::sleep(Duration::from_millis(fastrand::u64(60..400)));
        let i = fastrand::usize(0..slots.len());
        signal(&slots[i], "-KILL");
        kills += 1;
        let name = &names[fastrand::usize(0..names.len())];
        let old = std::mem::replace(&mut slots[i], run_process(&file, &url, name));
        let _ = old.wait_with_output();
    }
    for c in slots {
        let _ = c.wait_with_output();
    }
    // Every execution finishes (a process that finds one held by nobody takes it over).
    for name in &names {
        let out = output_of(run_process(&file, &url, name));
        assert_eq!(out["status"], "SUCCEEDED", "{name}: {out}");
    }
    let watch = tokio::runtime::Runtime::new().unwrap();
    let db = observer(&url);
    watch.block_on(async {
        for name in &names {
            let arn = stepfn::execution_arn("Loop", name);
            check_history(&events_so_far(&db, &arn).await);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_across_processes() {
    let Some(url) = pg_url().await else { return };
    let work = stepfn::activity_arn("work");
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": work, "HeartbeatSeconds": 30, "Next": "B"},
        "B": {"Type": "Task", "Resource": work, "End": true}}});
    // Leases long enough that A, alive, keeps its execution on this busy machine.
    let open = || {
        let rt = Runtime::open_with_lease(&url, Duration::from_secs(5)).unwrap();
        let m = StateMachine::from_json(&def).unwrap();
        rt.register("Act", m, TaskRegistry::new()).unwrap();
        rt
    };
    let (a, b) = (open(), open());
    a.create_activity("work").await.unwrap();
    let arn = a.start("Act", json!({"n": 1}), Some("w")).await.unwrap();
    // B's worker takes A's task, heartbeats and answers it; A's execution goes on.
    let task = b
        .get_activity_task(&work, Some("bee"))
        .await
        .unwrap()
        .expect("a task");
    assert_eq!(task.input_json(), json!({"n": 1}));
    b.send_task_heartbeat(&task.task_token).await.unwrap();
    b.send_task_success_json(&task.task_token, r#"{"n": 2}"#)
        .await
        .unwrap();
    let e = b
        .send_task_success_json(&task.task_token, "{}")
        .await
        .unwrap_err();
    assert!(matches!(e, RuntimeError::TaskTimedOut(_)), "{e}");
    // The second task: A "crashes" before it is answered; B takes over the execution, and a
    // worker on A's side of the database (B again) finishes it.
    let second = b
        .get_activity_task(&work, None)
        .await
        .unwrap()
        .expect("task");
    assert_eq!(second.input_json(), json!({"n": 2}));
    drop(a);
    b.send_task_success_json(&second.task_token, r#"{"n": 3}"#)
        .await
        .unwrap();
    let d = tokio::time::timeout(Duration::from_secs(30), b.wait(&arn))
        .await
        .expect("finished")
        .unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output(), Some(json!({"n": 3})));
    let h = b.full_history(&arn).await.unwrap();
    let kinds: Vec<&str> = h.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ],
        "{h:#?}"
    );
}
