//! Exports the ASL of every workflow in `stepfn-examples` at build time.
//!
//! A build script runs before its own crate compiles, so it cannot see `workflow!`s defined in
//! the same crate; it can see those of a crate it build-depends on. That crate's workflows are
//! plain Rust types whose `ASL` constant is the deployable definition: write them wherever the
//! deployment (CloudFormation, SAM, CDK, Terraform) picks them up. Here: `$OUT_DIR/asl/`, and the
//! crate embeds one of them to show it is there.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("asl");
    let workflows = stepfn_examples::all_asl();
    if let Err(e) = stepfn_examples::export::write_asl(&out, &workflows, false) {
        panic!("cannot write the ASL to {}: {e}", out.display());
    }
    println!("cargo:rustc-env=STEPFN_ASL_DIR={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
