//! JSONPath and reference paths: `PATH\nINPUT-JSON`, selected, placed, and used as
//! InputPath/OutputPath/ResultPath of a Pass state.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, input) = stepfn::fuzzing::split_input(text);
    stepfn::fuzzing::path(path, &input);
});
