//! The `stepfn` binary: a closed stdout ends the output quietly, and `RUST_LOG` turns on the
//! tracing output of `stepfn run` (on stderr; nothing without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A definition whose graph is far larger than a pipe's buffer (64 KiB): the writer meets the
/// closed pipe whenever it writes.
fn long_chain() -> PathBuf {
    let n = 5_000;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let s = if i + 1 == n {
            serde_json::json!({"Type": "Pass", "End": true})
        } else {
            serde_json::json!({"Type": "Pass", "Next": format!("Step{}", i + 1)})
        };
        states.insert(format!("Step{i}"), s);
    }
    let def = serde_json::json!({"StartAt": "Step0", "States": states});
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_devx");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join("chain.asl.json");
    std::fs::write(&p, def.to_string()).expect("write the definition");
    p
}

/// Runs `stepfn ARGS` with its stdout closed at once (as `| head` closes it); returns the exit
/// code and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run stepfn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for stepfn");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    let chain = long_chain();
    let file = chain.to_str().unwrap();
    for args in [
        vec!["graph", file],
        vec!["dsl", file],
        vec!["validate", file, file, file],
    ] {
        let (code, stderr) = with_closed_stdout(&args);
        assert_eq!(code, Some(0), "stepfn {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "stepfn {args:?}: {stderr}");
    }
}

#[test]
fn executions_with_a_closed_stdout_exit_quietly() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_devx");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("executions.db");
    let _ = std::fs::remove_file(&db);
    let db = db.to_str().unwrap();
    for i in 0..3 {
        let ok = Command::new(env!("CARGO_BIN_EXE_stepfn"))
            .args([
                "run",
                "examples/order.asl.json",
                "--input-file",
                "examples/order.input.json",
            ])
            .args([
                "--mock-config",
                "examples/order.mock.json",
                "--test-case",
                "HappyPath",
            ])
            .args(["--db", db, "--name", &format!("e-{i}")])
            .current_dir(repo())
            .output()
            .expect("run stepfn");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
    let (code, stderr) = with_closed_stdout(&["executions", "--db", db]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn run_order(rust_log: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stepfn"));
    cmd.args([
        "run",
        "examples/order.asl.json",
        "--input-file",
        "examples/order.input.json",
    ])
    .args([
        "--mock-config",
        "examples/order.mock.json",
        "--test-case",
        "CardDeclined",
    ])
    .args(["--name", "traced"])
    .current_dir(repo())
    .env_remove("RUST_LOG");
    if let Some(l) = rust_log {
        cmd.env("RUST_LOG", l);
    }
    let out = cmd.output().expect("run stepfn");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn run_prints_tracing_with_rust_log_only() {
    assert_eq!(run_order(None), "", "nothing on stderr without RUST_LOG");
    let info = run_order(Some("stepfn=info"));
    assert!(
        info.contains(r#"execution{state_machine="order" execution="traced""#)
            && info.contains("stepfn: catch")
            && !info.contains("state{"),
        "{info}"
    );
    let debug = run_order(Some("stepfn=debug"));
    assert!(
        debug.contains(r#"state{state="ValidateOrder" type="Task"}: stepfn: close"#),
        "{debug}"
    );
}

#[test]
fn validate_reports_graph_problems_with_the_rest_at_their_line_and_column() {
    let text = r#"{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Next": "Done", "Bogus": 1},
    "Done": {"Type": "Succeed"},
    "Orphan": {"Type": "Task", "Resource": "arn:x", "End": true, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]},
    "Stray": {"Type": "Pass", "Next": "Nowhere"}
  }
}
"#;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_devx");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("graph.asl.json");
    std::fs::write(&f, text).expect("write the definition");
    let file = f.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stepfn"))
        .args(["validate", file])
        .output()
        .expect("run stepfn");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines: Vec<&str> = stderr.lines().collect();
    lines.sort();
    let expected = [
        format!("{file}:4:43: States.A.Bogus: unknown field `Bogus` in a Pass state; expected one of `Type`, `Comment`, `QueryLanguage`, `Next`, `End`, `InputPath`, `OutputPath`, `Parameters`, `Result`, `ResultPath`, `Assign`"),
        format!("{file}:6:5: States.Orphan: the state `Orphan` is unreachable: no `StartAt`, `Next`, `Default` or catcher leads to it"),
        format!("{file}:6:99: States.Orphan.Retry[0].BackoffRate: `BackoffRate` must be a number of at least 1.0, found 0.5"),
        format!("{file}:7:31: States.Stray.Next: `Next` names the state `Nowhere`, which does not exist in this scope"),
        format!("{file}:7:5: States.Stray: the state `Stray` is unreachable: no `StartAt`, `Next`, `Default` or catcher leads to it"),
    ];
    assert_eq!(lines, expected, "{stderr}");
}

/// `stepfn run --db` with a `${…}` Task that has no handler: the execution fails at its start
/// and prints what an in-memory run prints (`States.Runtime`, naming the state and resource).
#[test]
fn run_with_db_fails_at_start_without_a_handler() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_devx");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let def = dir.join("placeholder.asl.json");
    let machine = serde_json::json!({"StartAt": "Bill", "States": {
        "Bill": {"Type": "Task", "Resource": "${bill}", "End": true}}});
    std::fs::write(&def, machine.to_string()).expect("write the definition");
    let db = dir.join("placeholder.db");
    let _ = std::fs::remove_file(&db);
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_stepfn"))
            .args(["run", def.to_str().unwrap(), "--input", "{}"])
            .args(extra)
            .output()
            .expect("run stepfn");
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), printed)
    };
    let in_memory = run(&[]);
    assert_eq!(in_memory.1["error"], "States.Runtime", "{in_memory:?}");
    let durable = run(&["--db", db.to_str().unwrap(), "--name", "placeholder"]);
    assert_eq!(durable, in_memory);
}
