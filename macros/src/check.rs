//! Phase 2, semantics: the shared States Language validator (the same one the runtime uses when
//! it loads JSON) runs on the lowered definition; its diagnostics are mapped back to the user's
//! tokens. Every problem is reported at once.

use crate::ast::Workflow;
use crate::lower::Lowered;
use quote::ToTokens;
use stepfn_asl::StateMachine;

/// Checks a lowered workflow; on failure, one combined error with every problem.
pub fn check(w: &Workflow, lowered: &Lowered) -> Result<StateMachine, syn::Error> {
    let mut errors: Vec<syn::Error> = lowered.errors.clone();
    let result = StateMachine::from_json(&lowered.asl);
    if let Err(diags) = &result {
        for d in diags {
            let tokens = lowered
                .spans
                .find(&d.location)
                .cloned()
                .unwrap_or_else(|| w.name.to_token_stream());
            let mut msg = d.message.clone();
            if let Some(h) = &d.help {
                msg.push_str("; ");
                msg.push_str(h);
            }
            errors.push(syn::Error::new_spanned(tokens, msg));
        }
    }
    let mut it = errors.into_iter();
    match it.next() {
        None => result.map_err(|_| syn::Error::new_spanned(&w.name, "invalid workflow")),
        Some(mut first) => {
            for e in it {
                first.combine(e);
            }
            Err(first)
        }
    }
}
