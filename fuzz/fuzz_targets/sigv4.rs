//! SigV4 verification: header lines (`name: value`), a blank line, then the body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (headers, body) = text.split_once("\n\n").unwrap_or((text, ""));
    stepfn::fuzzing::sigv4(headers, body.as_bytes());
});
