//! The ASL reader and validator on arbitrary bytes: an error or a definition, never a panic; a
//! valid definition serializes to one that reads back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        stepfn::fuzzing::definition_text(text);
    }
});
