//! Every definition in ../shared/conformance/cases and ../shared/bench/workloads ran on AWS or its
//! peers: the reader and validator must accept each, and serializing must give back equal JSON.

use serde_json::Value;
use std::path::{Path, PathBuf};
use stepfn_asl::StateMachine;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    p.is_dir().then_some(p)
}

fn definitions() -> Vec<(String, Value)> {
    let Some(shared) = shared() else {
        eprintln!("NOTE: ../shared is absent; the corpus tests have nothing to read");
        return Vec::new();
    };
    let mut out = Vec::new();
    let cases = shared.join("conformance/cases");
    for cat in std::fs::read_dir(&cases).expect("read cases").flatten() {
        for f in std::fs::read_dir(cat.path())
            .expect("read category")
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).expect("read case");
            let case: Value = serde_json::from_str(&text).expect("case JSON");
            out.push((f.path().display().to_string(), case["definition"].clone()));
        }
    }
    for f in std::fs::read_dir(shared.join("bench/workloads"))
        .expect("read workloads")
        .flatten()
    {
        let name = f.file_name().to_string_lossy().to_string();
        if name.ends_with(".asl.json") {
            let text = std::fs::read_to_string(f.path()).expect("read workload");
            out.push((name, serde_json::from_str(&text).expect("workload JSON")));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_recorded_definition_is_valid_and_round_trips() {
    let defs = definitions();
    let mut failures = Vec::new();
    for (name, def) in &defs {
        match StateMachine::from_json(def) {
            Ok(sm) => {
                let back = sm.to_json();
                if &back != def {
                    failures.push(format!(
                        "{name}: round trip differs:\n  in:  {def}\n  out: {back}"
                    ));
                }
            }
            Err(diags) => {
                let msgs: Vec<String> = diags.iter().map(ToString::to_string).collect();
                failures.push(format!("{name}: rejected: {}", msgs.join(" | ")));
            }
        }
    }
    eprintln!("{} definitions, {} failures", defs.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
