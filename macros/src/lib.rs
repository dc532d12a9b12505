#![warn(missing_docs)]
//! The `workflow!` macro of stepfn: a workflow written once in Rust, checked at compile time,
//! exported as Amazon States Language and run on the stepfn runtime.
//!
//! Phases, one module each: [`parse`] (syntax) → [`lower`] (to ASL JSON, with a span table) →
//! [`check`] (the shared validator, errors mapped to the user's tokens) → [`codegen`]
//! (infallible; the compiled form in [`compile`], the type checks that follow the data in
//! [`flow`]). On errors,
//! [`fallback`] emits the errors and stub items.

use proc_macro::TokenStream;

mod ast;
mod check;
mod codegen;
mod compile;
mod fallback;
mod flow;
mod lower;
mod mock;
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
            Ok(sm) => codegen::workflow(w, &lowered, &sm)
                .into_iter()
                .chain(mock::items(w, &lowered))
                .collect(),
            Err(e) => fallback::workflow(w, e),
        });
    }
    if std::env::var_os("STEPFN_MACROS_DEBUG").is_some() {
        eprintln!("{out}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A generated workflow of `n` states (`n >= 3`): a Choice looping over a chain of
    /// `n - 2` Pass states with Parameters and ResultPath, then Succeed.
    fn chain_source(n: usize) -> String {
        let passes = n - 2;
        let mut src = String::from(
            "/// Generated: expansion timing.\n\
             pub Chain200 {\n\
             comment \"generated chain for expansion timing\";\n\
             start Check;\n\
             Check: choice {\n\
             \"$.counter.n\" < 1000 => P0,\n\
             $.counter.last == \"stop\" => Done,\n\
             _ => Done,\n\
             }\n",
        );
        for i in 0..passes {
            let next = if i + 1 == passes {
                "Check".to_owned()
            } else {
                format!("P{}", i + 1)
            };
            src.push_str(&format!(
                "P{i}: pass {{\n\
                 result_path \"$.counter\";\n\
                 parameters {{\"n.$\": \"States.MathAdd($.counter.n, 1)\", \"last\": \"P{i}\", \
                 \"tags\": [\"a\", \"b\"], \"nested\": {{\"at.$\": \"$.counter.last\"}}}};\n\
                 }} -> {next};\n"
            ));
        }
        src.push_str("Done: succeed;\n}\n");
        src
    }

    /// Prints how long parsing and expanding a 200-state `workflow!` takes (the median of
    /// several runs; `cargo xtask bench` reads the line). Asserts only that it expands.
    #[test]
    fn expansion_time_of_200_states() {
        const STATES: usize = 200;
        let src = chain_source(STATES);
        let tokens: proc_macro2::TokenStream = src.parse().expect("the generated source lexes");
        let mut times = Vec::new();
        let budget = Duration::from_secs(3);
        let started = Instant::now();
        while times.len() < 3 || (times.len() < 21 && started.elapsed() < budget) {
            let t0 = Instant::now();
            let input: ast::Input = syn::parse2(tokens.clone()).expect("the workflow parses");
            let out = expand(&input);
            times.push(t0.elapsed());
            assert_eq!(input.workflows.len(), 1);
            assert_eq!(input.workflows[0].body.states.len(), STATES);
            let text = out.to_string();
            assert!(
                !text.contains("compile_error"),
                "the generated workflow does not expand cleanly: {}",
                &text[..text.len().min(2000)]
            );
            assert!(
                text.contains("const COMPILED : bool = true"),
                "not compiled"
            );
        }
        times.sort();
        let median = times[times.len() / 2];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "workflow! expansion of {STATES} states: {:.1} ms (median of {})",
            ms(median),
            times.len()
        );
        println!(
            "  (parse + expand per run; min {:.1} ms, max {:.1} ms)",
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }
}

#[cfg(test)]
mod roundtrip;
