//! Property tests (proptest) of invariants no single example shows: on generated state machines
//! (random Pass/Choice/Succeed/Fail/Parallel/Map graphs, random inputs), history ids run 1..n,
//! each event follows an earlier one, and in a succeeded execution every state entered is
//! exited; the history quota never stores more than 25,000 events; and a value's size bound
//! is never below its real size.

#[path = "support/machines.rs"]
mod machines;

use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use stepfn::__private::internals::size;
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::{ExecutionOptions, Interpreter, TaskRegistry};

fn run(def: &Value, input: Value) -> stepfn::ExecutionResult {
    let sm = StateMachine::from_json(def)
        .unwrap_or_else(|d| panic!("the generator made an invalid definition: {d:?}\n{def}"));
    let it = Interpreter::new(sm, "Generated", TaskRegistry::new());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(it.execute(input, ExecutionOptions::default()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn history_ids_run_from_one_and_every_entered_state_is_exited(
        (def, input) in machines::machine_and_input()
    ) {
        let r = run(&def, input);
        prop_assert!(!r.history.is_empty());
        for (i, e) in r.history.iter().enumerate() {
            prop_assert_eq!(e.id, i as u64 + 1);
            prop_assert!(e.previous_event_id < e.id, "{:?}", e);
        }
        prop_assert!(r.history.last().unwrap().kind.as_str().starts_with("Execution"));
        if r.status == ExecutionStatus::Succeeded {
            // Per state type: as many Entered events as Exited ones (a Fail state is never
            // exited; in a succeeded execution none ran outside a caught branch).
            let mut open: HashMap<String, i64> = HashMap::new();
            for e in &r.history {
                if let Some(t) = e.kind.as_str().strip_suffix("StateEntered") {
                    *open.entry(t.to_string()).or_default() += 1;
                } else if let Some(t) = e.kind.as_str().strip_suffix("StateExited") {
                    *open.entry(t.to_string()).or_default() -= 1;
                }
            }
            open.remove("Fail");
            prop_assert!(open.values().all(|&n| n == 0), "{:?}", open);
        } else {
            prop_assert_eq!(r.status, ExecutionStatus::Failed);
            prop_assert_eq!(r.error.as_deref(), Some("Generated.Fail"));
        }
    }

    #[test]
    fn the_size_bound_is_never_below_the_real_size(v in json_value()) {
        let real = serde_json::to_string(&v).unwrap().len();
        prop_assert!(size::bound(&v, usize::MAX) >= real);
        // `checked` answers Some exactly when the text fits, with a bound at least its length.
        for limit in [real.saturating_sub(1), real, real + 7] {
            match size::checked(&v, limit) {
                Some(b) => prop_assert!(real <= limit && b >= real && b <= limit),
                None => prop_assert!(real > limit),
            }
        }
    }
}

/// Arbitrary JSON: every number kind (floats of any magnitude), strings with escapes and
/// non-ASCII characters, nested arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[\\x00-\\x1f\"\\\\]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
