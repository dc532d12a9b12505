//! `stepfn serve` with a state machine whose `${…}` Task has no handler: StartExecution answers
//! as AWS does (an execution ARN), and the execution has already failed with `States.Runtime`
//! naming the state and the resource, in DescribeExecution and in its history. A `${…}` Task of a
//! mocked test case (`#Case`, answered by the mock configuration) is no start problem.
#![cfg(feature = "server")]

use serde_json::json;
use stepfn::server::ServerConfig;

#[path = "support/http.rs"]
mod support_http;
use support_http::{api, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_without_handler_fails_at_start_through_the_api() {
    let mocks = json!({
        "StateMachines": {"Billing": {"TestCases": {"Paid": {"Bill": "Ok"}}}},
        "MockedResponses": {"Ok": {"0": {"Return": {"paid": true}}}}
    });
    let (addr, tx, task) = serve(ServerConfig {
        mock_config: Some(mocks),
        ..ServerConfig::default()
    })
    .await;

    let def = json!({"StartAt": "Bill", "States": {
        "Bill": {"Type": "Task", "Resource": "${bill}", "End": true}}});
    let sm = api(
        addr,
        "CreateStateMachine",
        json!({"name": "Billing", "definition": def.to_string(),
               "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string();
    let arn =
        api(addr, "StartExecution", json!({"stateMachineArn": sm})).await["executionArn"].clone();
    assert!(arn.is_string(), "{arn}");
    let d = api(addr, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "States.Runtime", "{d}");
    let cause = d["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("`Bill`") && cause.contains("${bill}"), "{d}");
    let h = api(addr, "GetExecutionHistory", json!({"executionArn": arn})).await;
    let types: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, ["ExecutionStarted", "ExecutionFailed"]);
    assert_eq!(
        h["events"][1]["executionFailedEventDetails"]["cause"],
        cause
    );

    // The mocked test case answers `${bill}`: it runs.
    let mocked = api(
        addr,
        "StartExecution",
        json!({"stateMachineArn": format!("{sm}#Paid")}),
    )
    .await["executionArn"]
        .clone();
    let mut d = json!(null);
    for _ in 0..200 {
        d = api(addr, "DescribeExecution", json!({"executionArn": mocked})).await;
        if d["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(d["status"], "SUCCEEDED", "{d}");

    let _ = tx.send(());
    let _ = task.await;
}
