//! `stepfn serve` driven by the official AWS SDK for Rust: every action, its errors, activity
//! workers (by hand and with `stepfn::aws`), task tokens, redrive, mocks and signatures.
#![cfg(all(feature = "server", feature = "aws"))]

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{
    ExecutionStatus, HistoryEventType, StateMachineType, SyncExecutionStatus,
};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use std::net::SocketAddr;
use stepfn::aws::{ActivityWorker, LocalEndpointHostPrefix};
use stepfn::server::{Credentials, Server, ServerConfig};
use stepfn::{Runtime, TaskError};

const ROLE: &str = "arn:aws:iam::123456789012:role/test";

struct TestServer {
    addr: SocketAddr,
    runtime: Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    async fn start(config: ServerConfig) -> Self {
        let server = Server::bind(ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..config
        })
        .await
        .expect("server starts");
        let addr = server.local_addr();
        let runtime = server.runtime().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Self {
            addr,
            runtime,
            stop: Some(tx),
            task: Some(task),
        }
    }

    async fn plain() -> Self {
        Self::start(ServerConfig::default()).await
    }

    fn client(&self) -> Client {
        client_with(self.addr, "AKIDTEST", "test-secret")
    }

    async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

fn client_with(addr: SocketAddr, akid: &str, secret: &str) -> Client {
    let conf = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            akid, secret, None, None, "test",
        ))
        .endpoint_url(format!("http://{addr}"))
        .interceptor(LocalEndpointHostPrefix)
        .build();
    Client::from_conf(conf)
}

/// The AWS error code of a failed call.
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code().unwrap_or("<no code>").to_string(),
    }
}

async fn create(c: &Client, name: &str, def: Value, kind: StateMachineType) -> String {
    c.create_state_machine()
        .name(name)
        .definition(def.to_string())
        .role_arn(ROLE)
        .r#type(kind)
        .send()
        .await
        .expect("create state machine")
        .state_machine_arn
}

fn pass_machine() -> Value {
    json!({
        "StartAt": "Hello",
        "States": {
            "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
}

fn activity_machine(activity_arn: &str) -> Value {
    json!({
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": activity_arn, "HeartbeatSeconds": 60, "End": true}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_machine_actions() {
    let s = TestServer::plain().await;
    let c = s.client();
    let arn = create(&c, "Greeter", pass_machine(), StateMachineType::Standard).await;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:Greeter"
    );
    // Same name, same definition: the existing machine.
    assert_eq!(
        create(&c, "Greeter", pass_machine(), StateMachineType::Standard).await,
        arn
    );
    let other = json!({"StartAt": "X", "States": {"X": {"Type": "Succeed"}}});
    let r = c
        .create_state_machine()
        .name("Greeter")
        .definition(other.to_string())
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "StateMachineAlreadyExists");
    let r = c
        .create_state_machine()
        .name("Bad")
        .definition(r#"{"StartAt": "Nope", "States": {"X": {"Type": "Succeed"}}}"#)
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "InvalidDefinition");
    let r = c
        .create_state_machine()
        .name("Bad")
        .definition("not json")
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "InvalidDefinition");
    let r = c
        .create_state_machine()
        .name("has space")
        .definition(other.to_string())
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "InvalidName");
    let r = c
        .create_state_machine()
        .name("Ok")
        .definition(other.to_string())
        .role_arn("not-an-arn")
        .send()
        .await;
    assert_eq!(code(r), "InvalidArn");

    let d = c
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), "Greeter");
    assert_eq!(d.role_arn(), ROLE);
    assert_eq!(d.r#type(), &StateMachineType::Standard);
    assert_eq!(
        serde_json::from_str::<Value>(d.definition()).unwrap(),
        pass_machine()
    );
    assert!(d.creation_date().secs() > 1_600_000_000);
    let rev = d.revision_id().unwrap().to_string();

    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:Missing";
    let r = c
        .describe_state_machine()
        .state_machine_arn(missing)
        .send()
        .await;
    assert_eq!(code(r), "StateMachineDoesNotExist");
    let r = c
        .describe_state_machine()
        .state_machine_arn("nope")
        .send()
        .await;
    assert_eq!(code(r), "InvalidArn");

    let u = c
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(other.to_string())
        .send()
        .await
        .unwrap();
    assert_ne!(u.revision_id(), Some(rev.as_str()));
    let d = c
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(d.definition()).unwrap(),
        other
    );
    let r = c
        .update_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await;
    assert_eq!(code(r), "MissingRequiredParameter");
    let r = c
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition("{}")
        .send()
        .await;
    assert_eq!(code(r), "InvalidDefinition");
    let r = c
        .update_state_machine()
        .state_machine_arn(missing)
        .definition(other.to_string())
        .send()
        .await;
    assert_eq!(code(r), "StateMachineDoesNotExist");

    for i in 0..3 {
        create(
            &c,
            &format!("M{i}"),
            other.clone(),
            StateMachineType::Express,
        )
        .await;
    }
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_state_machines()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.state_machines().len() <= 2);
        names.extend(page.state_machines().iter().map(|m| m.name().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["Greeter", "M0", "M1", "M2"]);
    let r = c.list_state_machines().next_token("garbage").send().await;
    assert_eq!(code(r), "InvalidToken");
    let r = c.list_state_machines().max_results(5000).send().await;
    assert_eq!(code(r), "ValidationException");

    c.delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let r = c
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await;
    assert_eq!(code(r), "StateMachineDoesNotExist");
    let r = c.start_execution().state_machine_arn(&arn).send().await;
    assert_eq!(code(r), "StateMachineDoesNotExist");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_definition() {
    let s = TestServer::plain().await;
    let c = s.client();
    let ok = c
        .validate_state_machine_definition()
        .definition(pass_machine().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.result().as_str(), "OK");
    assert!(ok.diagnostics().is_empty());
    let bad = c
        .validate_state_machine_definition()
        .definition(r#"{"StartAt": "Nope", "States": {"X": {"Type": "Succeed"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.result().as_str(), "FAIL");
    assert!(!bad.diagnostics().is_empty());
    assert!(bad.diagnostics()[0].message().contains("Nope"), "{bad:?}");
    let r = c.validate_state_machine_definition().send().await;
    assert_eq!(code(r), "ValidationException");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_actions() {
    let s = TestServer::plain().await;
    let c = s.client();
    let sm = create(&c, "Greeter", pass_machine(), StateMachineType::Standard).await;
    let started = c
        .start_execution()
        .state_machine_arn(&sm)
        .name("first")
        .input(r#"{"who": "world"}"#)
        .send()
        .await
        .unwrap();
    let arn = started.execution_arn().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:execution:Greeter:first"
    );
    assert!(started.start_date().secs() > 1_600_000_000);
    s.runtime.wait(&arn).await.unwrap();

    // Idempotent by name and input; another input is a conflict.
    let again = c
        .start_execution()
        .state_machine_arn(&sm)
        .name("first")
        .input(r#"{"who": "world"}"#)
        .send()
        .await;
    match again {
        Ok(o) => assert_eq!(o.execution_arn(), arn),
        Err(e) => assert_eq!(e.code(), Some("ExecutionAlreadyExists")),
    }
    let r = c
        .start_execution()
        .state_machine_arn(&sm)
        .name("first")
        .input(r#"{"who": "else"}"#)
        .send()
        .await;
    assert_eq!(code(r), "ExecutionAlreadyExists");
    let r = c
        .start_execution()
        .state_machine_arn(&sm)
        .input("{not json")
        .send()
        .await;
    assert_eq!(code(r), "InvalidExecutionInput");
    let r = c
        .start_execution()
        .state_machine_arn(&sm)
        .name("bad/name")
        .send()
        .await;
    assert_eq!(code(r), "InvalidName");
    let r = c
        .start_execution()
        .state_machine_arn("arn:nope")
        .send()
        .await;
    assert_eq!(code(r), "InvalidArn");

    let d = c
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Succeeded);
    assert_eq!(d.name(), Some("first"));
    assert_eq!(d.state_machine_arn(), sm);
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({"greeting": "hello world"})
    );
    assert!(d.stop_date().is_some());
    assert_eq!(
        d.redrive_status().map(|r| r.as_str()),
        Some("NOT_REDRIVABLE")
    );
    let missing = "arn:aws:states:us-east-1:123456789012:execution:Greeter:missing";
    let r = c.describe_execution().execution_arn(missing).send().await;
    assert_eq!(code(r), "ExecutionDoesNotExist");
    let r = c
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Greeter")
        .send()
        .await;
    assert_eq!(code(r), "InvalidArn");

    for i in 0..4 {
        let a = c
            .start_execution()
            .state_machine_arn(&sm)
            .name(format!("run-{i}"))
            .input(json!({"who": i}).to_string())
            .send()
            .await
            .unwrap();
        s.runtime.wait(a.execution_arn()).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_executions()
            .state_machine_arn(&sm)
            .status_filter(ExecutionStatus::Succeeded)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.executions().iter().map(|e| e.name().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["first", "run-0", "run-1", "run-2", "run-3"]);
    let running = c
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert!(running.executions().is_empty());
    let r = c
        .list_executions()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Missing")
        .send()
        .await;
    assert_eq!(code(r), "StateMachineDoesNotExist");

    // History: whole, paged, reversed, without data.
    let h = c
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let kinds: Vec<&HistoryEventType> = h.events().iter().map(|e| e.r#type()).collect();
    assert_eq!(
        kinds,
        [
            &HistoryEventType::ExecutionStarted,
            &HistoryEventType::PassStateEntered,
            &HistoryEventType::PassStateExited,
            &HistoryEventType::SucceedStateEntered,
            &HistoryEventType::SucceedStateExited,
            &HistoryEventType::ExecutionSucceeded,
        ]
    );
    assert_eq!(h.events()[0].id(), 1);
    assert!(h.events()[0].timestamp().secs() > 1_600_000_000);
    let started = h.events()[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), Some(r#"{"who":"world"}"#));
    let entered = h.events()[1].state_entered_event_details().unwrap();
    assert_eq!(entered.name(), "Hello");
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .get_execution_history()
            .execution_arn(&arn)
            .max_results(4)
            .reverse_order(true)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        ids.extend(page.events().iter().map(|e| e.id()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(ids, [6, 5, 4, 3, 2, 1]);
    let lean = c
        .get_execution_history()
        .execution_arn(&arn)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        lean.events()[0]
            .execution_started_event_details()
            .unwrap()
            .input(),
        None
    );
    let r = c
        .get_execution_history()
        .execution_arn(&arn)
        .next_token("garbage")
        .send()
        .await;
    assert_eq!(code(r), "InvalidToken");
    let r = c
        .get_execution_history()
        .execution_arn(missing)
        .send()
        .await;
    assert_eq!(code(r), "ExecutionDoesNotExist");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_execution() {
    let s = TestServer::plain().await;
    let c = s.client();
    let sm = create(
        &c,
        "Sleepy",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let arn = c
        .start_execution()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let stopped = c
        .stop_execution()
        .execution_arn(&arn)
        .error("Operator.Stop")
        .cause("enough")
        .send()
        .await
        .unwrap();
    assert!(stopped.stop_date().secs() > 1_600_000_000);
    let d = c
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Aborted);
    assert_eq!(d.error(), Some("Operator.Stop"));
    assert_eq!(d.cause(), Some("enough"));
    let h = c
        .get_execution_history()
        .execution_arn(&arn)
        .reverse_order(true)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(h.events()[0].r#type(), &HistoryEventType::ExecutionAborted);
    let r = c
        .stop_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Sleepy:missing")
        .send()
        .await;
    assert_eq!(code(r), "ExecutionDoesNotExist");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_sync_executions() {
    let s = TestServer::plain().await;
    let c = s.client();
    let sm = create(&c, "Quick", pass_machine(), StateMachineType::Express).await;
    let out = c
        .start_sync_execution()
        .state_machine_arn(&sm)
        .name("sync-1")
        .input(r#"{"who": "express"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), &SyncExecutionStatus::Succeeded);
    assert!(out.execution_arn().contains(":express:Quick:sync-1:"));
    assert_eq!(
        serde_json::from_str::<Value>(out.output().unwrap()).unwrap(),
        json!({"greeting": "hello express"})
    );
    let failing = create(
        &c,
        "Failing",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}),
        StateMachineType::Express,
    )
    .await;
    let out = c
        .start_sync_execution()
        .state_machine_arn(&failing)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), &SyncExecutionStatus::Failed);
    assert_eq!(out.error(), Some("Nope"));
    assert_eq!(out.cause(), Some("because"));
    // An asynchronous Express start answers with an express ARN.
    let a = c
        .start_execution()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap();
    assert!(a.execution_arn().contains(":express:Quick:"));
    let r = c.list_executions().state_machine_arn(&sm).send().await;
    assert_eq!(code(r), "StateMachineTypeNotSupported");
    let std = create(&c, "Slow", pass_machine(), StateMachineType::Standard).await;
    let r = c
        .start_sync_execution()
        .state_machine_arn(&std)
        .send()
        .await;
    assert_eq!(code(r), "StateMachineTypeNotSupported");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_actions_and_worker_round_trip() {
    let s = TestServer::plain().await;
    let c = s.client();
    let a = c.create_activity().name("Greet").send().await.unwrap();
    let act = a.activity_arn().to_string();
    assert_eq!(act, "arn:aws:states:us-east-1:123456789012:activity:Greet");
    assert_eq!(
        c.create_activity()
            .name("Greet")
            .send()
            .await
            .unwrap()
            .activity_arn(),
        act
    );
    let d = c
        .describe_activity()
        .activity_arn(&act)
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), "Greet");
    for n in ["B", "C"] {
        c.create_activity().name(n).send().await.unwrap();
    }
    let page = c.list_activities().max_results(2).send().await.unwrap();
    assert_eq!(page.activities().len(), 2);
    let rest = c
        .list_activities()
        .max_results(2)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.activities().len(), 1);
    assert!(rest.next_token().is_none());
    let r = c.create_activity().name("bad name").send().await;
    assert_eq!(code(r), "InvalidName");
    let r = c
        .describe_activity()
        .activity_arn("arn:aws:states:us-east-1:123456789012:activity:Nope")
        .send()
        .await;
    assert_eq!(code(r), "ActivityDoesNotExist");
    let r = c.describe_activity().activity_arn("garbage").send().await;
    assert_eq!(code(r), "InvalidArn");
    let r = c
        .get_activity_task()
        .activity_arn("arn:aws:states:us-east-1:123456789012:activity:Nope")
        .send()
        .await;
    assert_eq!(code(r), "ActivityDoesNotExist");
    let c_arn = "arn:aws:states:us-east-1:123456789012:activity:C";
    c.delete_activity()
        .activity_arn(c_arn)
        .send()
        .await
        .unwrap();
    let r = c.describe_activity().activity_arn(c_arn).send().await;
    assert_eq!(code(r), "ActivityDoesNotExist");

    // A worker by hand: take the task, heartbeat, answer.
    let sm = create(
        &c,
        "WithActivity",
        activity_machine(&act),
        StateMachineType::Standard,
    )
    .await;
    let exec = c
        .start_execution()
        .state_machine_arn(&sm)
        .input(r#"{"who": "worker"}"#)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let task = c
        .get_activity_task()
        .activity_arn(&act)
        .worker_name("by-hand")
        .send()
        .await
        .unwrap();
    let token = task.task_token().expect("a task").to_string();
    assert_eq!(
        serde_json::from_str::<Value>(task.input().unwrap()).unwrap(),
        json!({"who": "worker"})
    );
    c.send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    c.send_task_success()
        .task_token(&token)
        .output(r#"{"done": true}"#)
        .send()
        .await
        .unwrap();
    let d = s.runtime.wait(&exec).await.unwrap();
    assert_eq!(d.output(), Some(json!({"done": true})));
    let r = c
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await;
    assert_eq!(code(r), "TaskTimedOut");
    let r = c
        .send_task_success()
        .task_token("not-a-token")
        .output("{}")
        .send()
        .await;
    assert_eq!(code(r), "InvalidToken");
    let r = c.send_task_failure().task_token("not-a-token").send().await;
    assert_eq!(code(r), "InvalidToken");
    let r = c
        .send_task_heartbeat()
        .task_token("not-a-token")
        .send()
        .await;
    assert_eq!(code(r), "InvalidToken");

    // The same with stepfn::aws::ActivityWorker, a typed handler, success then failure.
    let worker = ActivityWorker::typed(c.clone(), &act, |v: Value| async move {
        match v["who"].as_str() {
            Some("bad") => Err(TaskError::new("Greeting.Refused", "not to them")),
            Some("slow") => {
                // Long enough for a few heartbeats to be sent.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Ok(json!({"greeting": "finally"}))
            }
            Some(w) => Ok(json!({"greeting": format!("hello {w}")})),
            None => Err(TaskError::new("Greeting.NoOne", "nobody")),
        }
    })
    .heartbeat_interval(std::time::Duration::from_millis(50))
    .spawn();
    let ok = c
        .start_execution()
        .state_machine_arn(&sm)
        .input(r#"{"who": "sdk"}"#)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let d = s.runtime.wait(&ok).await.unwrap();
    assert_eq!(d.output(), Some(json!({"greeting": "hello sdk"})));
    let bad = c
        .start_execution()
        .state_machine_arn(&sm)
        .input(r#"{"who": "bad"}"#)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let d = s.runtime.wait(&bad).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("Greeting.Refused"));
    let slow = c
        .start_execution()
        .state_machine_arn(&sm)
        .input(r#"{"who": "slow"}"#)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let d = s.runtime.wait(&slow).await.unwrap();
    assert_eq!(d.output(), Some(json!({"greeting": "finally"})));
    assert_eq!(worker.stop().await, 3);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_token_round_trip_and_redrive() {
    let s = TestServer::plain().await;
    let c = s.client();
    let sm = create(
        &c,
        "Callback",
        json!({
            "StartAt": "Ask",
            "States": {"Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": true
            }}
        }),
        StateMachineType::Standard,
    )
    .await;
    let token_of =
        |h: &aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput| {
            h.events().iter().rev().find_map(|e| {
                let p = e.task_scheduled_event_details()?.parameters();
                let v: Value = serde_json::from_str(p).ok()?;
                v["MessageBody"]["token"].as_str().map(str::to_string)
            })
        };
    let exec = c
        .start_execution()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    // The token is issued once the task is scheduled.
    let mut token = None;
    for _ in 0..10_000 {
        let h = c
            .get_execution_history()
            .execution_arn(&exec)
            .send()
            .await
            .unwrap();
        token = token_of(&h);
        if token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let token = token.expect("a task token in TaskScheduled");
    c.send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    c.send_task_failure()
        .task_token(&token)
        .error("Callback.Failed")
        .cause("first try")
        .send()
        .await
        .unwrap();
    let d = s.runtime.wait(&exec).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("Callback.Failed"));
    let described = c
        .describe_execution()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.redrive_status().map(|r| r.as_str()),
        Some("REDRIVABLE")
    );

    // Redrive: the failed task runs again with a new token; this time it succeeds.
    let r = c
        .redrive_execution()
        .execution_arn(&exec)
        .client_token("once")
        .send()
        .await
        .unwrap();
    assert!(r.redrive_date().secs() > 1_600_000_000);
    let again = c
        .redrive_execution()
        .execution_arn(&exec)
        .client_token("once")
        .send()
        .await
        .unwrap();
    assert_eq!(again.redrive_date(), r.redrive_date());
    let mut second = None;
    for _ in 0..10_000 {
        let h = c
            .get_execution_history()
            .execution_arn(&exec)
            .send()
            .await
            .unwrap();
        second = token_of(&h).filter(|t| *t != token);
        if second.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let second = second.expect("a new token after the redrive");
    c.send_task_success()
        .task_token(&second)
        .output(r#"{"answered": 2}"#)
        .send()
        .await
        .unwrap();
    let d = s.runtime.wait(&exec).await.unwrap();
    assert_eq!(d.output(), Some(json!({"answered": 2})));
    assert_eq!(d.record.redrive_count, 1);
    let r = c.redrive_execution().execution_arn(&exec).send().await;
    assert_eq!(code(r), "ExecutionNotRedrivable");
    let r = c
        .redrive_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Callback:missing")
        .send()
        .await;
    assert_eq!(code(r), "ExecutionDoesNotExist");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocked_service_integrations() {
    let mocks = json!({
        "StateMachines": {"Orders": {"TestCases": {
            "HappyPath": {"Charge": "ChargeOk"},
            "Declined": {"Charge": "ChargeDeclined"}
        }}},
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}},
            "ChargeDeclined": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "card"}}}
        }
    });
    let s = TestServer::start(ServerConfig {
        mock_config: Some(mocks),
        ..ServerConfig::default()
    })
    .await;
    let c = s.client();
    let sm = create(
        &c,
        "Orders",
        json!({"StartAt": "Charge", "States": {"Charge": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "OutputPath": "$.Payload", "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let happy = c
        .start_execution()
        .state_machine_arn(format!("{sm}#HappyPath"))
        .name("happy")
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    // Named as Step Functions Local names it: after the state machine, not the test case.
    assert_eq!(
        happy,
        "arn:aws:states:us-east-1:123456789012:execution:Orders:happy"
    );
    let d = s.runtime.wait(&happy).await.unwrap();
    assert_eq!(d.output(), Some(json!({"charged": true})));
    let declined = c
        .start_execution()
        .state_machine_arn(format!("{sm}#Declined"))
        .send()
        .await
        .unwrap()
        .execution_arn
        .clone();
    let d = s.runtime.wait(&declined).await.unwrap();
    assert_eq!(d.record.error.as_deref(), Some("Payment.Declined"));
    let listed = c
        .list_executions()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 2);
    let r = c
        .start_execution()
        .state_machine_arn(format!("{sm}#NoSuchCase"))
        .send()
        .await;
    assert_eq!(code(r), "ValidationException");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_when_credentials_are_given() {
    let s = TestServer::start(ServerConfig {
        credentials: Some(Credentials {
            access_key_id: "AKIDSERVER".into(),
            secret_access_key: "server-secret".into(),
        }),
        ..ServerConfig::default()
    })
    .await;
    let good = client_with(s.addr, "AKIDSERVER", "server-secret");
    good.list_state_machines().send().await.unwrap();
    let r = client_with(s.addr, "AKIDSERVER", "wrong")
        .list_state_machines()
        .send()
        .await;
    assert_eq!(code(r), "InvalidSignatureException");
    let r = client_with(s.addr, "AKIDOTHER", "server-secret")
        .list_state_machines()
        .send()
        .await;
    assert_eq!(code(r), "UnrecognizedClientException");
    s.shutdown().await;

    // Beyond loopback without credentials: refused before binding anything.
    let r = Server::bind(ServerConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::default()
    })
    .await;
    assert!(matches!(
        r,
        Err(stepfn::server::ServerError::Unauthenticated(_))
    ));
}
