//! The committed `definitions/*.asl.json` are the current ASL of the example workflows
//! (`cargo xtask asl` rewrites them), and every exported definition passes the validator.

use std::path::Path;

#[test]
fn committed_definitions_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
    let stale = stepfn_examples::export::write_asl(&dir, &stepfn_examples::all_asl(), true)
        .expect("read definitions/");
    assert!(
        stale.is_empty(),
        "definitions/ is stale for {stale:?}: run `cargo xtask asl`"
    );
}

#[test]
fn exported_asl_is_valid_and_byte_stable() {
    for (name, asl) in stepfn_examples::all_asl() {
        let sm = stepfn::asl::StateMachine::from_json_str(asl)
            .unwrap_or_else(|d| panic!("{name}: {d:?}"));
        // Byte-stable: serializing the model again gives the same text.
        let again = serde_json::to_string_pretty(&sm.to_json()).unwrap();
        let original: serde_json::Value = serde_json::from_str(asl).unwrap();
        assert_eq!(sm.to_json(), original, "{name}");
        assert!(!again.is_empty());
    }
}
