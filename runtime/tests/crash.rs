//! Crash recovery, on each durable store (a SQLite file; a PostgreSQL schema, see
//! `support/stores.rs`): a child process (this test binary, re-run as `crash_child`) runs many
//! durable executions; the test SIGKILLs it at random moments, at least 50 times, restarts it
//! each time on the same store, and finally checks that every execution completed with the right
//! output and a whole history: consecutive ids, one ExecutionStarted, one terminal event, and the
//! same events (by type and state) as an in-memory run — nothing lost, nothing doubled.
//!
//! On PostgreSQL a killed child's executions are taken over once its leases expire
//! ([`CHILD_LEASE`]), so each child lives that long before its random moment.

#[path = "support/stores.rs"]
mod stores;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::{ExecutionOptions, Interpreter, Runtime, StatesError, TaskRegistry};
use stores::{StoreKind, TestStore};

const KILLS: usize = 60;
const PER_MACHINE: usize = 6;
/// The children's lease timeout on PostgreSQL.
const CHILD_LEASE: Duration = Duration::from_millis(500);

fn machines() -> Vec<(&'static str, Value, Value)> {
    let mut chain = serde_json::Map::new();
    for i in 0..20 {
        let next = if i == 19 {
            json!({"End": true})
        } else {
            json!({"Next": format!("P{}", i + 1)})
        };
        let mut st = json!({"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}});
        st.as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        chain.insert(format!("P{i}"), st);
    }
    vec![
        (
            "chain",
            json!({"StartAt": "P0", "States": chain}),
            json!({"n": 0}),
        ),
        (
            "loop",
            json!({"StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 200, "Next": "Incr"}], "Default": "Done"},
                "Incr": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Slow"},
                "Slow": {"Type": "Task", "Resource": "echo", "Next": "Check"},
                "Done": {"Type": "Succeed"}}}),
            json!({"i": 0}),
        ),
        (
            "waits",
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Result": {"x": 1}, "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
                "T": {"Type": "Task", "Resource": "echo", "Next": "W2"},
                "W2": {"Type": "Wait", "Seconds": 1, "End": true}}}),
            json!({}),
        ),
        (
            "parallel",
            json!({"StartAt": "Par", "States": {
                "Par": {"Type": "Parallel", "Branches": [
                    {"StartAt": "A1", "States": {"A1": {"Type": "Wait", "Seconds": 1, "Next": "A2"}, "A2": {"Type": "Task", "Resource": "echo", "End": true}}},
                    {"StartAt": "B1", "States": {"B1": {"Type": "Task", "Resource": "echo", "Next": "B2"}, "B2": {"Type": "Pass", "Result": "b", "End": true}}},
                    {"StartAt": "C1", "States": {"C1": {"Type": "Pass", "Result": "c", "End": true}}}
                ], "Next": "After"},
                "After": {"Type": "Pass", "End": true}}}),
            json!({"v": 7}),
        ),
        (
            "map",
            json!({"StartAt": "M", "States": {
                "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "ItemProcessor": {"StartAt": "Double", "States": {
                    "Double": {"Type": "Task", "Resource": "double", "Next": "Tag"},
                    "Tag": {"Type": "Pass", "Parameters": {"v.$": "$.v", "tag": "done"}, "End": true}}}, "End": true}}}),
            json!({"items": (0..12).map(|i| json!({"v": i})).collect::<Vec<_>>()}),
        ),
        (
            "retry",
            json!({"StartAt": "Flaky", "States": {
                "Flaky": {"Type": "Task", "Resource": "flaky", "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1.0}], "Next": "Done"},
                "Done": {"Type": "Pass", "End": true}}}),
            json!({"k": 1}),
        ),
    ]
}

fn tasks() -> TaskRegistry {
    let mut t = TaskRegistry::new();
    t.register_json("echo", |v: Value| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(v)
    });
    t.register_json("double", |v: Value| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(json!({"v": v["v"].as_i64().unwrap_or(0) * 2}))
    });
    t.register_handler(
        "flaky",
        std::sync::Arc::new(Flaky) as std::sync::Arc<dyn stepfn::TaskHandler>,
    );
    t
}

struct Flaky;

impl stepfn::TaskHandler for Flaky {
    fn invoke(
        &self,
        r: stepfn::TaskRequest,
    ) -> futures::future::BoxFuture<'static, Result<Value, StatesError>> {
        Box::pin(async move {
            if r.attempt < 2 {
                Err(StatesError::new("Flaky", format!("attempt {}", r.attempt)))
            } else {
                Ok(json!({"attempts": r.attempt + 1, "input": r.input}))
            }
        })
    }
}

async fn worker(db: &str, generation: usize) {
    let runtime = Runtime::open_with_lease(db, CHILD_LEASE).unwrap();
    for (name, def, _) in machines() {
        let m = StateMachine::from_json(&def).unwrap();
        runtime.register(name, m, tasks()).unwrap();
    }
    runtime.resume().await.unwrap();
    let mut arns = Vec::new();
    for (name, _, input) in machines() {
        for i in 0..PER_MACHINE {
            let exec_name = format!("{name}-g{generation}-{i}");
            let arn = stepfn::execution_arn(name, &exec_name);
            // Started before the kill: resumed above (or already closed). Starting a closed
            // execution's name again is ExecutionAlreadyExists, so look it up first.
            if runtime.describe(&arn).await.is_err() {
                runtime
                    .start(name, input.clone(), Some(&exec_name))
                    .await
                    .unwrap();
            }
            arns.push(arn);
        }
    }
    for arn in arns {
        runtime.wait(&arn).await.unwrap();
    }
}

/// The child process: runs when `STEPFN_CRASH_DB` is set, does nothing otherwise.
#[test]
fn crash_child() {
    let Ok(db) = std::env::var("STEPFN_CRASH_DB") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let generation = std::env::var("STEPFN_CRASH_GEN")
        .ok()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    rt.block_on(worker(&db, generation));
}

fn child(db: &str, generation: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("STEPFN_CRASH_DB", db)
        .env("STEPFN_CRASH_GEN", generation.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// (type, state name) of an event: what must appear as often as in a clean run.
fn signature(e: &Value) -> (String, String) {
    let kind = e["type"].as_str().unwrap_or("").to_string();
    let name = e
        .as_object()
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .and_then(|(_, d)| d.get("name").and_then(Value::as_str))
        })
        .unwrap_or("")
        .to_string();
    (kind, name)
}

fn counts(events: &[Value]) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(signature(e)).or_insert(0) += 1;
    }
    m
}

mod crash_and_resume {
    use crate::stores::StoreKind;

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite() {
        super::crash_and_resume(StoreKind::Sqlite)
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres() {
        super::crash_and_resume(StoreKind::Postgres)
    }
}

fn crash_and_resume(kind: StoreKind) {
    if std::env::var("STEPFN_CRASH_DB").is_ok() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(store) = rt.block_on(TestStore::new(kind)) else {
        return;
    };
    let db = store.location().expect("a durable store");
    // Before its random moment, a child on a shared store waits for the killed one's leases.
    let alive = if kind.shared() {
        CHILD_LEASE
    } else {
        Duration::ZERO
    };
    let started = Instant::now();
    let mut kills = 0;
    // Each generation is a new set of executions; a generation ends when a run finishes.
    let mut generation = 0;
    while kills < KILLS {
        let mut c = child(&db, generation);
        let wait = alive + Duration::from_millis(fastrand::u64(20..200));
        std::thread::sleep(wait);
        if let Some(status) = c.try_wait().unwrap() {
            assert!(status.success(), "a run failed: {status}");
            generation += 1;
            continue;
        }
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        kills += 1;
    }
    let status = child(&db, generation).wait().unwrap();
    assert!(status.success(), "the last run failed: {status}");
    let generations = generation + 1;
    eprintln!(
        "crash test ({kind:?}): {kills} SIGKILLs, {generations} generations of {} executions, \
         {:.1?}",
        machines().len() * PER_MACHINE,
        started.elapsed()
    );

    rt.block_on(async {
        let runtime = Runtime::open(&db).unwrap();
        for (name, def, input) in machines() {
            let m = StateMachine::from_json(&def).unwrap();
            let reference = Interpreter::new(m, name, tasks())
                .execute(input.clone(), ExecutionOptions::default())
                .await;
            assert_eq!(reference.status, ExecutionStatus::Succeeded, "{name}");
            let want = counts(
                &reference
                    .history
                    .iter()
                    .map(|e| e.to_json())
                    .collect::<Vec<_>>(),
            );
            for (g, i) in (0..generations).flat_map(|g| (0..PER_MACHINE).map(move |i| (g, i))) {
                let arn = stepfn::execution_arn(name, &format!("{name}-g{g}-{i}"));
                let d = runtime.describe(&arn).await.unwrap();
                assert_eq!(
                    d.status(),
                    ExecutionStatus::Succeeded,
                    "{arn}: {:?}",
                    d.record
                );
                assert_eq!(d.output(), reference.output, "{arn}");
                let events = runtime.full_history(&arn).await.unwrap();
                for (k, e) in events.iter().enumerate() {
                    assert_eq!(e["id"].as_u64(), Some(k as u64 + 1), "{arn}: ids");
                    assert!(e["previousEventId"].as_u64().unwrap() < k as u64 + 1);
                }
                assert_eq!(events[0]["type"], "ExecutionStarted");
                assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
                assert_eq!(
                    counts(&events),
                    want,
                    "{arn}: events differ from a clean run"
                );
            }
        }
    });
}
