//! Property test (proptest): ASL → `stepfn dsl` (`stepfn_asl::dsl::render`) → `workflow!`
//! (this macro's parser, lowering and check, compiled here from its own files) → ASL gives back
//! the same definition, on generated state machines.

#![allow(dead_code)]

#[path = "../src/ast.rs"]
mod ast;
#[path = "../src/check.rs"]
mod check;
#[path = "../src/lower.rs"]
mod lower;
#[path = "../../runtime/tests/support/machines.rs"]
mod machines;
#[path = "../src/parse.rs"]
mod parse;

use proptest::prelude::*;
use stepfn_asl::StateMachine;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_definitions_round_trip_through_the_dsl((def, _input) in machines::machine_and_input()) {
        let sm = StateMachine::from_json(&def).expect("the generator makes valid ASL");
        let source = stepfn_asl::dsl::render(&sm, "Generated");
        let body = source
            .trim_start_matches("workflow! {")
            .trim_end()
            .trim_end_matches('}');
        let input: ast::Input = syn::parse_str(body)
            .map_err(|e| TestCaseError::fail(format!("the rendered DSL does not parse: {e}\n{source}")))?;
        prop_assert_eq!(input.workflows.len(), 1);
        let w = &input.workflows[0];
        let lowered = lower::workflow(w);
        prop_assert!(lowered.errors.is_empty(), "lowering errors in\n{}", source);
        let back = check::check(w, &lowered)
            .map_err(|e| TestCaseError::fail(format!("the check refuses it: {e}\n{source}")))?;
        prop_assert_eq!(back.to_json(), sm.to_json(), "{}", source);
    }
}
