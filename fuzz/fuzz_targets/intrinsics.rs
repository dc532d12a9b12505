//! Intrinsic functions: `CALL\nINPUT-JSON`, parsed and evaluated directly and in a Pass state.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (call, input) = stepfn::fuzzing::split_input(text);
    stepfn::fuzzing::intrinsic(call, &input);
});
