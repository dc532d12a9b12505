//! Payload templates: `TEMPLATE-JSON\nINPUT-JSON`, as a Pass state's Parameters.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, input) = stepfn::fuzzing::split_input(text);
    if let Ok(t) = stepfn::quotas::read_json::<serde_json::Value>(template) {
        stepfn::fuzzing::template(&t, input);
    }
});
