//! Redrive: a FAILED, ABORTED or TIMED_OUT execution continues from its unsuccessful step with
//! the same ARN and input; inside a Map or Parallel only the failed or aborted iterations and
//! branches run again. And a closed execution's name cannot be started again. On every store
//! (see `support/stores.rs`).

#[macro_use]
#[path = "support/stores.rs"]
mod stores;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::{RuntimeError, TaskError, TaskRegistry};
use stores::{kinds, wait_for_event, TestStore};

fn machine(v: Value) -> StateMachine {
    StateMachine::from_json(&v).unwrap()
}

/// A handler counting calls per `$.id` that fails while `broken` holds that id.
#[derive(Clone, Default)]
struct Counter {
    calls: Arc<Mutex<BTreeMap<i64, u32>>>,
    broken: Arc<Mutex<Option<i64>>>,
}

impl Counter {
    fn tasks(&self, resource: &str) -> TaskRegistry {
        let mut t = TaskRegistry::new();
        let me = self.clone();
        t.register_json(resource, move |v: Value| {
            let me = me.clone();
            async move {
                let id = v["id"].as_i64().unwrap_or(-1);
                *me.calls.lock().unwrap().entry(id).or_insert(0) += 1;
                if *me.broken.lock().unwrap() == Some(id) {
                    return Err(TaskError::new("Broken", format!("item {id}")));
                }
                Ok(json!({"id": id, "done": true}))
            }
        });
        t
    }

    fn calls(&self) -> BTreeMap<i64, u32> {
        self.calls.lock().unwrap().clone()
    }
}

on_every_store!(
    redrive_of_a_map_reruns_only_the_failed_iteration,
    redrive_of_a_parallel_reruns_only_the_failed_branch,
    redrive_reenters_the_failed_state_only,
    redrive_of_a_stopped_execution_and_refusals,
    starting_a_closed_execution_name_again_is_refused,
    redrive_of_a_timed_out_execution_gets_its_timeout_again,
);

async fn redrive_of_a_map_reruns_only_the_failed_iteration(store: TestStore) {
    let rt = store.runtime().await;
    let counter = Counter::default();
    *counter.broken.lock().unwrap() = Some(3);
    let m = machine(json!({"StartAt": "Before", "States": {
        "Before": {"Type": "Task", "Resource": "work", "Parameters": {"id": 100}, "ResultPath": null, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "work", "End": true}}}, "ResultPath": "$.results", "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"redrives.$": "$$.Execution.RedriveCount", "results.$": "$.results"}, "End": true}
    }}));
    rt.register("M", m, counter.tasks("work")).unwrap();
    let items: Vec<Value> = (0..6).map(|i| json!({"id": i})).collect();
    let d = rt
        .run("M", json!({"items": items}), Some("x"))
        .await
        .unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    assert_eq!(d.record.error.as_deref(), Some("Broken"));
    assert_eq!(d.to_json()["redriveStatus"], "REDRIVABLE");
    // Items after the failed one may not have started (they are then aborted iterations).
    let before = counter.calls();
    assert_eq!(before[&3], 1);
    assert_eq!(before[&100], 1);
    let arn = d.record.arn.clone();
    let events_before = kinds(&rt, &arn).await.len();

    *counter.broken.lock().unwrap() = None;
    rt.redrive(&arn).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded, "{:?}", d.record);
    assert_eq!(d.record.redrive_count, 1);
    assert_eq!(d.to_json()["redriveCount"], 1);
    assert_eq!(d.to_json()["redriveStatus"], "NOT_REDRIVABLE");
    let out = d.output().unwrap();
    assert_eq!(out["redrives"], 1);
    assert_eq!(
        out["results"],
        json!((0..6)
            .map(|i| json!({"id": i, "done": true}))
            .collect::<Vec<_>>())
    );
    // Only item 3 ran again (and the items that had not run yet ran once); the state before
    // the Map did not.
    assert_eq!(
        counter.calls(),
        BTreeMap::from([(0, 1), (1, 1), (2, 1), (3, 2), (4, 1), (5, 1), (100, 1)])
    );
    let rerun = 1 + (4..6).filter(|i| !before.contains_key(i)).count();
    let all = rt.full_history(&arn).await.unwrap();
    let after: Vec<&str> = all[events_before..]
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(after[0], "ExecutionRedriven");
    assert_eq!(
        all[events_before]["executionRedrivenEventDetails"]["redriveCount"],
        1
    );
    assert_eq!(after[1], "MapStateEntered");
    assert_eq!(
        after.iter().filter(|k| **k == "TaskStateEntered").count(),
        rerun,
        "{after:?}"
    );
    assert_eq!(*after.last().unwrap(), "ExecutionSucceeded");
    for (k, e) in all.iter().enumerate() {
        assert_eq!(e["id"].as_u64(), Some(k as u64 + 1));
    }
    // Succeeded: not redrivable any more.
    assert!(matches!(
        rt.redrive(&arn).await,
        Err(RuntimeError::ExecutionNotRedrivable(_))
    ));
}

async fn redrive_of_a_parallel_reruns_only_the_failed_branch(store: TestStore) {
    let rt = store.runtime().await;
    let counter = Counter::default();
    *counter.broken.lock().unwrap() = Some(2);
    let branch = |id: i64| json!({"StartAt": format!("B{id}"), "States": {format!("B{id}"): {"Type": "Task", "Resource": "work", "Parameters": {"id": id}, "End": true}}});
    let m = machine(json!({"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "Branches": [branch(1), branch(2), branch(3)], "End": true}
    }}));
    rt.register("P", m, counter.tasks("work")).unwrap();
    let d = rt.run("P", json!({}), None).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    *counter.broken.lock().unwrap() = None;
    rt.redrive(&d.record.arn).await.unwrap();
    let d = rt.wait(&d.record.arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output().unwrap().as_array().unwrap().len(), 3);
    assert_eq!(counter.calls()[&2], 2);
    assert!(counter.calls()[&1] == 1 && counter.calls()[&3] == 1);
}

async fn redrive_reenters_the_failed_state_only(store: TestStore) {
    let rt = store.runtime().await;
    let counter = Counter::default();
    *counter.broken.lock().unwrap() = Some(2);
    let m = machine(json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "work", "Parameters": {"id": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Task", "Resource": "work", "Parameters": {"id": 2}, "ResultPath": "$.b",
              "Retry": [{"ErrorEquals": ["Broken"], "MaxAttempts": 1, "IntervalSeconds": 1}], "End": true}
    }}));
    rt.register("S", m, counter.tasks("work")).unwrap();
    let d = rt.run("S", json!({"in": 1}), Some("s")).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    assert_eq!(counter.calls(), BTreeMap::from([(1, 1), (2, 2)]));
    *counter.broken.lock().unwrap() = None;
    let arn = d.record.arn.clone();
    rt.redrive(&arn).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(
        d.output(),
        Some(json!({"in": 1, "a": {"id": 1, "done": true}, "b": {"id": 2, "done": true}}))
    );
    assert_eq!(counter.calls(), BTreeMap::from([(1, 1), (2, 3)]));
}

async fn redrive_of_a_stopped_execution_and_refusals(store: TestStore) {
    let rt = store.runtime().await;
    let go = Arc::new(AtomicBool::new(false));
    let mut tasks = TaskRegistry::new();
    let g = go.clone();
    tasks.register_json("gate", move |v: Value| {
        let g = g.clone();
        async move {
            if g.load(Ordering::SeqCst) {
                Ok(v)
            } else {
                std::future::pending().await
            }
        }
    });
    let m = machine(json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "G"},
        "G": {"Type": "Task", "Resource": "gate", "End": true}
    }}));
    rt.register("G", m, tasks).unwrap();
    let arn = rt.start("G", json!({"k": 1}), Some("g")).await.unwrap();
    // Running: not redrivable.
    assert!(matches!(
        rt.redrive(&arn).await,
        Err(RuntimeError::ExecutionNotRedrivable(_))
    ));
    wait_for_event(&rt, &arn, "TaskStarted").await;
    let d = rt.stop(&arn, None, None).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Aborted);
    go.store(true, Ordering::SeqCst);
    rt.redrive(&arn).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output(), Some(json!({"k": 1})));
    let k = kinds(&rt, &arn).await;
    // The Wait was not redone; the aborted Task was entered again.
    assert_eq!(k.iter().filter(|k| *k == "WaitStateEntered").count(), 1);
    assert_eq!(k.iter().filter(|k| *k == "TaskStateEntered").count(), 2);
    assert!(matches!(
        rt.redrive("arn:aws:states:us-east-1:123456789012:execution:G:nope")
            .await,
        Err(RuntimeError::ExecutionDoesNotExist(_))
    ));
}

async fn starting_a_closed_execution_name_again_is_refused(store: TestStore) {
    let rt = store.runtime().await;
    let m = machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    rt.register("M", m, TaskRegistry::new()).unwrap();
    let d = rt.run("M", json!({"a": 1}), Some("once")).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    let e = rt
        .start("M", json!({"a": 1}), Some("once"))
        .await
        .unwrap_err();
    assert!(matches!(e, RuntimeError::ExecutionAlreadyExists(_)), "{e}");
    let e = rt
        .start("M", json!({"a": 2}), Some("once"))
        .await
        .unwrap_err();
    assert!(matches!(e, RuntimeError::ExecutionAlreadyExists(_)), "{e}");
}

async fn redrive_of_a_timed_out_execution_gets_its_timeout_again(store: TestStore) {
    let rt = store.runtime().await;
    let go = Arc::new(AtomicBool::new(false));
    let mut tasks = TaskRegistry::new();
    let g = go.clone();
    tasks.register_json("gate", move |v: Value| {
        let g = g.clone();
        async move {
            if !g.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(v)
        }
    });
    let m = machine(json!({"TimeoutSeconds": 3, "StartAt": "G", "States": {
        "G": {"Type": "Task", "Resource": "gate", "End": true}
    }}));
    rt.register("T", m, tasks).unwrap();
    let d = rt.run("T", json!({"t": 1}), None).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::TimedOut);
    assert!(d.to_json().get("redriveDate").is_none());
    // Longer after the first start than its timeout: the redriven run has 3 s again, and
    // needs 1.
    tokio::time::sleep(Duration::from_secs(4)).await;
    go.store(true, Ordering::SeqCst);
    rt.redrive(&d.record.arn).await.unwrap();
    let d = rt.wait(&d.record.arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded, "{:?}", d.record);
    assert!(d.to_json()["redriveDate"].is_string());
}
