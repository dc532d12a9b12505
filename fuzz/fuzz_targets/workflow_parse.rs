//! The `workflow!` macro's front end on arbitrary token text: parse → lower → check, compiled
//! here from the macro's own files (a proc-macro crate cannot be linked as a library).
#![no_main]
#![allow(dead_code, unused_imports)]
use libfuzzer_sys::fuzz_target;

#[path = "../../macros/src/ast.rs"]
mod ast;
#[path = "../../macros/src/check.rs"]
mod check;
#[path = "../../macros/src/lower.rs"]
mod lower;
#[path = "../../macros/src/parse.rs"]
mod parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(input) = syn::parse_str::<ast::Input>(text) else {
        return;
    };
    for w in &input.workflows {
        let lowered = lower::workflow(w);
        let _ = check::check(w, &lowered);
    }
});
