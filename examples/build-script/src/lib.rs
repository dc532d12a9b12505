//! A downstream crate whose `build.rs` writes the ASL of the workflows it build-depends on
//! (`stepfn-examples`) into `$OUT_DIR/asl/`, ready for deployment tooling.

/// Where the build script wrote the definitions.
pub const ASL_DIR: &str = env!("STEPFN_ASL_DIR");

/// The exported order-processing definition, embedded from the build script's output.
pub const PROCESS_ORDER_ASL: &str =
    include_str!(concat!(env!("STEPFN_ASL_DIR"), "/ProcessOrder.asl.json"));

#[cfg(test)]
mod tests {
    #[test]
    fn the_build_script_wrote_deployable_asl() {
        let v: serde_json::Value = serde_json::from_str(super::PROCESS_ORDER_ASL).unwrap();
        assert_eq!(v["StartAt"], "Reserve");
        // Resources are placeholders for the deployment to fill in (DefinitionSubstitutions).
        assert_eq!(v["States"]["Charge"]["Resource"], "${charge}");
        assert!(std::path::Path::new(super::ASL_DIR)
            .join("PollJob.asl.json")
            .is_file());
    }
}
