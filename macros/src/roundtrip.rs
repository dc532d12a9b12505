//! Round trip through the DSL: every definition recorded in ../shared (conformance cases and
//! benchmark workloads) rendered as `workflow!` source by `stepfn_asl::dsl`, parsed and lowered by
//! this macro, gives back the same ASL. This keeps the DSL covering every field the model has.

use std::path::Path;

fn definitions() -> Vec<(String, serde_json::Value)> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut out = Vec::new();
    let cases = shared.join("conformance/cases");
    let Ok(cats) = std::fs::read_dir(&cases) else {
        eprintln!("NOTE: ../shared is absent; the DSL round trip has nothing to read");
        return out;
    };
    for cat in cats.flatten() {
        for f in std::fs::read_dir(cat.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            if let Ok(case) = serde_json::from_str::<serde_json::Value>(&text) {
                out.push((f.path().display().to_string(), case["definition"].clone()));
            }
        }
    }
    for f in std::fs::read_dir(shared.join("bench/workloads"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = f.file_name().to_string_lossy().to_string();
        if name.ends_with(".asl.json") {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            out.push((name, serde_json::from_str(&text).unwrap_or_default()));
        }
    }
    out
}

#[test]
fn every_recorded_definition_round_trips_through_the_dsl() {
    let defs = definitions();
    let mut failures = Vec::new();
    for (name, def) in &defs {
        let sm = match stepfn_asl::StateMachine::from_json(def) {
            Ok(sm) => sm,
            Err(_) => continue, // the asl crate's corpus test reports these
        };
        let source = stepfn_asl::dsl::render(&sm, "Roundtrip");
        let body = source
            .trim_start_matches("workflow! {")
            .trim_end()
            .trim_end_matches('}');
        let input: crate::ast::Input = match syn::parse_str(body) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!(
                    "{name}: the rendered DSL does not parse: {e}\n{source}"
                ));
                continue;
            }
        };
        let lowered = crate::lower::workflow(&input.workflows[0]);
        if !lowered.errors.is_empty() {
            failures.push(format!(
                "{name}: lowering errors: {:?}",
                lowered
                    .errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        if &lowered.asl != def {
            failures.push(format!(
                "{name}: differs\n  in:  {def}\n  out: {}\n{source}",
                lowered.asl
            ));
        }
    }
    eprintln!(
        "DSL round trip: {} definitions, {} failures",
        defs.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
