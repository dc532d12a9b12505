//! trybuild UI tests of `workflow!`: every diagnostic has a compile-fail case under
//! `tests/ui/fail/<rule>.rs` with its expected `.stderr`; `tests/ui/pass` must compile.
//! Refresh with `TRYBUILD=overwrite cargo test -p stepfn-tests --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
