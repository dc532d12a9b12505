//! The ASL reader and validator on arbitrary JSON values (the bytes parsed as JSON first, so
//! the fuzzer spends its time past the JSON syntax).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = stepfn::quotas::read_json::<serde_json::Value>(text) {
        stepfn::fuzzing::definition_json(&v);
    }
});
