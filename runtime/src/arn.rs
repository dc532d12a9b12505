//! Step Functions ARNs as local runs make them: one place for the default region, account and
//! execution role, and for the shape of each ARN.

/// The region of ARNs when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The account of ARNs when none is configured.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The role ARN of executions whose state machine names none.
pub const DEFAULT_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/stepfn-execution";

/// `arn:aws:states:{region}:{account}:stateMachine:{name}`.
pub fn state_machine(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:stateMachine:{name}")
}

/// `arn:aws:states:{region}:{account}:execution:{machine}:{name}`.
pub fn execution(region: &str, account: &str, machine: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:execution:{machine}:{name}")
}

/// `arn:aws:states:{region}:{account}:activity:{name}`.
pub fn activity(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:activity:{name}")
}

/// The prefix of a state machine's execution ARNs (the execution's name follows).
pub fn execution_prefix(region: &str, account: &str, machine: &str) -> String {
    format!("arn:aws:states:{region}:{account}:execution:{machine}:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            state_machine(DEFAULT_REGION, DEFAULT_ACCOUNT, "M"),
            "arn:aws:states:us-east-1:123456789012:stateMachine:M"
        );
        let e = execution(DEFAULT_REGION, DEFAULT_ACCOUNT, "M", "n");
        assert_eq!(e, "arn:aws:states:us-east-1:123456789012:execution:M:n");
        assert!(e.starts_with(&execution_prefix(DEFAULT_REGION, DEFAULT_ACCOUNT, "M")));
        assert!(DEFAULT_ROLE_ARN.contains(DEFAULT_ACCOUNT));
    }
}
