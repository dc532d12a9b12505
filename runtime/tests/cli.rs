//! The `stepfn` binary: exit codes and output of `validate` and `graph`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stepfn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run stepfn")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to a fresh file under the target dir and returns its path.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

const BROKEN: &str = r#"{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Next": "Chek"},
    "Check": {"Type": "Succeed"},
    "B": {"Type": "Task", "Resource": "arn:x", "End": true, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]}
  }
}"#;

#[test]
fn validate_accepts_the_examples() {
    let o = stepfn(&[
        "validate",
        "examples/hello.asl.json",
        "examples/order.asl.json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("examples/hello.asl.json: valid"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("examples/order.asl.json: valid"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn validate_reports_every_problem_as_file_location_message() {
    let f = temp_file("broken.asl.json", BROKEN);
    let o = stepfn(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let file = f.display().to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.contains(&format!("{file}:4:27: States.A.Next: `Next` names the state `Chek`, which does not exist in this scope; did you mean `Check`?").as_str()),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{file}:6:94: States.B.Retry[0].BackoffRate: "))),
        "{err}"
    );
    // `Check` looks unreachable only because of the typo: no follow-on report for it.
    assert!(!lines.iter().any(|l| l.contains("unreachable")), "{err}");
    assert!(
        lines.iter().all(|l| l.starts_with(&format!("{file}:"))),
        "{err}"
    );
}

#[test]
fn validate_mixes_files_and_exits_with_the_worst_status() {
    let bad = temp_file("mixed-bad.asl.json", BROKEN);
    let o = stepfn(&["validate", "examples/hello.asl.json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("examples/hello.asl.json: valid"));

    let o = stepfn(&["validate", bad.to_str().unwrap(), "no/such/file.asl.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no/such/file.asl.json: cannot read the file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_exits_2_on_unreadable_or_non_json_files() {
    let o = stepfn(&["validate", "no/such/file.asl.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("no/such/file.asl.json: cannot read the file: "),
        "{}",
        stderr(&o)
    );

    let f = temp_file("not-json.asl.json", "{ \"StartAt\": ");
    let o = stepfn(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(": the file is not JSON: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_needs_a_file() {
    let o = stepfn(&["validate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage"), "{}", stderr(&o));
}

#[test]
fn graph_prints_mermaid_by_default() {
    let o = stepfn(&["graph", "examples/hello.asl.json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("flowchart TD\n"), "{out}");
    assert!(out.contains("{\"HowFormal\"}"), "{out}");
    assert!(out.contains("subgraph"), "{out}");
    assert!(out.contains("|\"default\"|"), "{out}");
    assert!(
        out.contains("|\"$.formal is present and $.formal == true\"|"),
        "{out}"
    );
}

#[test]
fn graph_prints_dot() {
    let o = stepfn(&["graph", "examples/order.asl.json", "--format", "dot"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("digraph "), "{out}");
    assert!(out.contains("style=dashed"), "{out}");
    assert!(out.contains("label=\"States.Timeout, Rejected\""), "{out}");
    assert!(out.contains("label=\"$.total > 1000\""), "{out}");
    assert!(out.contains("subgraph \"cluster_"), "{out}");
}

#[test]
fn graph_rejects_invalid_and_unreadable_files() {
    let f = temp_file("graph-broken.asl.json", BROKEN);
    let o = stepfn(&["graph", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains(": States.A.Next: "), "{}", stderr(&o));

    let o = stepfn(&["graph", "no/such/file.asl.json"]);
    assert_eq!(o.status.code(), Some(2));

    let o = stepfn(&["graph", "examples/hello.asl.json", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid value 'svg'"), "{}", stderr(&o));
}

fn json_out(o: &Output) -> serde_json::Value {
    serde_json::from_str(stdout(o).trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", stdout(o)))
}

const ORDER: [&str; 6] = [
    "run",
    "examples/order.asl.json",
    "--input-file",
    "examples/order.input.json",
    "--mock-config",
    "examples/order.mock.json",
];

#[test]
fn run_succeeds_with_mocked_tasks() {
    let o = stepfn(&[&ORDER[..], &["--test-case", "HappyPath"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_out(&o);
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(
        v["output"]["payment"],
        serde_json::json!({"chargeId": "ch_42"})
    );
    assert_eq!(
        v["output"]["reservations"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn run_reports_a_caught_failure_and_exits_1() {
    let o = stepfn(&[&ORDER[..], &["--test-case", "CardDeclined", "--history"]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json_out(&o);
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["error"], "OrderFailed");
    let types: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionFailed"));
    assert!(types.contains(&"LambdaFunctionFailed"), "{types:?}");
    let ids: Vec<u64> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

#[test]
fn run_exits_2_on_invalid_definition_or_input() {
    let bad = temp_file("broken-run.asl.json", BROKEN);
    let o = stepfn(&["run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Chek"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let o = stepfn(&["run", "examples/hello.asl.json", "--input", "{not json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(300 * 1024));
    let big_file = temp_file("big-input.json", &big);
    let o = stepfn(&[
        "run",
        "examples/hello.asl.json",
        "--input-file",
        big_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("262144"), "{}", stderr(&o));
}

#[test]
fn run_reports_a_runtime_error_with_aws_cause() {
    let def = temp_file(
        "missing-path.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": "$.nope", "End": true}}}"#,
    );
    let o = stepfn(&["run", def.to_str().unwrap(), "--input", "{}"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json_out(&o);
    assert_eq!(v["error"], "States.Runtime");
    assert_eq!(
        v["cause"],
        "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.nope' : No results for path: $['nope']"
    );
}
