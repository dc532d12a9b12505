//! Activities and task tokens on durable executions, on every store (see `support/stores.rs`):
//! workers take activity tasks and answer them, callbacks answer `.waitForTaskToken` tasks,
//! heartbeats and timeouts end them, bad tokens are refused with AWS's exception names, and
//! pending tasks and their deadlines survive a restart.

#[macro_use]
#[path = "support/stores.rs"]
mod stores;

use base64::Engine;
use serde_json::{json, Value};
use std::time::Duration;
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::{Runtime, RuntimeError, TaskError, TaskRegistry};
use stores::{kinds, wait_for_event, TestStore};
use tokio::sync::mpsc;
use tokio::time::Instant;

const ACT: &str = "arn:aws:states:us-east-1:123456789012:activity:work";

fn machine(v: Value) -> StateMachine {
    StateMachine::from_json(&v).unwrap()
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

async fn activity_runtime(store: &TestStore, extra: Value) -> Runtime {
    let rt = store.runtime().await;
    let a = rt.create_activity("work").await.unwrap();
    assert_eq!(a.arn, ACT);
    rt.register("M", activity_machine(extra), TaskRegistry::new())
        .unwrap();
    rt
}

/// Nothing comes of a long poll for a while: it is still waiting after a second.
async fn no_task_for_a_second(rt: &Runtime, worker: &str) {
    let poll = tokio::time::timeout(
        Duration::from_secs(1),
        rt.get_activity_task(ACT, Some(worker)),
    );
    assert!(poll.await.is_err(), "{worker} was given a task");
}

on_every_store!(
    activities_are_created_listed_described_deleted,
    activity_round_trip,
    long_poll_waits_for_a_task,
    activity_failure_is_caught,
    missed_heartbeat_times_the_activity_out,
    timeout_seconds_is_absolute_whatever_the_heartbeats,
    bad_tokens_and_outputs_are_refused,
    scheduling_a_missing_activity_fails_catchably,
    task_token_success,
    task_token_failure_is_caught_and_retried_with_a_new_token,
    task_token_times_out,
    task_token_heartbeat_timeout,
    jsonata_token_without_a_handler,
    pending_tasks_survive_a_restart,
);
on_every_store!(real_time: an_activity_deadline_survives_a_restart);

async fn activities_are_created_listed_described_deleted(store: TestStore) {
    let rt = store.runtime().await;
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

async fn activity_round_trip(store: TestStore) {
    let rt = activity_runtime(
        &store,
        json!({"TimeoutSeconds": 300, "HeartbeatSeconds": 60}),
    )
    .await;
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
    no_task_for_a_second(&rt, "w2").await;
}

async fn long_poll_waits_for_a_task(store: TestStore) {
    let rt = activity_runtime(&store, json!({})).await;
    // A poll that starts before the task exists gets it when it is scheduled.
    let poller = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.get_activity_task(ACT, Some("early")).await })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let arn = rt.start("M", json!({"x": 5}), None).await.unwrap();
    let task = poller.await.unwrap().unwrap().expect("a task");
    assert_eq!(task.input_json(), json!({"x": 5}));
    // Nobody else gets it.
    no_task_for_a_second(&rt, "late").await;
    rt.send_task_success_json(&task.task_token, "5")
        .await
        .unwrap();
    assert_eq!(rt.wait(&arn).await.unwrap().output(), Some(json!(5)));
}

/// GetActivityTask's 60 s long poll, timed on the memory store's paused clock (the same runtime
/// code on every store; 60 s of real time per store would buy nothing).
#[tokio::test(start_paused = true)]
async fn an_empty_long_poll_ends_after_60_seconds() {
    let rt = Runtime::in_memory();
    rt.create_activity("work").await.unwrap();
    let t0 = Instant::now();
    assert_eq!(rt.get_activity_task(ACT, Some("w")).await.unwrap(), None);
    assert_eq!(t0.elapsed(), Duration::from_secs(60));
}

async fn activity_failure_is_caught(store: TestStore) {
    let rt = activity_runtime(
        &store,
        json!({
            "Catch": [{"ErrorEquals": ["Oops"], "ResultPath": "$.err", "Next": "Handled"}]
        }),
    )
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

async fn missed_heartbeat_times_the_activity_out(store: TestStore) {
    let rt = activity_runtime(
        &store,
        json!({"HeartbeatSeconds": 3, "TimeoutSeconds": 1000}),
    )
    .await;
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    // Heartbeats keep it alive well past 3 s, and write no events.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
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

async fn timeout_seconds_is_absolute_whatever_the_heartbeats(store: TestStore) {
    let rt = activity_runtime(
        &store,
        json!({
            "HeartbeatSeconds": 2,
            "TimeoutSeconds": 4,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "Handled"}]
        }),
    )
    .await;
    let arn = rt.start("M", json!({"x": 1}), None).await.unwrap();
    let task = rt.get_activity_task(ACT, None).await.unwrap().unwrap();
    let t0 = Instant::now();
    let mut beats = 0;
    while rt.send_task_heartbeat(&task.task_token).await.is_ok() {
        beats += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Alive past one heartbeat window (2 s) by its heartbeats, then timed out all the same.
    assert!(beats >= 5, "{beats} heartbeats");
    assert!(t0.elapsed() >= Duration::from_secs(3), "{:?}", t0.elapsed());
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.status(), ExecutionStatus::Succeeded);
    assert_eq!(d.output().unwrap()["err"]["Error"], "States.Timeout");
    assert!(kinds(&rt, &arn)
        .await
        .contains(&"ActivityTimedOut".to_string()));
}

async fn bad_tokens_and_outputs_are_refused(store: TestStore) {
    let rt = activity_runtime(&store, json!({})).await;
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

async fn scheduling_a_missing_activity_fails_catchably(store: TestStore) {
    let rt = store.runtime().await;
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

/// A runtime with a machine whose `Wait` state sends `$$.Task.Token` with SQS and waits for the
/// callback; the SQS handler hands each message to the returned channel.
async fn callback_runtime(
    store: &TestStore,
    extra: Value,
) -> (Runtime, mpsc::UnboundedReceiver<Value>) {
    callback_runtime_on(store.runtime().await, extra)
}

/// Registers [`callback_runtime`]'s machine on `rt`.
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

async fn task_token_success(store: TestStore) {
    let (rt, mut rx) = callback_runtime(&store, json!({"HeartbeatSeconds": 100})).await;
    let arn = rt.start("CB", json!({"v": 7}), None).await.unwrap();
    let msg = rx.recv().await.unwrap();
    assert_eq!(msg["v"], 7);
    let token = msg["token"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    rt.send_task_heartbeat(&token).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
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

async fn task_token_failure_is_caught_and_retried_with_a_new_token(store: TestStore) {
    let (rt, mut rx) = callback_runtime(
        &store,
        json!({
            "Retry": [{"ErrorEquals": ["Rejected"], "MaxAttempts": 1, "IntervalSeconds": 1}],
            "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Handled"}]
        }),
    )
    .await;
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

async fn task_token_times_out(store: TestStore) {
    let (rt, mut rx) = callback_runtime(&store, json!({"TimeoutSeconds": 2})).await;
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

async fn task_token_heartbeat_timeout(store: TestStore) {
    let (rt, mut rx) = callback_runtime(&store, json!({"HeartbeatSeconds": 2})).await;
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

async fn jsonata_token_without_a_handler(store: TestStore) {
    let rt = store.runtime().await;
    let m = machine(
        json!({"QueryLanguage": "JSONata", "StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Arguments": {"Payload": {"token": "{% $states.context.Task.Token %}"}},
                 "End": true}}}),
    );
    rt.register("J", m, TaskRegistry::new()).unwrap();
    let arn = rt.start("J", json!({}), None).await.unwrap();
    // No handler: the token is only issued; read it back from TaskScheduled.
    wait_for_event(&rt, &arn, "TaskScheduled").await;
    let scheduled = event(&rt, &arn, "TaskScheduled").await;
    let p: Value = serde_json::from_str(
        scheduled["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let token = p["Payload"]["token"].as_str().unwrap().to_string();
    rt.send_task_success_json(&token, r#""ok""#).await.unwrap();
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.output(), Some(json!("ok")));
}

/// Registers the activity machine `M` (with `extra`) and the callback machine `CB` on `rt`.
fn both_machines(rt: Runtime, extra: Value) -> (Runtime, mpsc::UnboundedReceiver<Value>) {
    rt.register("M", activity_machine(extra.clone()), TaskRegistry::new())
        .unwrap();
    callback_runtime_on(rt, extra)
}

async fn pending_tasks_survive_a_restart(store: TestStore) {
    let extra = json!({"TimeoutSeconds": 3600, "HeartbeatSeconds": 1800});
    let (act, cb, token) = {
        let rt = store.runtime().await;
        rt.create_activity("work").await.unwrap();
        let (rt, mut rx) = both_machines(rt, extra.clone());
        let act = rt.start("M", json!({"x": 9}), Some("act")).await.unwrap();
        let cb = rt.start("CB", json!({"v": 8}), Some("cb")).await.unwrap();
        let token = rx.recv().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        // Let both park (their last commits land) before the "crash".
        wait_for_event(&rt, &act, "ActivityScheduled").await;
        wait_for_event(&rt, &cb, "TaskSubmitted").await;
        (act, cb, token)
    };
    // "Restart": a new runtime on the same store.
    let (rt, _rx) = both_machines(store.runtime().await, extra);
    // Answered before the execution is resumed: the answer is stored, then applied.
    rt.send_task_success_json(&token, r#"{"early": true}"#)
        .await
        .unwrap();
    assert_eq!(
        rt.describe(&cb).await.unwrap().status(),
        ExecutionStatus::Running
    );
    let mut resumed = rt.resume().await.unwrap();
    // A shared store's runtime takes them over once the dropped runtime's leases expire.
    if !store.kind().shared() {
        let mut want = vec![act.clone(), cb.clone()];
        want.sort();
        resumed.sort();
        assert_eq!(resumed, want);
    }
    let d = rt.wait(&cb).await.unwrap();
    assert_eq!(d.output(), Some(json!({"early": true})), "{:?}", d.record);
    assert!(matches!(
        rt.send_task_success_json(&token, "{}").await,
        Err(RuntimeError::TaskTimedOut(_))
    ));
    // The activity task is still there to take.
    let task = rt.get_activity_task(ACT, Some("w")).await.unwrap().unwrap();
    assert_eq!(task.input_json(), json!({"x": 9}));
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
}

async fn an_activity_deadline_survives_a_restart(store: TestStore) {
    const TIMEOUT: Duration = Duration::from_secs(8);
    const BEFORE_RESTART: Duration = Duration::from_secs(3);
    let extra = json!({"TimeoutSeconds": TIMEOUT.as_secs()});
    let (arn, scheduled) = {
        let rt = store.runtime().await;
        rt.create_activity("work").await.unwrap();
        rt.register("M", activity_machine(extra.clone()), TaskRegistry::new())
            .unwrap();
        let arn = rt.start("M", json!({"x": 3}), Some("act")).await.unwrap();
        wait_for_event(&rt, &arn, "ActivityScheduled").await;
        let scheduled = Instant::now();
        tokio::time::sleep(BEFORE_RESTART).await;
        (arn, scheduled)
    };
    let rt = store.runtime().await;
    rt.register("M", activity_machine(extra), TaskRegistry::new())
        .unwrap();
    rt.resume().await.unwrap();
    let task = rt.get_activity_task(ACT, Some("w")).await.unwrap().unwrap();
    assert_eq!(task.input_json(), json!({"x": 3}));
    let d = rt.wait(&arn).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("States.Timeout"));
    // TimeoutSeconds counts from the scheduling, not from the restart (that would be 11 s).
    let took = scheduled.elapsed();
    assert!(took >= TIMEOUT - Duration::from_secs(1), "{took:?}");
    assert!(
        took < TIMEOUT + BEFORE_RESTART - Duration::from_millis(500),
        "{took:?}"
    );
}
