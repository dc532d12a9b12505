//! The committed ASL and template are fresh, and in every template (this crate's, and one per
//! exported definition in `definitions/`) the `${…}` placeholders of the definition and the
//! `DefinitionSubstitutions` match exactly.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn committed_files_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, text) in stepfn_example_lambda::exported().unwrap() {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            committed == text,
            "examples/lambda/{name} is stale or missing: run `cargo xtask template`"
        );
    }
}

/// Placeholders used by the state machine's definition, and substitutions it is given.
fn placeholders_and_substitutions(template: &Value) -> Vec<(BTreeSet<String>, BTreeSet<String>)> {
    let resources = template["Resources"].as_object().unwrap();
    let machines: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::StepFunctions::StateMachine")
        .collect();
    assert!(!machines.is_empty(), "no state machine in {template}");
    machines
        .into_iter()
        .map(|m| {
            let p = &m["Properties"];
            let text = p["Definition"].to_string();
            let used = text
                .split("${")
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            let given = p["DefinitionSubstitutions"]
                .as_object()
                .map(|s| s.keys().cloned().collect())
                .unwrap_or_default();
            (used, given)
        })
        .collect()
}

#[test]
fn every_placeholder_has_a_substitution_and_every_substitution_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut templates = Vec::new();
    let committed = std::fs::read_to_string(root.join("examples/lambda/template.json")).unwrap();
    templates.push((
        "examples/lambda/template.json".to_string(),
        serde_json::from_str(&committed).unwrap(),
    ));
    let mut definitions: Vec<_> = std::fs::read_dir(root.join("definitions"))
        .expect("definitions/ is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    definitions.sort();
    assert!(!definitions.is_empty());
    for path in definitions {
        let asl: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let handlers = stepfn::template::handlers_in(&asl);
        let options = stepfn::template::Options::default();
        let t = stepfn::template::template("Workflow", &asl, &handlers, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        templates.push((path.display().to_string(), t));
    }
    let mut with_placeholders = 0;
    for (name, t) in &templates {
        for (used, given) in placeholders_and_substitutions(t) {
            assert_eq!(used, given, "{name}");
            with_placeholders += usize::from(!used.is_empty());
        }
    }
    assert!(
        with_placeholders >= 2,
        "the check saw no placeholder at all"
    );
}
