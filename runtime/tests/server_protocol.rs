//! The request decoder and the actions never panic, whatever arrives: random bytes, random
//! headers, and random JSON objects with the actions' field names and values of every type
//! (bounded, seeded runs). Plus the HTTP-level errors, over a raw TCP connection.
#![cfg(feature = "server")]

use serde_json::{json, Map, Value};
use std::time::Duration;
use stepfn::server::protocol::Action;
use stepfn::server::{Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CT: &[u8] = b"application/x-amz-json-1.0";

const FIELDS: &[&str] = &[
    "name",
    "definition",
    "roleArn",
    "type",
    "stateMachineArn",
    "executionArn",
    "input",
    "maxResults",
    "nextToken",
    "statusFilter",
    "reverseOrder",
    "includeExecutionData",
    "activityArn",
    "taskToken",
    "output",
    "error",
    "cause",
    "workerName",
    "clientToken",
    "severity",
    "loggingConfiguration",
    "traceHeader",
    "redriveFilter",
    "mapRunArn",
];

fn random_string(rng: &mut fastrand::Rng, known: &[String]) -> String {
    match rng.u8(0..8) {
        0 => String::new(),
        1 => (0..rng.usize(0..40)).map(|_| rng.char(..)).collect(),
        2 => "x".repeat(rng.usize(0..3000)),
        3 | 4 => known[rng.usize(0..known.len())].clone(),
        5 => {
            let k = &known[rng.usize(0..known.len())];
            let cut = rng.usize(0..=k.len());
            format!("{}{}", k.get(..cut).unwrap_or(k), rng.alphanumeric())
        }
        6 => [
            "RUNNING",
            "SUCCEEDED",
            "EXPRESS",
            "STANDARD",
            "ERROR",
            "{}",
            "[]",
            "null",
            "{\"a\":",
        ][rng.usize(0..9)]
        .to_string(),
        _ => (0..rng.usize(1..20)).map(|_| rng.alphanumeric()).collect(),
    }
}

fn random_value(rng: &mut fastrand::Rng, known: &[String], depth: u32) -> Value {
    match rng.u8(0..10) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(..)),
        3 => json!([0, 1, 2, 100, 1000, 1001, -1, i64::MAX, i64::MIN][rng.usize(0..9)]),
        4 => json!(rng.f64() * 1e12 - 5e11),
        5 => json!(u64::MAX),
        6 if depth < 3 => Value::Array(
            (0..rng.usize(0..4))
                .map(|_| random_value(rng, known, depth + 1))
                .collect(),
        ),
        7 if depth < 3 => {
            let mut m = Map::new();
            for _ in 0..rng.usize(0..4) {
                m.insert(
                    FIELDS[rng.usize(0..FIELDS.len())].to_string(),
                    random_value(rng, known, depth + 1),
                );
            }
            Value::Object(m)
        }
        _ => json!(random_string(rng, known)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_panics_the_server() {
    let server = Server::bind(ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let h = server.handle();
    let target = |a: Action| format!("AWSStepFunctions.{}", a.name()).into_bytes();
    // Something real for the random requests to hit.
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let (st, v) = h
        .call(
            Some(&target(Action::CreateStateMachine)),
            Some(CT),
            json!({"name": "Fuzz", "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r"})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let sm = v["stateMachineArn"].as_str().unwrap().to_string();
    let (_, v) = h
        .call(
            Some(&target(Action::StartExecution)),
            Some(CT),
            json!({"stateMachineArn": sm}).to_string().as_bytes(),
        )
        .await;
    let exec = v["executionArn"].as_str().unwrap_or_default().to_string();
    let known = vec![
        sm.clone(),
        exec,
        def,
        "arn:aws:states:us-east-1:123456789012:activity:Fuzz".to_string(),
        "arn:aws:states:us-east-1:123456789012:execution:Fuzz:x".to_string(),
        "arn:aws:iam::123456789012:role/r".to_string(),
        "{\"a\": 1}".to_string(),
    ];

    let seed = std::env::var("STEPFN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("seed {seed} (STEPFN_FUZZ_SEED reproduces a run)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut answered = 0u32;
    for i in 0..3000 {
        let (t, ct, body): (Option<Vec<u8>>, Option<Vec<u8>>, Vec<u8>) = match i % 4 {
            // Random bytes everywhere.
            0 => (
                rng.bool()
                    .then(|| (0..rng.usize(0..40)).map(|_| rng.u8(..)).collect()),
                rng.bool().then(|| CT.to_vec()),
                (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect(),
            ),
            // A real action, a body that is almost JSON.
            1 => {
                let a = Action::ALL[rng.usize(0..Action::ALL.len())];
                let mut body = random_value(&mut rng, &known, 0).to_string().into_bytes();
                if !body.is_empty() && rng.bool() {
                    let cut = rng.usize(0..body.len());
                    body.truncate(cut);
                }
                (Some(target(a)), Some(CT.to_vec()), body)
            }
            // A real action, an object of its fields with values of any type.
            _ => {
                let a = Action::ALL[rng.usize(0..Action::ALL.len())];
                let mut m = Map::new();
                for _ in 0..rng.usize(0..6) {
                    m.insert(
                        FIELDS[rng.usize(0..FIELDS.len())].to_string(),
                        random_value(&mut rng, &known, 0),
                    );
                }
                (
                    Some(target(a)),
                    Some(CT.to_vec()),
                    Value::Object(m).to_string().into_bytes(),
                )
            }
        };
        // A GetActivityTask that found a real activity long-polls: bound each call.
        let call = h.call(t.as_deref(), ct.as_deref(), &body);
        if let Ok((status, v)) = tokio::time::timeout(Duration::from_secs(5), call).await {
            assert!(
                matches!(status, 200 | 400 | 403 | 404 | 413),
                "{status} {v}"
            );
            if status != 200 {
                assert!(v["__type"].is_string() && v["message"].is_string(), "{v}");
            }
            answered += 1;
        }
    }
    assert!(answered > 0);
}

/// One raw HTTP/1.1 exchange; the status and the JSON body.
async fn raw(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.unwrap();
    let text = String::from_utf8_lossy(&resp);
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_level_errors() {
    let server = Server::bind(ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let ct = "Content-Type: application/x-amz-json-1.0";

    let (st, v) = raw(addr, &format!("POST / HTTP/1.1\r\n{ct}"), b"{}").await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (st, v) = raw(
        addr,
        &format!("POST / HTTP/1.1\r\n{ct}\r\nX-Amz-Target: AWSStepFunctions.Nope"),
        b"{}",
    )
    .await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let list = "X-Amz-Target: AWSStepFunctions.ListStateMachines";
    let (st, v) = raw(
        addr,
        &format!("POST / HTTP/1.1\r\n{ct}\r\n{list}"),
        b"{nope",
    )
    .await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (st, v) = raw(addr, &format!("POST / HTTP/1.1\r\n{ct}\r\n{list}"), b"").await;
    assert_eq!(
        (st, v["stateMachines"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (st, v) = raw(
        addr,
        &format!("POST / HTTP/1.1\r\n{ct}\r\n{list}"),
        br#"{"maxResults": "ten"}"#,
    )
    .await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (st, v) = raw(
        addr,
        &format!("POST / HTTP/1.1\r\n{ct}\r\nX-Amz-Target: AWSStepFunctions.DescribeExecution"),
        b"{}",
    )
    .await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    let big = vec![b' '; 2 * 1024 * 1024];
    let (st, v) = raw(addr, &format!("POST / HTTP/1.1\r\n{ct}\r\n{list}"), &big).await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (413, Some("ValidationException"))
    );
    let (st, v) = raw(addr, "GET /nothing/here HTTP/1.1", b"").await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (404, Some("UnknownOperationException"))
    );
    let (st, _) = raw(addr, "GET / HTTP/1.1", b"").await;
    assert_eq!(st, 200);
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[test]
fn serve_refuses_the_network_without_credentials() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without credentials"),
        "{err}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(["serve", "--bind", "0.0.0.0:0", "--access-key-id", "AKID"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
