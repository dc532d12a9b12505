//! The `workflow!` macro of stepfn: a workflow written once in Rust, checked at compile time,
//! exported as Amazon States Language and run on the stepfn runtime.
//!
//! Phases, one module each: [`parse`] (syntax) → [`lower`] (to ASL JSON, with a span table) →
//! [`check`] (the shared validator, errors mapped to the user's tokens) → [`codegen`]
//! (infallible). On errors, [`fallback`] emits the errors and stub items.

use proc_macro::TokenStream;

mod ast;
mod check;
mod codegen;
mod compile;
mod fallback;
mod lower;
mod parse;

/// Defines one or more workflows. See the `stepfn` crate's documentation for the syntax.
#[proc_macro]
pub fn workflow(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as ast::Input);
    expand(&input).into()
}

fn expand(input: &ast::Input) -> proc_macro2::TokenStream {
    let mut out = proc_macro2::TokenStream::new();
    for w in &input.workflows {
        let lowered = lower::workflow(w);
        out.extend(match check::check(w, &lowered) {
            Ok(sm) => codegen::workflow(w, &lowered, &sm),
            Err(e) => fallback::workflow(w, e),
        });
    }
    if std::env::var_os("STEPFN_MACROS_DEBUG").is_some() {
        eprintln!("{out}");
    }
    out
}
