//! Activities and task tokens on durable executions, on tokio's paused clock: workers take
//! activity tasks and answer them, callbacks answer `.waitForTaskToken` tasks, heartbeats and
//! timeouts end them, bad tokens are refused with AWS's exception names, and pending tasks
//! survive a restart.

use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use stepfn::asl::StateMachine;
use stepfn::store::MemoryStore;
use stepfn::ExecutionStatus;
use stepfn::{Runtime, RuntimeError, TaskError, TaskRegistry};
use tokio::sync::mpsc;

const ACT: &str = "arn:aws:states:us-east-1:123456789012:activity:work";

fn machine(v: Value) -> StateMachine {
    StateMachine::from_json(&v).unwrap()
}

async fn kinds(rt: &Runtime, arn: &str) -> Vec<String> {
    rt.full_history(arn)
        .await
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

async fn event(rt: &Runtime, arn: &str, kind: &str) -> Value {
    rt.full_history(arn)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event"))
}

/// A machine of `task` (plus `extra` fields) and, when it catches, a `Handled` Pass state.
fn one_task(name: &str, mut task: Value, extra: Value) -> StateMachine {
    let catches = extra.get("Catch").is_some();
    task.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let mut states = json!({ name: task });
    if catches {
        states["Handled"] = json!({"Type": "Pass", "End": true});
    }
    machine(json!({"StartAt": name, "States": states}))
}

fn activity_machine(extra: Value) -> StateMachine {
    let task = json!({"Type": "Task", "Resource": ACT, "Parameters": {"x.$": "$.x"}, "End": true});
    one_task("Work", task, extra)
}

async fn activity_runtime(extra: Value) -> Runtime {
    let rt = Runtime::in_memory();
    let a = rt.create_activity("work").await.unwrap();
    assert_eq!(a.arn, ACT);
    rt.register("M", activity_machine(extra), TaskRegistry::new())
        .unwrap();
    rt
}

#[tokio::test(start_paused = true)]
async fn activities_are_created_listed_described_deleted() {
    let rt = Runtime::in_memory();
    let a = rt.create_activity("work").await.unwrap();
    let again = rt.create_activity("work").await.unwrap();
    assert_eq!(a, again);
    rt.create_activity("other").await.unwrap();
    let names: Vec<_> = rt
        .list_activities()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["other", "work"]);
    assert_eq!(
        rt.describe_activity(ACT).await.unwrap().to_json()["name"],
        "work"
    );
    rt.delete_activity(ACT).await.unwrap();
    assert!(matches!(
        rt.describe_activity(ACT).await,
        Err(RuntimeError::ActivityDoesNotExist(_))
    ));
    assert!(matches!(
        rt.get_activity_task(ACT, None).await,
        Err(RuntimeError::ActivityDoesNotExist(_))
    ));
    assert!(matches!(
        rt.describe_activity("arn:aws:states:us-east-1:123456789012:stateMachine:x")
            .await,
        Err(RuntimeError::InvalidArn(_))
    ));
    assert!(matches!(
        rt.create_activity("bad name").await,
        Err(RuntimeError::InvalidName(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn activity_round_trip() {
    let rt = activity_runtime(json!({"TimeoutSeconds": 300, "HeartbeatSeconds": 60})).await;
    let arn = rt.start("M", json!({"x": 1}), Some("e")).await.unwrap();
    let task = rt
        .get_activity_task(ACT, Some("w1"))
        .await
        .unwrap()
        .expect("a task");
    assert_eq!(task.input_json(), json!({"x": 1}));
    rt.send_task_heartbeat(&task.task_token).await.unwrap();
    rt.send_task_success_json(&task.task_token, r#"{"y": 2}"#)
        .await
        .unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output(), Some(json!({"y": 2})));
    assert_eq!(
        kinds(&rt, &arn).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = event(&rt, &arn, "ActivityScheduled").await;
    let details = &scheduled["activityScheduledEventDetails"];
    assert_eq!(details["resource"], ACT);
    assert_eq!(details["input"], r#"{"x":1}"#);
    assert_eq!(details["timeoutInSeconds"], 300);
    assert_eq!(details["heartbeatInSeconds"], 60);
    let started = event(&rt, &arn, "ActivityStarted").await;
    assert_eq!(started["activityStartedEventDetails"]["workerName"], "w1");
    let ok = event(&rt, &arn, "ActivitySucceeded").await;
    assert_eq!(ok["activitySucceededEventDetails"]["output"], r#"{"y":2}"#);
    // The task is over: a second answer, or a heartbeat, is too late.
    assert!(matches!(
        rt.send_task_success_json(&task.task_token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
    assert!(matches!(
        rt.send_task_heartbeat(&task.task_token).await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
    // Nothing left to take.
    let t0 = tokio::time::Instant::now();
    assert_eq!(rt.get_activity_task(ACT, None).await.unwrap(), None);
    assert!(t0.elapsed() >= Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn long_poll_waits_for_a_task_then_gives_up() {
    let rt = activity_runtime(json!({})).await;
    // A poll that starts before the task exists gets it when it is scheduled.
    let poller = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.get_activity_task(ACT, Some("early")).await })
    };
    tokio::time::sleep(Duration::from_secs(10)).await;
    let arn = rt.start("M", json!({"x": 5}), None).await.unwrap();
    let task = poller.await.unwrap().unwrap().expect("a task");
    assert_eq!(task.input_json(), json!({"x": 5}));
    // Nobody else gets it: an empty poll ends after 60 s with no task.
    let t0 = tokio::time::Instant::now();
    assert_eq!(rt.get_activity_task(ACT, Some("late")).await.unwrap(), None);
    assert_eq!(t0.elapsed(), Duration::from_secs(60));
    rt.send_task_success_json(&task.task_token, "5")
        .await
        .unwrap();
    assert_eq!(rt.wait(&arn).await.unwrap().output(), Some(json!(5)));
}

#[tokio::test(start_paused = true)]
async fn activity_failure_is_caught() {
    let rt = activity_runtime(json!({
        "Catch": [{"ErrorEquals": ["Oops"], "ResultPath": "$.err", "Next": "Handled"}]
    }))
    .await;
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    rt.send_task_failure(&task.task_token, Some("Oops"), Some("it broke"))
        .await
        .unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        d.output(),
        Some(json!({"x": 1, "err": {"Error": "Oops", "Cause": "it broke"}}))
    );
    let failed = event(&rt, &arn, "ActivityFailed").await;
    assert_eq!(
        failed["activityFailedEventDetails"],
        json!({"error": "Oops", "cause": "it broke"})
    );
    let started = event(&rt, &arn, "ActivityStarted").await;
    assert_eq!(started["activityStartedEventDetails"], json!({}));
}

#[tokio::test(start_paused = true)]
async fn missed_heartbeat_times_the_activity_out() {
    let rt = activity_runtime(json!({"HeartbeatSeconds": 10, "TimeoutSeconds": 1000})).await;
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    // Heartbeats keep it alive well past 10 s, and write no events.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(8)).await;
        rt.send_task_heartbeat(&task.task_token).await.unwrap();
    }
    let before = kinds(&rt, &arn).await.len();
    assert_eq!(
        rt.describe(&arn).await.unwrap().status(),
        ExecutionStatus::Running
    );
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    assert_eq!(d.record.error.as_deref(), Some("States.HeartbeatTimeout"));
    let timed_out = event(&rt, &arn, "ActivityTimedOut").await;
    assert_eq!(
        timed_out["activityTimedOutEventDetails"]["error"],
        "States.HeartbeatTimeout"
    );
    assert_eq!(
        kinds(&rt, &arn).await[before..],
        ["ActivityTimedOut", "ExecutionFailed"]
    );
    assert!(matches!(
        rt.send_task_success_json(&task.task_token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn timeout_seconds_is_absolute_whatever_the_heartbeats() {
    let rt = activity_runtime(json!({
        "HeartbeatSeconds": 10,
        "TimeoutSeconds": 30,
        "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "Handled"}]
    }))
    .await;
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    let t0 = tokio::time::Instant::now();
    let mut beats = 0;
    while rt.send_task_heartbeat(&task.task_token).await.is_ok() {
        beats += 1;
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    assert!(beats >= 6, "{beats} heartbeats");
    assert!(t0.elapsed() >= Duration::from_secs(30));
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output().unwrap()["err"]["Error"], "States.Timeout");
    assert!(kinds(&rt, &arn)
        .await
        .contains(&"ActivityTimedOut".to_string()));
}

#[tokio::test(start_paused = true)]
async fn bad_tokens_and_outputs_are_refused() {
    let rt = activity_runtime(json!({})).await;
    for bad in ["", "not a token", "AAAA", &"x".repeat(3000)] {
        assert!(
            matches!(
                rt.send_task_success_json(bad, "{}").await,
                Err(RuntimeError::InvalidToken(_))
            ),
            "{bad}"
        );
        assert!(matches!(
            rt.send_task_heartbeat(bad).await,
            Err(RuntimeError::InvalidToken(_))
        ));
        assert!(matches!(
            rt.send_task_failure(bad, None, None).await,
            Err(RuntimeError::InvalidToken(_))
        ));
    }
    // Well formed, but of no execution of this store.
    let ghost = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "arn:aws:states:us-east-1:123456789012:execution:M:ghost#{}",
        uuid::Uuid::new_v4()
    ));
    assert!(matches!(
        rt.send_task_success_json(&ghost, "{}").await,
        Err(RuntimeError::TaskDoesNotExist(_))
    ));
    assert!(matches!(
        rt.send_task_failure(&ghost, Some("E"), None).await,
        Err(RuntimeError::TaskDoesNotExist(_))
    ));
    // Outputs must be JSON of at most 256 KiB.
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    assert!(matches!(
        rt.send_task_success_json(&task.task_token, "{not json")
            .await,
        Err(RuntimeError::InvalidOutput(_))
    ));
    let big = serde_json::to_string(&"a".repeat(300_000)).unwrap();
    assert!(matches!(
        rt.send_task_success_json(&task.task_token, &big).await,
        Err(RuntimeError::InvalidOutput(_))
    ));
    // Still answerable after the refusals.
    rt.send_task_success_json(&task.task_token, "[1]")
        .await
        .unwrap();
    assert_eq!(rt.wait(&arn).await.unwrap().output(), Some(json!([1])));
}

#[tokio::test(start_paused = true)]
async fn scheduling_a_missing_activity_fails_catchably() {
    let rt = Runtime::in_memory();
    rt.register(
        "M",
        activity_machine(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]})),
        TaskRegistry::new(),
    )
    .unwrap();
    let d = rt.run("M", json!({"x": 1}), None).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output().unwrap()["Error"], "ActivityDoesNotExist");
    assert!(kinds(&rt, &d.record.arn)
        .await
        .contains(&"ActivityScheduleFailed".to_string()));
}

const SQS: &str = "arn:aws:states:::sqs:sendMessage";

/// A machine whose `Wait` state sends `$$.Task.Token` with SQS and waits for the callback;
/// the SQS handler hands each message to the returned channel.
fn callback_runtime(extra: Value) -> (Runtime, mpsc::UnboundedReceiver<Value>) {
    callback_runtime_on(Runtime::in_memory(), extra)
}

fn callback_runtime_on(rt: Runtime, extra: Value) -> (Runtime, mpsc::UnboundedReceiver<Value>) {
    let task = json!({
        "Type": "Task",
        "Resource": format!("{SQS}.waitForTaskToken"),
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "v.$": "$.v"}},
        "End": true
    });
    let m = one_task("Wait", task, extra);
    let (tx, rx) = mpsc::unbounded_channel();
    let mut tasks = TaskRegistry::new();
    tasks.register_json(SQS, move |input: Value| {
        let tx = tx.clone();
        async move {
            tx.send(input["MessageBody"].clone())
                .map_err(|_| TaskError::new("Closed", "receiver gone"))?;
            Ok(json!({"MessageId": "m-1"}))
        }
    });
    rt.register("CB", m, tasks).unwrap();
    (rt, rx)
}

#[tokio::test(start_paused = true)]
async fn task_token_success() {
    let (rt, mut rx) = callback_runtime(json!({"HeartbeatSeconds": 100}));
    let arn = rt.start("CB", json!({"v": 7}), None).await.unwrap();
    let msg = rx.recv().await.unwrap();
    assert_eq!(msg["v"], 7);
    let token = msg["token"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_secs(60)).await;
    rt.send_task_heartbeat(&token).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    rt.send_task_success_json(&token, r#"{"done": true}"#)
        .await
        .unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output(), Some(json!({"done": true})));
    assert_eq!(
        kinds(&rt, &arn).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = event(&rt, &arn, "TaskScheduled").await;
    let sd = &scheduled["taskScheduledEventDetails"];
    assert_eq!(sd["resourceType"], "sqs");
    assert_eq!(sd["resource"], "sendMessage.waitForTaskToken");
    assert_eq!(sd["heartbeatInSeconds"], 100);
    let params: Value = serde_json::from_str(sd["parameters"].as_str().unwrap()).unwrap();
    assert_eq!(params["MessageBody"]["token"], token.as_str());
    let submitted = event(&rt, &arn, "TaskSubmitted").await;
    assert_eq!(
        submitted["taskSubmittedEventDetails"]["output"],
        r#"{"MessageId":"m-1"}"#
    );
    assert!(matches!(
        rt.send_task_success_json(&token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn task_token_failure_is_caught_and_retried_with_a_new_token() {
    let (rt, mut rx) = callback_runtime(json!({
        "Retry": [{"ErrorEquals": ["Rejected"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Handled"}]
    }));
    let arn = rt.start("CB", json!({"v": 1}), None).await.unwrap();
    let first = rx.recv().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    rt.send_task_failure(&first, Some("Rejected"), Some("no"))
        .await
        .unwrap();
    let second = rx.recv().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    rt.send_task_failure(&second, Some("Rejected"), Some("still no"))
        .await
        .unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        d.output(),
        Some(json!({"Error": "Rejected", "Cause": "still no"}))
    );
    let failed = event(&rt, &arn, "TaskFailed").await;
    assert_eq!(
        failed["taskFailedEventDetails"],
        json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken", "error": "Rejected", "cause": "no"})
    );
}

#[tokio::test(start_paused = true)]
async fn task_token_times_out() {
    let (rt, mut rx) = callback_runtime(json!({"TimeoutSeconds": 5}));
    let arn = rt.start("CB", json!({"v": 1}), None).await.unwrap();
    let token = rx.recv().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Failed);
    assert_eq!(d.record.error.as_deref(), Some("States.Timeout"));
    assert!(kinds(&rt, &arn).await.contains(&"TaskTimedOut".to_string()));
    assert!(matches!(
        rt.send_task_success_json(&token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn task_token_heartbeat_timeout() {
    let (rt, mut rx) = callback_runtime(json!({"HeartbeatSeconds": 5}));
    let arn = rt.start("CB", json!({"v": 1}), None).await.unwrap();
    rx.recv().await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("States.HeartbeatTimeout"));
    let e = event(&rt, &arn, "TaskTimedOut").await;
    assert_eq!(
        e["taskTimedOutEventDetails"]["error"],
        "States.HeartbeatTimeout"
    );
}

#[tokio::test(start_paused = true)]
async fn jsonata_token_without_a_handler() {
    let rt = Runtime::in_memory();
    let m = machine(
        json!({"QueryLanguage": "JSONata", "StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Arguments": {"Payload": {"token": "{% $states.context.Task.Token %}"}},
                 "End": true}}}),
    );
    rt.register("J", m, TaskRegistry::new()).unwrap();
    let arn = rt.start("J", json!({}), None).await.unwrap();
    // No handler: the token is only issued; read it back from TaskScheduled.
    let token = loop {
        let h = rt.full_history(&arn).await.unwrap();
        if let Some(e) = h.iter().find(|e| e["type"] == "TaskScheduled") {
            let p: Value = serde_json::from_str(
                e["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            break p["Payload"]["token"].as_str().unwrap().to_string();
        }
        tokio::task::yield_now().await;
    };
    rt.send_task_success_json(&token, r#""ok""#).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.output(), Some(json!("ok")));
}

#[tokio::test(start_paused = true)]
async fn pending_tasks_survive_a_restart_in_memory() {
    let store = Arc::new(MemoryStore::new());
    let rt = Runtime::new(store.clone());
    rt.create_activity("work").await.unwrap();
    rt.register(
        "M",
        activity_machine(json!({"TimeoutSeconds": 100})),
        TaskRegistry::new(),
    )
    .unwrap();
    let (rt, mut rx) = callback_runtime_on(rt, json!({}));
    let act = rt.start("M", json!({"x": 3}), Some("act")).await.unwrap();
    let cb = rt.start("CB", json!({"v": 4}), Some("cb")).await.unwrap();
    let token = rx.recv().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_secs(40)).await;
    drop(rt);

    // "Restart": a new runtime on the same store.
    let rt = Runtime::new(store.clone());
    rt.register(
        "M",
        activity_machine(json!({"TimeoutSeconds": 100})),
        TaskRegistry::new(),
    )
    .unwrap();
    let (rt, _rx) = callback_runtime_on(rt, json!({}));
    let mut resumed = rt.resume().await.unwrap();
    resumed.sort();
    assert_eq!(resumed, {
        let mut v = vec![act.clone(), cb.clone()];
        v.sort();
        v
    });
    rt.send_task_success_json(&token, r#"{"cb": 1}"#)
        .await
        .unwrap();
    assert_eq!(rt.wait(&cb).await.unwrap().output(), Some(json!({"cb": 1})));
    // The activity task is still there to take, and its absolute deadline (100 s after it was
    // scheduled) is kept: it ends about 60 s after the restart.
    let task = rt.get_activity_task(ACT, Some("w")).await.unwrap().unwrap();
    assert_eq!(task.input_json(), json!({"x": 3}));
    tokio::time::sleep(Duration::from_secs(55)).await;
    assert_eq!(
        rt.describe(&act).await.unwrap().status(),
        ExecutionStatus::Running
    );
    let d = rt.wait(&act).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("States.Timeout"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_tasks_survive_a_restart_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("stepfn-cb-{}", uuid::Uuid::new_v4()));
    let db = dir.join("t.db");
    let (act, cb, token) = {
        let rt = Runtime::open(&db).unwrap();
        rt.create_activity("work").await.unwrap();
        rt.register(
            "M",
            activity_machine(json!({"TimeoutSeconds": 3600})),
            TaskRegistry::new(),
        )
        .unwrap();
        let (rt, mut rx) = callback_runtime_on(rt, json!({"HeartbeatSeconds": 3600}));
        let act = rt.start("M", json!({"x": 9}), Some("act")).await.unwrap();
        let cb = rt.start("CB", json!({"v": 8}), Some("cb")).await.unwrap();
        let token = rx.recv().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        // Let both park (their last commits land) before the "crash".
        for (arn, kind) in [(&act, "ActivityScheduled"), (&cb, "TaskSubmitted")] {
            while !kinds(&rt, arn).await.iter().any(|k| k == kind) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        (act, cb, token)
    };
    // The dropped runtime's aborted tasks release the database (its lock file) shortly after.
    let mut tries = 0;
    let rt = loop {
        match Runtime::open(&db) {
            Ok(rt) => break rt,
            Err(e) if tries < 100 && e.to_string().contains("in use") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    rt.register(
        "M",
        activity_machine(json!({"TimeoutSeconds": 3600})),
        TaskRegistry::new(),
    )
    .unwrap();
    let (rt, _rx) = callback_runtime_on(rt, json!({"HeartbeatSeconds": 3600}));
    // Answered before the execution is resumed: the answer is stored, then applied.
    rt.send_task_success_json(&token, r#"{"early": true}"#)
        .await
        .unwrap();
    assert_eq!(
        rt.describe(&cb).await.unwrap().status(),
        ExecutionStatus::Running
    );
    rt.resume().await.unwrap();
    let d = rt.wait(&cb).await.unwrap();
    assert_eq!(d.output(), Some(json!({"early": true})), "{:?}", d.record);
    assert!(matches!(
        rt.send_task_success_json(&token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
    let task = rt.get_activity_task(ACT, Some("w")).await.unwrap().unwrap();
    rt.send_task_success_json(&task.task_token, r#""after""#)
        .await
        .unwrap();
    let d = rt.wait(&act).await.unwrap();
    assert_eq!(d.output(), Some(json!("after")));
    assert_eq!(
        kinds(&rt, &act).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    drop(rt);
    let _ = std::fs::remove_dir_all(dir);
}
