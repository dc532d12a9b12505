//! The AWS JSON 1.0 request decoder: `X-Amz-Target` line, `Content-Type` line, then the body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let target = parts.next().unwrap_or_default();
    let content_type = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    stepfn::fuzzing::request(target, content_type, body);
});
