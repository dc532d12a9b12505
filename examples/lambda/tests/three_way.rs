//! `Checkout` run three ways, with the same outcome and the same sequence of state events:
//! natively (`stepfn::run_with`), through `stepfn run` on its exported ASL with
//! `--lambda-endpoint` pointed at `cargo lambda watch` serving its handler binaries, and through
//! `stepfn serve --lambda-endpoint` likewise. Both paths: an order that ships, and a declined
//! card (`Payment.Declined` from the `charge` function, retried once, then caught).
//!
//! Needs `cargo lambda` on PATH (`pip install cargo-lambda`) and a `stepfn` binary built with
//! `cargo build -p stepfn --features server,lambda-invoke` (`STEPFN_BIN`, default
//! `$CARGO_TARGET_DIR/debug/stepfn`). Run by `.ci/run`:
//! `cargo test -p stepfn-example-lambda --features three-way --test three_way`.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stepfn::ExecutionOptions;
use stepfn_example_lambda::{Checkout, Order};

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn wait_for(addr: SocketAddr, what: &str, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(start.elapsed() < limit, "{what} did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stepfn_bin() -> PathBuf {
    let bin = std::env::var_os("STEPFN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
            target.join("debug/stepfn")
        });
    let help = Command::new(&bin).args(["run", "--help"]).output();
    let ok = help.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--lambda-endpoint"));
    assert!(
        ok,
        "{} is missing or lacks --lambda-endpoint: run `cargo build -p stepfn --features server,lambda-invoke` (or set STEPFN_BIN)",
        bin.display()
    );
    bin
}

/// `(type, state name)` of every state event, in order.
fn state_events(history: &[Value]) -> Vec<(String, String)> {
    history
        .iter()
        .filter_map(|e| {
            let ty = e["type"].as_str()?;
            if !(ty.ends_with("StateEntered") || ty.ends_with("StateExited")) {
                return None;
            }
            let details = e
                .as_object()?
                .iter()
                .find(|(k, _)| k.ends_with("EventDetails"))?
                .1;
            Some((ty.to_string(), details["name"].as_str()?.to_string()))
        })
        .collect()
}

/// How many task attempts failed (`TaskFailed` natively, `LambdaFunctionFailed` on Lambda).
fn failed_attempts(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| {
            matches!(
                e["type"].as_str(),
                Some("TaskFailed" | "LambdaFunctionFailed")
            )
        })
        .count()
}

/// What the three ways must agree on.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: String,
    output: Value,
    error: Value,
    cause: Value,
    states: Vec<(String, String)>,
    failed_attempts: usize,
}

impl Outcome {
    fn new(status: &str, result: &Value, history: &[Value]) -> Self {
        Self {
            status: status.to_string(),
            output: result.get("output").cloned().unwrap_or(Value::Null),
            error: result.get("error").cloned().unwrap_or(Value::Null),
            cause: result.get("cause").cloned().unwrap_or(Value::Null),
            states: state_events(history),
            failed_attempts: failed_attempts(history),
        }
    }
}

fn native(order: &Order) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let options = ExecutionOptions {
        keep_history: true,
        ..ExecutionOptions::default()
    };
    let r = rt
        .block_on(stepfn::run_with::<Checkout>(order.clone(), options))
        .expect("the order serializes");
    let history: Vec<Value> = r.history.iter().map(|e| e.to_json()).collect();
    let result = json!({"output": r.output, "error": r.error, "cause": r.cause});
    Outcome::new(r.status.as_str(), &result, &history)
}

/// The exported ASL with every handler placeholder filled with its function's ARN.
fn substitutions() -> Vec<(String, String)> {
    stepfn::template::handlers_in(&serde_json::from_str(Checkout::ASL).unwrap())
        .into_iter()
        .map(|h| {
            let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{h}");
            (h, arn)
        })
        .collect()
}

fn via_run(bin: &Path, asl: &Path, endpoint: &str, order: &Order) -> Outcome {
    let mut cmd = Command::new(bin);
    cmd.arg("run")
        .arg(asl)
        .args(["--history", "--lambda-endpoint", endpoint, "--input"])
        .arg(serde_json::to_string(order).unwrap());
    for (k, v) in substitutions() {
        cmd.arg("--substitution").arg(format!("{k}={v}"));
    }
    let out = cmd.output().expect("stepfn run starts");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stepfn run printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let history = result["history"].as_array().cloned().unwrap_or_default();
    Outcome::new(result["status"].as_str().unwrap_or(""), &result, &history)
}

/// One AWS JSON 1.0 call to `stepfn serve`.
fn call(addr: SocketAddr, action: &str, body: &Value) -> Value {
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).expect("stepfn serve accepts");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.{action}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{action}: {response}");
    serde_json::from_str(payload).unwrap_or_else(|e| panic!("{action}: {e}: {payload}"))
}

fn via_serve(addr: SocketAddr, machine_arn: &str, order: &Order) -> Outcome {
    let started = call(
        addr,
        "StartExecution",
        &json!({"stateMachineArn": machine_arn, "input": serde_json::to_string(order).unwrap()}),
    );
    let arn = started["executionArn"].as_str().unwrap().to_string();
    let start = Instant::now();
    let described = loop {
        let d = call(addr, "DescribeExecution", &json!({"executionArn": arn}));
        if d["status"] != "RUNNING" {
            break d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "{arn} still RUNNING"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let history = call(
        addr,
        "GetExecutionHistory",
        &json!({"executionArn": arn, "maxResults": 1000}),
    )["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let output = described["output"]
        .as_str()
        .map(|s| serde_json::from_str::<Value>(s).unwrap());
    let result =
        json!({"output": output, "error": described.get("error"), "cause": described.get("cause")});
    Outcome::new(
        described["status"].as_str().unwrap_or(""),
        &result,
        &history,
    )
}

#[test]
fn native_run_and_serve_agree_through_the_lambda_emulator() {
    let bin = stepfn_bin();
    let dir = std::env::temp_dir().join(format!("stepfn-three-way-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let asl = dir.join("Checkout.asl.json");
    std::fs::write(&asl, Checkout::ASL).unwrap();

    // The emulator, bound to loopback, serving src/bin/<handler>.rs (compiled on first use).
    let lambda_port = free_port();
    let watch = Command::new("cargo")
        .args(["lambda", "watch", "-A", "127.0.0.1", "-P"])
        .arg(lambda_port.to_string())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .spawn()
        .expect("`cargo lambda` runs (pip install cargo-lambda)");
    let _watch = Killed(watch);
    let lambda_addr = SocketAddr::from(([127, 0, 0, 1], lambda_port));
    wait_for(lambda_addr, "cargo lambda watch", Duration::from_secs(60));
    let endpoint = format!("http://{lambda_addr}");

    let serve_port = free_port();
    let serve_addr = SocketAddr::from(([127, 0, 0, 1], serve_port));
    let serve = Command::new(&bin)
        .args(["serve", "--bind"])
        .arg(serve_addr.to_string())
        .args(["--lambda-endpoint", &endpoint])
        .stderr(Stdio::null())
        .spawn()
        .expect("stepfn serve starts");
    let _serve = Killed(serve);
    wait_for(serve_addr, "stepfn serve", Duration::from_secs(30));
    let definition = stepfn::template::substitute(Checkout::ASL, &substitutions()).unwrap();
    let created = call(
        serve_addr,
        "CreateStateMachine",
        &json!({"name": "Checkout", "definition": definition,
                "roleArn": "arn:aws:iam::123456789012:role/stepfn"}),
    );
    let machine_arn = created["stateMachineArn"].as_str().unwrap().to_string();

    let ships = Order {
        id: "o-1".into(),
        amount: 4200,
        card: "visa".into(),
    };
    let declined = Order {
        card: "declined".into(),
        ..ships.clone()
    };
    for (order, status, failed) in [(&ships, "SUCCEEDED", 0), (&declined, "FAILED", 2)] {
        let expected = native(order);
        assert_eq!(expected.status, status, "{expected:?}");
        assert_eq!(expected.failed_attempts, failed, "{expected:?}");
        assert_eq!(
            via_run(&bin, &asl, &endpoint, order),
            expected,
            "stepfn run"
        );
        assert_eq!(
            via_serve(serve_addr, &machine_arn, order),
            expected,
            "stepfn serve"
        );
    }
    assert_eq!(native(&declined).error, "Order.Declined");
    let _ = std::fs::remove_dir_all(&dir);
}
