//! The Step Functions Local mock-configuration reader: `TEST-CASE\nCONFIG-JSON`, then a Task
//! answered by that test case.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (case, config) = stepfn::fuzzing::split_input(text);
    stepfn::fuzzing::mock_config(&config, case);
});
