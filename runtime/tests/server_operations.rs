//! Every one of the 37 Step Functions operations driven through the official AWS SDK for Rust
//! against `stepfn serve`, with valid and invalid input, asserting the error codes AWS documents.
//! `every_operation` runs the parts and fails when an operation of `Action::ALL` was not called.
#![cfg(all(feature = "server", feature = "aws"))]

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
        let server = Server::bind(ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
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
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
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

async fn versions_and_aliases() {
    let s = TestServer::start().await;
    let c = &s.client;
    // publish on create: version 1.
    let created = ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name("Versioned")
            .definition(pass("one"))
            .role_arn(ROLE)
            .publish(true)
            .version_description("first")
            .send()
            .await,
    );
    let sm = created.state_machine_arn.clone();
    let v1 = created.state_machine_version_arn().unwrap().to_string();
    assert_eq!(v1, format!("{sm}:1"));
    // Publishing the same revision again gives the same version.
    let again = ok(
        "PublishStateMachineVersion",
        c.publish_state_machine_version()
            .state_machine_arn(&sm)
            .send()
            .await,
    );
    assert_eq!(again.state_machine_version_arn, v1);
    // A new revision, published by UpdateStateMachine: version 2.
    let updated = ok(
        "UpdateStateMachine",
        c.update_state_machine()
            .state_machine_arn(&sm)
            .definition(pass("two"))
            .publish(true)
            .send()
            .await,
    );
    let v2 = updated.state_machine_version_arn().unwrap().to_string();
    assert_eq!(v2, format!("{sm}:2"));
    fails(
        "UpdateStateMachine",
        c.update_state_machine()
            .state_machine_arn(&sm)
            .definition(pass("x"))
            .version_description("needs publish")
            .send()
            .await,
        "ValidationException",
    );
    let d = ok(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&v1)
            .send()
            .await,
    );
    assert_eq!(d.description(), Some("first"));
    assert!(d.definition().contains("one"));
    assert_eq!(d.state_machine_arn(), v1);
    fails(
        "PublishStateMachineVersion",
        c.publish_state_machine_version()
            .state_machine_arn(&sm)
            .revision_id("not-the-revision")
            .send()
            .await,
        "ConflictException",
    );
    let list = ok(
        "ListStateMachineVersions",
        c.list_state_machine_versions()
            .state_machine_arn(&sm)
            .max_results(1)
            .send()
            .await,
    );
    assert_eq!(
        list.state_machine_versions()[0].state_machine_version_arn(),
        v2
    );
    let next = c
        .list_state_machine_versions()
        .state_machine_arn(&sm)
        .max_results(1)
        .next_token(list.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.state_machine_versions()[0].state_machine_version_arn(),
        v1
    );
    fails(
        "ListStateMachineVersions",
        c.list_state_machine_versions()
            .state_machine_arn(format!("{PREFIX}:stateMachine:Nope"))
            .send()
            .await,
        "StateMachineDoesNotExist",
    );

    // Executions of a version: named after the state machine, run the version's definition.
    let e1 = ok(
        "StartExecution",
        c.start_execution()
            .state_machine_arn(&v1)
            .name("on-v1")
            .send()
            .await,
    )
    .execution_arn;
    assert_eq!(e1, format!("{PREFIX}:execution:Versioned:on-v1"));
    let d = s.runtime.wait(&e1).await.unwrap();
    assert_eq!(d.output(), Some(json!("one")));
    let d = c
        .describe_execution()
        .execution_arn(&e1)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(d.state_machine_arn(), sm);
    let for_exec = ok(
        "DescribeStateMachineForExecution",
        c.describe_state_machine_for_execution()
            .execution_arn(&e1)
            .send()
            .await,
    );
    assert!(for_exec.definition().contains("one"));
    assert_eq!(for_exec.state_machine_arn(), v1);
    fails(
        "DescribeStateMachineForExecution",
        c.describe_state_machine_for_execution()
            .execution_arn(format!("{PREFIX}:execution:Versioned:nope"))
            .send()
            .await,
        "ExecutionDoesNotExist",
    );
    fails(
        "StartExecution",
        c.start_execution()
            .state_machine_arn(format!("{sm}:9"))
            .send()
            .await,
        "ResourceNotFound",
    );

    // Aliases: weights pick the version.
    let route = |v: &str, w: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(v)
            .weight(w)
            .build()
            .unwrap()
    };
    let alias = ok(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("prod")
            .description("all on one")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
    )
    .state_machine_alias_arn;
    assert_eq!(alias, format!("{sm}:prod"));
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("prod")
            .routing_configuration(route(&v2, 100))
            .send()
            .await,
        "ConflictException",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("half")
            .routing_configuration(route(&v1, 50))
            .routing_configuration(route(&v2, 40))
            .send()
            .await,
        "ValidationException",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("ghost")
            .routing_configuration(route(&format!("{sm}:77"), 100))
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("42")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
        "ValidationException",
    );
    let d = ok(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
    );
    assert_eq!(d.description(), Some("all on one"));
    assert_eq!(d.routing_configuration().len(), 1);
    fails(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(format!("{sm}:nope"))
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(&v1)
            .send()
            .await,
        "InvalidArn",
    );
    let e = c
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    let d = s.runtime.wait(&e.execution_arn).await.unwrap();
    assert_eq!(d.output(), Some(json!("one")));
    let d = c
        .describe_execution()
        .execution_arn(&e.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state_machine_alias_arn(), Some(alias.as_str()));

    // 0/100 routes everything to v2, then 50/50 reaches both.
    ok(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .routing_configuration(route(&v1, 0))
            .routing_configuration(route(&v2, 100))
            .send()
            .await,
    );
    for _ in 0..5 {
        let e = c
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let d = s.runtime.wait(&e.execution_arn).await.unwrap();
        assert_eq!(d.output(), Some(json!("two")));
    }
    c.update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(route(&v1, 50))
        .routing_configuration(route(&v2, 50))
        .send()
        .await
        .unwrap();
    let mut outputs = BTreeSet::new();
    for _ in 0..40 {
        let e = c
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let d = s.runtime.wait(&e.execution_arn).await.unwrap();
        outputs.insert(d.output().unwrap().to_string());
    }
    assert_eq!(outputs.len(), 2, "both versions are picked: {outputs:?}");
    fails(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
        "ValidationException",
    );
    fails(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(format!("{sm}:nope"))
            .description("d")
            .send()
            .await,
        "ResourceNotFound",
    );
    let aliases = ok(
        "ListStateMachineAliases",
        c.list_state_machine_aliases()
            .state_machine_arn(&sm)
            .send()
            .await,
    );
    assert_eq!(aliases.state_machine_aliases().len(), 1);
    let by_version = c
        .list_state_machine_aliases()
        .state_machine_arn(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(by_version.state_machine_aliases().len(), 1);
    fails(
        "ListStateMachineAliases",
        c.list_state_machine_aliases()
            .state_machine_arn(&alias)
            .send()
            .await,
        "InvalidArn",
    );
    let listed = c
        .list_executions()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 46);
    let listed = c
        .list_executions()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert!(listed.executions().len() >= 2);

    // A version an alias routes to cannot be deleted.
    fails(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&v1)
            .send()
            .await,
        "ConflictException",
    );
    fails(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&sm)
            .send()
            .await,
        "InvalidArn",
    );
    ok(
        "DeleteStateMachineAlias",
        c.delete_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
    );
    fails(
        "DeleteStateMachineAlias",
        c.delete_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
        "ResourceNotFound",
    );
    ok(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&v1)
            .send()
            .await,
    );
    fails(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&v1)
            .send()
            .await,
        "ResourceNotFound",
    );
    // Numbers are never reused.
    c.update_state_machine()
        .state_machine_arn(&sm)
        .definition(pass("three"))
        .send()
        .await
        .unwrap();
    let v3 = c
        .publish_state_machine_version()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn;
    assert_eq!(v3, format!("{sm}:3"));
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

async fn map_runs() {
    let s = TestServer::start().await;
    let c = &s.client;
    let def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 4, "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let sm = create(c, "Mapper", &def.to_string()).await;
    let e = c
        .start_execution()
        .state_machine_arn(&sm)
        .input("[1,2,3,4,5]")
        .send()
        .await
        .unwrap()
        .execution_arn;
    s.runtime.wait(&e).await.unwrap();
    let runs = ok(
        "ListMapRuns",
        c.list_map_runs().execution_arn(&e).send().await,
    );
    assert_eq!(runs.map_runs().len(), 1);
    let run = runs.map_runs()[0].map_run_arn().to_string();
    assert!(run.contains(":mapRun:Mapper:"), "{run}");
    let d = ok(
        "DescribeMapRun",
        c.describe_map_run().map_run_arn(&run).send().await,
    );
    assert_eq!(d.status(), &aws_sdk_sfn::types::MapRunStatus::Succeeded);
    assert_eq!(d.max_concurrency(), 4);
    assert_eq!(d.tolerated_failure_count(), 1);
    let counts = d.item_counts().unwrap();
    assert_eq!((counts.total(), counts.succeeded()), (5, 5));
    ok(
        "UpdateMapRun",
        c.update_map_run()
            .map_run_arn(&run)
            .max_concurrency(2)
            .send()
            .await,
    );
    let d = c.describe_map_run().map_run_arn(&run).send().await.unwrap();
    assert_eq!(d.max_concurrency(), 2);
    fails(
        "UpdateMapRun",
        c.update_map_run().map_run_arn(&run).send().await,
        "ValidationException",
    );
    let missing = format!("{}/00000000", run.rsplit_once('/').unwrap().0);
    fails(
        "DescribeMapRun",
        c.describe_map_run().map_run_arn(&missing).send().await,
        "ResourceNotFound",
    );
    fails(
        "UpdateMapRun",
        c.update_map_run()
            .map_run_arn(&missing)
            .max_concurrency(1)
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "DescribeMapRun",
        c.describe_map_run().map_run_arn(&sm).send().await,
        "InvalidArn",
    );
    fails(
        "ListMapRuns",
        c.list_map_runs()
            .execution_arn(format!("{PREFIX}:execution:Mapper:nope"))
            .send()
            .await,
        "ExecutionDoesNotExist",
    );
    fails(
        "ListMapRuns",
        c.list_map_runs().execution_arn(&sm).send().await,
        "InvalidArn",
    );
    let children = ok(
        "ListExecutions",
        c.list_executions().map_run_arn(&run).send().await,
    );
    assert!(children.executions().is_empty());
}

async fn test_state() {
    let s = TestServer::start().await;
    let c = &s.client;
    // A Pass state alone: output and next state.
    let r = ok(
        "TestState",
        c.test_state()
            .definition(json!({"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, 1)"}, "Next": "After"}).to_string())
            .input("{\"a\": 41}")
            .send()
            .await,
    );
    assert_eq!(r.status(), Some(&TestExecutionStatus::Succeeded));
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"sum": 42})
    );
    assert_eq!(r.next_state(), Some("After"));
    assert!(r.inspection_data().is_none());
    // A Choice state picked from a whole definition.
    let def = json!({"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}});
    let r = c
        .test_state()
        .definition(def.to_string())
        .state_name("Pick")
        .input("{\"n\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.next_state(), Some("Small"));
    // A Task with a mocked result, at DEBUG: the data after Parameters and the result.
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
        "Next": "Done"});
    let r = c
        .test_state()
        .definition(task.to_string())
        .input("{\"k\": 1}")
        .inspection_level(InspectionLevel::Debug)
        .mock(
            MockInput::builder()
                .result("{\"Payload\": {\"ok\": true}}")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::Succeeded));
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"body": {"ok": true}})
    );
    assert_eq!(r.next_state(), Some("Done"));
    let data = r.inspection_data().unwrap();
    assert_eq!(data.input(), Some("{\"k\":1}"));
    let params: Value = serde_json::from_str(data.after_parameters().unwrap()).unwrap();
    assert_eq!(params, json!({"FunctionName": "f", "Payload": {"k": 1}}));
    assert!(data.result().unwrap().contains("\"ok\":true"));
    // A mocked error a retrier matches: RETRIABLE, with the retrier and its backoff.
    let flaky = |count: i32| {
        c.test_state()
            .definition(task.to_string())
            .inspection_level(InspectionLevel::Debug)
            .mock(
                MockInput::builder()
                    .error_output(
                        MockErrorOutput::builder()
                            .error("Flaky")
                            .cause("try again")
                            .build(),
                    )
                    .build(),
            )
            .state_configuration(
                TestStateConfiguration::builder()
                    .retrier_retry_count(count)
                    .build(),
            )
            .send()
    };
    let r = flaky(0).await.unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::Retriable));
    assert_eq!(r.error(), Some("Flaky"));
    let details = r.inspection_data().unwrap().error_details().unwrap();
    assert_eq!(
        (
            details.retry_index(),
            details.retry_backoff_interval_seconds()
        ),
        (Some(0), Some(3))
    );
    // Retries used up: the Catch takes it.
    let r = flaky(2).await.unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::CaughtError));
    assert_eq!(r.next_state(), Some("Recover"));
    assert_eq!(r.error(), Some("Flaky"));
    // A Fail state.
    let r = c
        .test_state()
        .definition(json!({"Type": "Fail", "Error": "Nope", "Cause": "because"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status(), r.error(), r.cause()),
        (
            Some(&TestExecutionStatus::Failed),
            Some("Nope"),
            Some("because")
        )
    );
    // Variables are assigned first.
    let r = c
        .test_state()
        .definition(
            json!({"Type": "Pass", "Parameters": {"v.$": "$greeting"}, "End": true}).to_string(),
        )
        .variables("{\"greeting\": \"hi\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"v": "hi"})
    );
    // Invalid input.
    fails(
        "TestState",
        c.test_state()
            .definition("{\"Type\": \"Nope\"}")
            .send()
            .await,
        "InvalidDefinition",
    );
    fails(
        "TestState",
        c.test_state().definition("not json").send().await,
        "InvalidDefinition",
    );
    fails(
        "TestState",
        c.test_state()
            .definition(json!({"Type": "Pass", "End": true}).to_string())
            .input("{")
            .send()
            .await,
        "InvalidExecutionInput",
    );
    fails(
        "TestState",
        c.test_state()
            .definition(def.to_string())
            .state_name("Missing")
            .send()
            .await,
        "ValidationException",
    );
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
    versions_and_aliases().await;
    included_data_redrive_date_and_deleting().await;
    map_runs().await;
    test_state().await;
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
