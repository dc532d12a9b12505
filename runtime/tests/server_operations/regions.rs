//! ARNs in the client's region (or `--region`/`--account`), refused in any other, and
//! `ExecutionStarted.roleArn` from the state machine.

use super::*;
use aws_sdk_sfn::types::HistoryEvent;

/// A machine whose output is its context object's ARNs, and whose history names a region (a
/// Task state on an activity).
fn context_definition(activity_arn: &str) -> String {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 1, "Next": "P",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P"}]},
        "P": {"Type": "Pass", "Parameters": {
            "execution.$": "$$.Execution.Id", "machine.$": "$$.StateMachine.Id",
            "role.$": "$$.Execution.RoleArn"}, "End": true}}})
    .to_string()
}

async fn finished(
    c: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..200 {
        let d = c
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if d.status != ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{arn} did not finish");
}

/// Every operation taking an ARN, given `arn` of another region or account: refused alike.
async fn refused_everywhere(c: &Client, machine: &str, execution: &str, activity: &str) {
    let invalid = "InvalidArn";
    let m = machine;
    fails(
        "DescribeStateMachine",
        c.describe_state_machine().state_machine_arn(m).send().await,
        invalid,
    );
    fails(
        "StartExecution",
        c.start_execution().state_machine_arn(m).send().await,
        invalid,
    );
    fails(
        "StartSyncExecution",
        c.start_sync_execution().state_machine_arn(m).send().await,
        invalid,
    );
    fails(
        "UpdateStateMachine",
        c.update_state_machine()
            .state_machine_arn(m)
            .definition(pass("x"))
            .send()
            .await,
        invalid,
    );
    fails(
        "DeleteStateMachine",
        c.delete_state_machine().state_machine_arn(m).send().await,
        invalid,
    );
    fails(
        "ListExecutions",
        c.list_executions().state_machine_arn(m).send().await,
        invalid,
    );
    fails(
        "PublishStateMachineVersion",
        c.publish_state_machine_version()
            .state_machine_arn(m)
            .send()
            .await,
        invalid,
    );
    fails(
        "ListStateMachineVersions",
        c.list_state_machine_versions()
            .state_machine_arn(m)
            .send()
            .await,
        invalid,
    );
    fails(
        "ListStateMachineAliases",
        c.list_state_machine_aliases()
            .state_machine_arn(m)
            .send()
            .await,
        invalid,
    );
    fails(
        "ListTagsForResource",
        c.list_tags_for_resource().resource_arn(m).send().await,
        invalid,
    );
    fails(
        "TagResource",
        c.tag_resource()
            .resource_arn(m)
            .tags(Tag::builder().key("k").value("v").build())
            .send()
            .await,
        invalid,
    );
    fails(
        "UntagResource",
        c.untag_resource()
            .resource_arn(m)
            .tag_keys("k")
            .send()
            .await,
        invalid,
    );
    let e = execution;
    fails(
        "DescribeExecution",
        c.describe_execution().execution_arn(e).send().await,
        invalid,
    );
    fails(
        "DescribeStateMachineForExecution",
        c.describe_state_machine_for_execution()
            .execution_arn(e)
            .send()
            .await,
        invalid,
    );
    fails(
        "GetExecutionHistory",
        c.get_execution_history().execution_arn(e).send().await,
        invalid,
    );
    fails(
        "StopExecution",
        c.stop_execution().execution_arn(e).send().await,
        invalid,
    );
    fails(
        "RedriveExecution",
        c.redrive_execution().execution_arn(e).send().await,
        invalid,
    );
    fails(
        "ListMapRuns",
        c.list_map_runs().execution_arn(e).send().await,
        invalid,
    );
    let a = activity;
    fails(
        "DescribeActivity",
        c.describe_activity().activity_arn(a).send().await,
        invalid,
    );
    fails(
        "DeleteActivity",
        c.delete_activity().activity_arn(a).send().await,
        invalid,
    );
    fails(
        "GetActivityTask",
        c.get_activity_task().activity_arn(a).send().await,
        invalid,
    );
}

fn started_role(events: &[HistoryEvent]) -> String {
    let d = events[0]
        .execution_started_event_details()
        .expect("ExecutionStarted");
    d.role_arn().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arns_follow_the_client_region_and_the_configured_account() {
    let s = TestServer::start_with(ServerConfig::default(), "us-west-2").await;
    let (west, central) = (&s.client, s.client_in("eu-central-1"));
    let activity = ok(
        "CreateActivity",
        west.create_activity().name("act").send().await,
    )
    .activity_arn;
    assert_eq!(
        activity,
        "arn:aws:states:us-west-2:123456789012:activity:act"
    );
    let role = "arn:aws:iam::123456789012:role/own-role";
    let machine = ok(
        "CreateStateMachine",
        west.create_state_machine()
            .name("Ctx")
            .definition(context_definition(&activity))
            .role_arn(role)
            .send()
            .await,
    )
    .state_machine_arn;
    assert_eq!(
        machine,
        "arn:aws:states:us-west-2:123456789012:stateMachine:Ctx"
    );
    let execution = ok(
        "StartExecution",
        west.start_execution()
            .state_machine_arn(&machine)
            .name("e1")
            .send()
            .await,
    )
    .execution_arn;
    assert_eq!(
        execution,
        "arn:aws:states:us-west-2:123456789012:execution:Ctx:e1"
    );
    let d = finished(west, &execution).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    let out: Value = serde_json::from_str(d.output().unwrap()).unwrap();
    assert_eq!(
        out,
        json!({"execution": execution, "machine": machine, "role": role})
    );
    let history = west
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(started_role(history.events()), role);
    let scheduled = history
        .events()
        .iter()
        .find_map(|e| e.activity_scheduled_event_details())
        .expect("ActivityScheduled");
    assert_eq!(scheduled.resource(), activity);

    // The same resources seen from another region carry that region; the first region's ARNs
    // are refused there by every operation.
    let listed = central.list_state_machines().send().await.unwrap();
    assert_eq!(
        listed.state_machines()[0].state_machine_arn(),
        "arn:aws:states:eu-central-1:123456789012:stateMachine:Ctx"
    );
    refused_everywhere(&central, &machine, &execution, &activity).await;
    let e = central
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.message().unwrap_or_default().contains("us-west-2"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_region_and_account() {
    let config = ServerConfig {
        region: Some("ap-south-1".into()),
        account: "111122223333".into(),
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config, "us-east-1").await;
    let c = &s.client;
    let machine = ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name("M")
            .definition(pass("r"))
            .role_arn(ROLE)
            .send()
            .await,
    )
    .state_machine_arn;
    assert_eq!(
        machine,
        "arn:aws:states:ap-south-1:111122223333:stateMachine:M"
    );
    let execution = ok(
        "StartExecution",
        c.start_execution().state_machine_arn(&machine).send().await,
    )
    .execution_arn;
    assert!(
        execution.starts_with("arn:aws:states:ap-south-1:111122223333:execution:M:"),
        "{execution}"
    );
    let d = finished(c, &execution).await;
    assert_eq!(d.state_machine_arn(), machine);
    let history = c
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(started_role(history.events()), ROLE);
    // The client's own region and the default account are other scopes here.
    let in_default_account = |arn: &str| arn.replace("111122223333", "123456789012");
    refused_everywhere(
        c,
        &in_default_account(&machine),
        &in_default_account(&execution),
        "arn:aws:states:ap-south-1:123456789012:activity:a",
    )
    .await;
    let e = c
        .describe_state_machine()
        .state_machine_arn(machine.replace("ap-south-1", "us-east-1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidArn"));
    assert!(matches!(
        Server::bind(ServerConfig {
            account: "12".into(),
            ..ServerConfig::default()
        })
        .await,
        Err(stepfn::server::ServerError::Scope(_))
    ));
}
