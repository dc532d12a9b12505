//! Choice rules: `RULE-JSON\nINPUT-JSON`, in a Choice state of each query language.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rule, input) = stepfn::fuzzing::split_input(text);
    if let Ok(rule) = stepfn::quotas::read_json::<serde_json::Value>(rule) {
        stepfn::fuzzing::choice(&rule, input);
    }
});
