//! The JSONata bridge: `EXPRESSION\nINPUT-JSON`, as a Pass state's Assign and Output (reading
//! `$states.input`, `$states.context` and variables).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, input) = stepfn::fuzzing::split_input(text);
    stepfn::fuzzing::jsonata(expr, input);
});
