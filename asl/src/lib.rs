#![warn(missing_docs)]
//! The Amazon States Language model shared by stepfn's `workflow!` macro and its runtime.
//!
//! One model, one reader and one validator: a definition is accepted or rejected identically at
//! compile time (by the macro) and at load time (by the runtime and the `stepfn` CLI).
//!
//! ```
//! let sm = stepfn_asl::StateMachine::from_json_str(r#"{
//!     "StartAt": "Hello",
//!     "States": { "Hello": { "Type": "Pass", "Result": "world", "End": true } }
//! }"#).unwrap();
//! assert_eq!(sm.start_at, "Hello");
//! ```

pub mod choice;
pub mod diagnostic;
pub mod dsl;
pub mod errors;
pub mod intrinsic;
pub mod keyword;
pub mod model;
pub mod names;
pub mod object;
pub mod parse;
pub mod path;
mod serialize;
pub mod template;
pub mod timestamp;
pub mod validate;

pub use choice::{ChoiceRule, Comparison, Condition, Operand};
pub use diagnostic::{Diagnostic, DiagnosticKind, Location};
pub use errors::PredefinedError;
pub use intrinsic::{IntrinsicArg, IntrinsicCall, IntrinsicFunction};
pub use keyword::{KeywordValue, OptionKeyword};
pub use model::*;
pub use path::{Path, PathRoot, Selected};
pub use template::{JsonataExpr, ObjectTemplate, Template, TemplateField};

/// The scope of a state's location: everything up to and including its `States` key.
fn scope_of(loc: &Location) -> Option<&[diagnostic::Segment]> {
    let segs = loc.segments();
    let i = segs
        .iter()
        .rposition(|s| matches!(s, diagnostic::Segment::Key(k) if k == "States"))?;
    Some(&segs[..=i])
}

/// A wrong transition (an unknown target, a `Next` where none is allowed) also makes states look
/// unreachable or endless; those follow-on reports are dropped so one mistake gives one error.
/// A wrong transition out of a state that is itself unreachable leads nowhere reachable: it
/// drops nothing, so states unreachable anyway are reported with the other problems.
fn drop_follow_on_graph_errors(diags: &mut Vec<Diagnostic>) {
    let is_graph = |d: &Diagnostic| {
        matches!(
            d.kind,
            DiagnosticKind::Unreachable | DiagnosticKind::NoTerminal
        )
    };
    let unreachable: Vec<&[diagnostic::Segment]> = diags
        .iter()
        .filter(|d| d.kind == DiagnosticKind::Unreachable)
        .map(|d| d.location.segments())
        .collect();
    // The state a location is in: up to the key after its scope's `States`.
    let state_of = |loc: &Location| -> Option<usize> { scope_of(loc).map(|s| s.len() + 1) };
    let broken: Vec<Vec<diagnostic::Segment>> = diags
        .iter()
        .filter(|d| !is_graph(d))
        .filter(|d| {
            let segs = d.location.segments();
            !state_of(&d.location)
                .and_then(|n| segs.get(..n))
                .is_some_and(|state| unreachable.contains(&state))
        })
        .filter(|d| {
            d.kind == DiagnosticKind::UnknownState
                || matches!(d.location.segments().last(), Some(diagnostic::Segment::Key(k)) if k == "Next" || k == "End" || k == "Choices" || k == "Default")
        })
        .filter_map(|d| scope_of(&d.location).map(<[_]>::to_vec))
        .collect();
    if broken.is_empty() {
        return;
    }
    diags.retain(|d| {
        !is_graph(d)
            || !scope_of(&d.location).is_some_and(|s| broken.iter().any(|b| b.as_slice() == s))
    });
}

impl StateMachine {
    /// Reads and validates a definition given as JSON text. On failure, every problem found.
    pub fn from_json_str(text: &str) -> Result<Self, Vec<Diagnostic>> {
        if text.len() > parse::MAX_DEFINITION_BYTES {
            return Err(vec![Diagnostic::new(
                DiagnosticKind::Range,
                Location::root(),
                format!(
                    "the definition is {} bytes; Step Functions accepts at most {} bytes",
                    text.len(),
                    parse::MAX_DEFINITION_BYTES
                ),
            )]);
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            vec![Diagnostic::new(
                DiagnosticKind::Schema,
                Location::root(),
                format!("the definition is not valid JSON: {e}"),
            )]
        })?;
        Self::from_json(&v)
    }

    /// Reads and validates a definition given as a JSON value. On failure, every problem found.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, Vec<Diagnostic>> {
        let (sm, mut diags) = parse::read(v);
        if let Some(sm) = &sm {
            diags.extend(validate::validate(sm));
        }
        drop_follow_on_graph_errors(&mut diags);
        match sm {
            Some(sm) if diags.is_empty() => Ok(sm),
            _ => Err(diags),
        }
    }

    /// Serializes the machine back to ASL JSON, states in definition order.
    pub fn to_json(&self) -> serde_json::Value {
        serialize::machine(self)
    }

    /// True when any state may read the context object: a JSONPath `$$` or a JSONata `$states`
    /// anywhere in the definition. Both engines ask this, to skip building the context (start
    /// time, execution input) for machines that never read it. Conservative: a string that
    /// merely contains `$$` also counts.
    pub fn reads_context_object(&self) -> bool {
        let text = self.to_json().to_string();
        text.contains("$$") || text.contains("$states")
    }

    /// The query language of a state of this machine: its own, or the machine's.
    pub fn effective_query_language(&self, state: &State) -> QueryLanguage {
        state
            .query_language
            .or(self.query_language)
            .unwrap_or_default()
    }
}
