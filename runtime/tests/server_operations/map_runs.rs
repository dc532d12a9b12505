//! Part of `server_operations`: Map runs.

use super::*;

pub(crate) async fn map_runs() {
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

/// Polls DescribeMapRun until `done` holds of its item counts (or fails after 10 s).
async fn counts_until(
    c: &Client,
    run: &str,
    done: impl Fn(&aws_sdk_sfn::types::MapRunItemCounts) -> bool,
) -> aws_sdk_sfn::operation::describe_map_run::DescribeMapRunOutput {
    for _ in 0..200 {
        let d = c.describe_map_run().map_run_arn(run).send().await.unwrap();
        if done(d.item_counts().unwrap()) {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let d = c.describe_map_run().map_run_arn(run).send().await.unwrap();
    panic!("item counts never matched: {:?}", d.item_counts());
}

/// Item counts are the run's items as they ended: one failed (tolerated), four succeeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_run_counts_follow_progress() {
    let s = TestServer::start().await;
    let c = &s.client;
    let activity = c
        .create_activity()
        .name("item")
        .send()
        .await
        .unwrap()
        .activity_arn;
    let def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": true}}},
        "End": true}}});
    let sm = create(c, "Progress", &def.to_string()).await;
    let e = c
        .start_execution()
        .state_machine_arn(&sm)
        .input("[1,2,3,4,5]")
        .send()
        .await
        .unwrap()
        .execution_arn;
    // One item fails (tolerated), the others succeed, two at a time.
    for answered in 0..5 {
        let token = loop {
            let task = c
                .get_activity_task()
                .activity_arn(&activity)
                .send()
                .await
                .unwrap();
            if let Some(t) = task.task_token().filter(|t| !t.is_empty()) {
                break t.to_string();
            }
        };
        if answered == 0 {
            c.send_task_failure()
                .task_token(token)
                .error("Bad")
                .send()
                .await
                .unwrap();
        } else {
            c.send_task_success()
                .task_token(token)
                .output("{}")
                .send()
                .await
                .unwrap();
        }
    }
    s.runtime.wait(&e).await.unwrap();
    // The run is in the history once the Map's items were run (its start is committed with
    // the Map's end): its counts are those the engine kept as the items went.
    let runs = c.list_map_runs().execution_arn(&e).send().await.unwrap();
    let run = runs.map_runs()[0].map_run_arn().to_string();
    let d = counts_until(c, &run, |n| n.total() == 5).await;
    assert_eq!(d.status(), &aws_sdk_sfn::types::MapRunStatus::Succeeded);
    let n = d.item_counts().unwrap();
    assert_eq!(
        (
            n.pending(),
            n.running(),
            n.failed(),
            n.aborted(),
            n.total(),
            n.results_written()
        ),
        (0, 0, 1, 0, 5, 4)
    );
}
