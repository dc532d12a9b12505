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
