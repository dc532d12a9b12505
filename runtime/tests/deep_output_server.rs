//! No silent loss through `stepfn serve`: an output nested as deep as the runtime allows
//! (`quotas::MAX_DEPTH`) is read back equal through DescribeExecution, GetExecutionHistory and
//! the console's execution endpoint, over HTTP on 127.0.0.1.
#![cfg(feature = "server")]

use serde_json::{json, Value};
use std::time::Duration;
use stepfn::quotas::{read_json, MAX_DEPTH};
use stepfn::server::ServerConfig;

#[path = "support/http.rs"]
mod support_http;
use support_http::{api, http, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_output_reads_back_equal_through_the_api_and_the_console() {
    let db = std::env::temp_dir().join(format!("stepfn-deep-{}.db", uuid::Uuid::new_v4()));
    let (addr, tx, task) = serve(ServerConfig {
        db: Some(db.clone()),
        ..ServerConfig::default()
    })
    .await;

    // A Choice loop wrapping `$.v` in an array MAX_DEPTH - 1 times (the object holding it is
    // one more level).
    let levels = MAX_DEPTH - 1;
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Parameters": {"n": 0, "v": "x"}, "Next": "Loop"},
        "Loop": {"Type": "Choice",
                 "Choices": [{"Variable": "$.n", "NumericLessThan": levels, "Next": "Wrap"}],
                 "Default": "Done"},
        "Wrap": {"Type": "Pass",
                 "Parameters": {"n.$": "States.MathAdd($.n, 1)", "v.$": "States.Array($.v)"},
                 "Next": "Loop"},
        "Done": {"Type": "Pass", "OutputPath": "$.v", "End": true}}});
    let want = (0..levels).fold(json!("x"), |v, _| Value::Array(vec![v]));
    let sm = api(
        addr,
        "CreateStateMachine",
        json!({"name": "Deep", "definition": def.to_string(),
               "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .await["stateMachineArn"]
        .clone();
    let arn =
        api(addr, "StartExecution", json!({"stateMachineArn": sm})).await["executionArn"].clone();
    let mut d = Value::Null;
    for _ in 0..600 {
        d = api(addr, "DescribeExecution", json!({"executionArn": arn})).await;
        if d["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let described: Value = read_json(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(described, want);

    let h = api(
        addr,
        "GetExecutionHistory",
        json!({"executionArn": arn, "reverseOrder": true, "maxResults": 1}),
    )
    .await;
    let last = &h["events"][0]["executionSucceededEventDetails"]["output"];
    assert_eq!(read_json::<Value>(last.as_str().unwrap()).unwrap(), want);

    let q = arn.as_str().unwrap().replace(':', "%3A");
    let (st, text) = http(
        addr,
        &format!("GET /console/api/execution?arn={q} HTTP/1.1"),
        b"",
    )
    .await;
    assert_eq!(st, 200, "{text}");
    let console: Value = read_json(&text).unwrap();
    let shown: Value = read_json(console["execution"]["output"].as_str().unwrap()).unwrap();
    assert_eq!(shown, want);

    let _ = tx.send(());
    let _ = task.await;
    let _ = std::fs::remove_file(&db);
}
