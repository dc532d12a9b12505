//! Two `stepfn serve` processes on one PostgreSQL database: executions with Waits, a Parallel, a
//! Map and activity tasks started through the first; the activity tasks polled and answered on
//! the second; `kill -9` of the first mid-run; every execution SUCCEEDED through the second, each
//! history with ids 1..n.
//!
//! The database is `STEPFN_TEST_POSTGRES` (see `support/pg_schema.rs`).
#![cfg(all(feature = "postgres", feature = "server"))]

#[path = "support/pg_schema.rs"]
mod pg_schema;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// As many as issue #16 asks for.
const EXECUTIONS: usize = 300;
/// Threads polling for activity tasks on the second server.
const WORKERS: usize = 4;

/// `stepfn serve --db URL --bind 127.0.0.1:0 --lease-timeout 1s` and the address it listens on.
fn serve(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args([
            "serve",
            "--db",
            url,
            "--bind",
            "127.0.0.1:0",
            "--lease-timeout",
            "1s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in `{line}`"))
        .to_string();
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// One AWS JSON 1.0 call.
fn call(addr: &str, action: &str, body: Value) -> Value {
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{action}: {out}");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[test]
fn two_servers_one_database_survive_kill_9() {
    let Some(url) = pg_schema::blocking_pg_url() else {
        return;
    };
    let (mut a, a_addr) = serve(&url);
    let (mut b, b_addr) = serve(&url);
    let activity = call(&a_addr, "CreateActivity", json!({"name": "work"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let definition = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$[1].items", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let machine = call(
        &a_addr,
        "CreateStateMachine",
        json!({"name": "M", "definition": definition.to_string(),
               "roleArn": "arn:aws:iam::123456789012:role/stepfn"}),
    )["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string();
    let arns: Vec<String> = (0..EXECUTIONS)
        .map(|i| {
            call(
                &a_addr,
                "StartExecution",
                json!({"stateMachineArn": machine, "name": format!("e{i}"), "input": "{}"}),
            )["executionArn"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The workers poll the second server only.
    for _ in 0..WORKERS {
        let worker_addr = b_addr.clone();
        let worker_activity = activity.clone();
        std::thread::spawn(move || loop {
            let t = call(
                &worker_addr,
                "GetActivityTask",
                json!({"activityArn": worker_activity, "workerName": "on-b"}),
            );
            if let Some(token) = t["taskToken"].as_str().filter(|t| !t.is_empty()) {
                call(
                    &worker_addr,
                    "SendTaskSuccess",
                    json!({"taskToken": token, "output": "{\"items\": [1, 2, 3]}"}),
                );
            }
        });
    }
    std::thread::sleep(Duration::from_millis(700));
    a.kill().unwrap();
    a.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    for arn in &arns {
        loop {
            let d = call(&b_addr, "DescribeExecution", json!({"executionArn": arn}));
            if d["status"] == "SUCCEEDED" {
                assert_eq!(d["output"], "[1,2,3]", "{d}");
                break;
            }
            assert_eq!(d["status"], "RUNNING", "{d}");
            assert!(Instant::now() < deadline, "{arn} not finished: {d}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let h = call(&b_addr, "GetExecutionHistory", json!({"executionArn": arn}));
        let events = h["events"].as_array().unwrap();
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e["id"], json!(i as u64 + 1), "{arn}: {events:#?}");
        }
        let count = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
        assert_eq!(count("ActivitySucceeded"), 1, "{arn}: {events:#?}");
        assert_eq!(count("ActivityStarted"), 1, "{arn}: {events:#?}");
        assert_eq!(count("WaitStateExited"), 1, "{arn}: {events:#?}");
        assert_eq!(count("ExecutionSucceeded"), 1, "{arn}: {events:#?}");
    }
    let _ = b.kill();
    let _ = b.wait();
}
