//! Every one of the 37 Step Functions operations driven through the official AWS SDK for Rust
//! against `stepfn serve`, with valid and invalid input, asserting the error codes AWS documents.
//! `every_operation` runs the parts and fails when an operation of `Action::ALL` was not called.
#![cfg(all(feature = "server", feature = "aws"))]

mod map_runs;
mod regions;
mod test_state;
mod versions;

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{
    ExecutionStatus, IncludedData, InspectionLevel, MockErrorOutput, MockInput,
    RoutingConfigurationListItem, StateMachineStatus, Tag, TestExecutionStatus,
    TestStateConfiguration,
};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Mutex;
use stepfn::aws::LocalEndpointHostPrefix;
use stepfn::server::protocol::Action;
use stepfn::server::{Server, ServerConfig};
use stepfn::Runtime;

const ROLE: &str = "arn:aws:iam::123456789012:role/test";
const PREFIX: &str = "arn:aws:states:us-east-1:123456789012";

/// The operations a test called, by name.
static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

fn saw(op: &'static str) {
    SEEN.lock().unwrap().insert(op);
}

/// Asserts an error code, recording the operation.
fn fails<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    op: &'static str,
    r: Result<T, E>,
    expected: &str,
) {
    saw(op);
    match r {
        Ok(v) => panic!("{op}: expected {expected}, got {v:?}"),
        Err(e) => assert_eq!(e.code(), Some(expected), "{op}: {e:?}"),
    }
}

/// Unwraps a success, recording the operation.
fn ok<T, E: std::fmt::Debug>(op: &'static str, r: Result<T, E>) -> T {
    saw(op);
    r.unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

struct TestServer {
    client: Client,
    runtime: Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    async fn start() -> Self {
        Self::start_with(ServerConfig::default(), "us-east-1").await
    }

    /// A server with `config` (on any free loopback port), and a client signing for `region`.
    async fn start_with(config: ServerConfig, region: &str) -> Self {
        let server = Server::bind(ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..config
        })
        .await
        .expect("server starts");
        let addr = server.local_addr();
        let runtime = server.runtime().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = server
                .run(async {
                    let _ = rx.await;
                })
                .await;
        });
        let conf = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new(region.to_string()))
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .endpoint_url(format!("http://{addr}"))
            .interceptor(LocalEndpointHostPrefix)
            .build();
        Self {
            client: Client::from_conf(conf),
            runtime,
            stop: Some(tx),
        }
    }

    /// Another client of the same server, signing for `region`.
    fn client_in(&self, region: &str) -> Client {
        let conf = self
            .client
            .config()
            .to_builder()
            .region(aws_sdk_sfn::config::Region::new(region.to_string()))
            .build();
        Client::from_conf(conf)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn pass(result: &str) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}})
        .to_string()
}

async fn create(c: &Client, name: &str, def: &str) -> String {
    ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name(name)
            .definition(def)
            .role_arn(ROLE)
            .send()
            .await,
    )
    .state_machine_arn
}

async fn tags() {
    let s = TestServer::start().await;
    let c = &s.client;
    let sm = ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name("Tagged")
            .definition(pass("a"))
            .role_arn(ROLE)
            .tags(Tag::builder().key("team").value("core").build())
            .send()
            .await,
    )
    .state_machine_arn;
    let tags = ok(
        "ListTagsForResource",
        c.list_tags_for_resource().resource_arn(&sm).send().await,
    );
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].value(), Some("core"));
    ok(
        "TagResource",
        c.tag_resource()
            .resource_arn(&sm)
            .tags(Tag::builder().key("env").value("dev").build())
            .tags(Tag::builder().key("team").value("platform").build())
            .send()
            .await,
    );
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&sm)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(pairs, [("team", "platform"), ("env", "dev")]);
    ok(
        "UntagResource",
        c.untag_resource()
            .resource_arn(&sm)
            .tag_keys("team")
            .send()
            .await,
    );
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&sm)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);

    // Activities are tagged too.
    let act = ok(
        "CreateActivity",
        c.create_activity()
            .name("Worker")
            .tags(Tag::builder().key("k").value("v").build())
            .send()
            .await,
    )
    .activity_arn;
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&act)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);

    // Errors.
    let missing = format!("{PREFIX}:stateMachine:Nope");
    fails(
        "ListTagsForResource",
        c.list_tags_for_resource()
            .resource_arn(&missing)
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "TagResource",
        c.tag_resource()
            .resource_arn("arn:aws:states:us-east-1:123456789012:nope:X")
            .tags(Tag::builder().key("a").value("b").build())
            .send()
            .await,
        "InvalidArn",
    );
    fails(
        "TagResource",
        c.tag_resource()
            .resource_arn(&sm)
            .tags(Tag::builder().key("").value("b").build())
            .send()
            .await,
        "ValidationException",
    );
    let mut many = c.tag_resource().resource_arn(&sm);
    for i in 0..50 {
        many = many.tags(Tag::builder().key(format!("k{i}")).value("v").build());
    }
    fails("TagResource", many.send().await, "TooManyTags");
    fails(
        "UntagResource",
        c.untag_resource()
            .resource_arn(&missing)
            .tag_keys("a")
            .send()
            .await,
        "ResourceNotFound",
    );
    // Another account's or region's ARN is refused the same way by every operation.
    let foreign = sm.replace("123456789012", "210987654321");
    fails(
        "ListTagsForResource",
        c.list_tags_for_resource()
            .resource_arn(&foreign)
            .send()
            .await,
        "InvalidArn",
    );
    let foreign = sm.replace("us-east-1", "eu-west-1");
    fails(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&foreign)
            .send()
            .await,
        "InvalidArn",
    );
    fails(
        "StartExecution",
        c.start_execution().state_machine_arn(&foreign).send().await,
        "InvalidArn",
    );
    fails(
        "DescribeExecution",
        c.describe_execution()
            .execution_arn(format!(
                "{}:execution:Tagged:x",
                foreign.split(":stateMachine:").next().unwrap()
            ))
            .send()
            .await,
        "InvalidArn",
    );
}

async fn included_data_redrive_date_and_deleting() {
    let s = TestServer::start().await;
    let c = &s.client;
    let sm = create(c, "Meta", &pass("secret")).await;
    let d = ok(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&sm)
            .included_data(IncludedData::MetadataOnly)
            .send()
            .await,
    );
    assert_eq!(d.definition(), "");
    let e = ok(
        "StartExecution",
        c.start_execution()
            .state_machine_arn(&sm)
            .input("{\"x\":1}")
            .send()
            .await,
    )
    .execution_arn;
    s.runtime.wait(&e).await.unwrap();
    let d = ok(
        "DescribeExecution",
        c.describe_execution()
            .execution_arn(&e)
            .included_data(IncludedData::MetadataOnly)
            .send()
            .await,
    );
    assert_eq!(d.input(), None);
    assert_eq!(d.output(), None);
    let d = c
        .describe_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(d.input(), Some("{\"x\":1}"));
    // AWS's sentences.
    let r = c
        .start_execution()
        .state_machine_arn(&sm)
        .name(d.name().unwrap())
        .send()
        .await;
    let r2 = c
        .start_execution()
        .state_machine_arn(&sm)
        .name(d.name().unwrap())
        .input("{\"x\":1}")
        .send()
        .await;
    for r in [r.map(|_| ()), r2.map(|_| ())] {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Some("ExecutionAlreadyExists"));
        assert!(
            e.message()
                .unwrap()
                .starts_with("Execution Already Exists: '"),
            "{e:?}"
        );
    }
    saw("StartExecution");
    let e = c
        .describe_execution()
        .execution_arn(format!("{PREFIX}:execution:Meta:nope"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExecutionDoesNotExist"));
    assert!(e
        .message()
        .unwrap()
        .starts_with("Execution Does Not Exist: '"));

    // redriveDate after a redrive.
    let failing = create(
        c,
        "Failing",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}).to_string(),
    )
    .await;
    let e = c
        .start_execution()
        .state_machine_arn(&failing)
        .send()
        .await
        .unwrap()
        .execution_arn;
    s.runtime.wait(&e).await.unwrap();
    let d = c
        .describe_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    assert!(d.redrive_date().is_none());
    let redriven = ok(
        "RedriveExecution",
        c.redrive_execution().execution_arn(&e).send().await,
    );
    s.runtime.wait(&e).await.unwrap();
    let d = c
        .describe_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(d.redrive_date(), Some(&redriven.redrive_date));
    assert_eq!(d.redrive_count(), Some(1));

    // Deleted while an execution runs: DELETING until it ends.
    let waiting = create(
        c,
        "Waiting",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}})
            .to_string(),
    )
    .await;
    let e = c
        .start_execution()
        .state_machine_arn(&waiting)
        .send()
        .await
        .unwrap()
        .execution_arn;
    ok(
        "DeleteStateMachine",
        c.delete_state_machine()
            .state_machine_arn(&waiting)
            .send()
            .await,
    );
    let d = c
        .describe_state_machine()
        .state_machine_arn(&waiting)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), Some(&StateMachineStatus::Deleting));
    fails(
        "StartExecution",
        c.start_execution().state_machine_arn(&waiting).send().await,
        "StateMachineDeleting",
    );
    s.runtime.wait(&e).await.unwrap();
    fails(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&waiting)
            .send()
            .await,
        "StateMachineDoesNotExist",
    );
    let d = c
        .describe_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Succeeded);
}

/// The operations the other files' tests already drive in depth (`server.rs`), called here too,
/// each with a success or one error code AWS documents.
async fn basics() {
    let s = TestServer::start().await;
    let c = &s.client;
    let sm = create(c, "Basics", &pass("p")).await;
    let listed = ok("ListStateMachines", c.list_state_machines().send().await);
    assert_eq!(listed.state_machines().len(), 1);
    let v = ok(
        "ValidateStateMachineDefinition",
        c.validate_state_machine_definition()
            .definition(pass("v"))
            .send()
            .await,
    );
    assert_eq!(v.result().as_str(), "OK");
    let express = ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name("Quick")
            .definition(pass("q"))
            .role_arn(ROLE)
            .r#type(aws_sdk_sfn::types::StateMachineType::Express)
            .send()
            .await,
    )
    .state_machine_arn;
    let r = ok(
        "StartSyncExecution",
        c.start_sync_execution()
            .state_machine_arn(&express)
            .send()
            .await,
    );
    assert_eq!(r.output(), Some("\"q\""));
    fails(
        "StartSyncExecution",
        c.start_sync_execution().state_machine_arn(&sm).send().await,
        "StateMachineTypeNotSupported",
    );
    let e = c
        .start_execution()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .execution_arn;
    s.runtime.wait(&e).await.unwrap();
    let h = ok(
        "GetExecutionHistory",
        c.get_execution_history().execution_arn(&e).send().await,
    );
    assert!(!h.events().is_empty());
    ok(
        "ListExecutions",
        c.list_executions().state_machine_arn(&sm).send().await,
    );
    fails(
        "StopExecution",
        c.stop_execution()
            .execution_arn(format!("{PREFIX}:execution:Basics:nope"))
            .send()
            .await,
        "ExecutionDoesNotExist",
    );
    fails(
        "RedriveExecution",
        c.redrive_execution().execution_arn(&e).send().await,
        "ExecutionNotRedrivable",
    );
    let act = ok("CreateActivity", c.create_activity().name("A").send().await).activity_arn;
    ok(
        "DescribeActivity",
        c.describe_activity().activity_arn(&act).send().await,
    );
    ok("ListActivities", c.list_activities().send().await);
    fails(
        "GetActivityTask",
        c.get_activity_task()
            .activity_arn(format!("{PREFIX}:activity:Nope"))
            .send()
            .await,
        "ActivityDoesNotExist",
    );
    let code = |e: Option<&str>| matches!(e, Some("InvalidToken" | "TaskDoesNotExist"));
    saw("SendTaskSuccess");
    let r = c
        .send_task_success()
        .task_token("bogus")
        .output("{}")
        .send()
        .await;
    assert!(code(r.unwrap_err().code()));
    saw("SendTaskFailure");
    let r = c.send_task_failure().task_token("bogus").send().await;
    assert!(code(r.unwrap_err().code()));
    saw("SendTaskHeartbeat");
    let r = c.send_task_heartbeat().task_token("bogus").send().await;
    assert!(code(r.unwrap_err().code()));
    ok(
        "DeleteActivity",
        c.delete_activity().activity_arn(&act).send().await,
    );
    ok(
        "DeleteStateMachine",
        c.delete_state_machine()
            .state_machine_arn(&express)
            .send()
            .await,
    );
}

/// Every part, then the check that all 37 operations were called (one test: the parts share the
/// record of what was called).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation() {
    tags().await;
    versions::versions_and_aliases().await;
    included_data_redrive_date_and_deleting().await;
    map_runs::map_runs().await;
    test_state::test_state().await;
    basics().await;
    let seen = SEEN.lock().unwrap().clone();
    let missing: Vec<&str> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| !seen.contains(n))
        .collect();
    assert!(missing.is_empty(), "operations not exercised: {missing:?}");
    assert_eq!(Action::ALL.len(), 37);
}
