//! Step Functions ARNs as the API takes them apart: `arn:aws:states:REGION:ACCOUNT:TYPE:…`.
//!
//! Every action reads its ARNs through here, so an ARN of the wrong shape, type, region or account
//! is refused the same way everywhere (`InvalidArn`, naming what is wrong).

use super::protocol::ApiError;
use crate::runtime::state_machine_arn;

/// The resource types of Step Functions ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArnType {
    /// `stateMachine:NAME[:VERSION|:ALIAS]`.
    StateMachine,
    /// `execution:MACHINE:NAME`.
    Execution,
    /// `express:MACHINE:NAME:ID`.
    Express,
    /// `activity:NAME`.
    Activity,
    /// `mapRun:MACHINE:EXECUTION/ID`.
    MapRun,
}

impl ArnType {
    fn as_str(self) -> &'static str {
        match self {
            ArnType::StateMachine => "stateMachine",
            ArnType::Execution => "execution",
            ArnType::Express => "express",
            ArnType::Activity => "activity",
            ArnType::MapRun => "mapRun",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            ArnType::StateMachine,
            ArnType::Execution,
            ArnType::Express,
            ArnType::Activity,
            ArnType::MapRun,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// The region and account of this server's ARNs (those the runtime writes).
fn home() -> (String, String) {
    let probe = state_machine_arn("x");
    let parts: Vec<&str> = probe.split(':').collect();
    (parts[3].to_string(), parts[4].to_string())
}

fn invalid(arn: &str, why: &str) -> ApiError {
    ApiError::invalid_arn(format!("Invalid Arn: '{why}: {arn}'"))
}

/// An ARN split into its type and the `:`-separated resource parts after it.
pub(crate) fn parse(arn: &str, expected: &[ArnType]) -> Result<(ArnType, Vec<String>), ApiError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "states" || parts.len() > 9 {
        return Err(invalid(arn, "Resource type not valid in this context"));
    }
    let (region, account) = home();
    if parts[3] != region {
        return Err(invalid(
            arn,
            &format!("Region {} is not this endpoint's region {region}", parts[3]),
        ));
    }
    if parts[4] != account {
        return Err(invalid(
            arn,
            &format!(
                "Account {} is not this endpoint's account {account}",
                parts[4]
            ),
        ));
    }
    let kind = ArnType::parse(parts[5])
        .filter(|k| expected.contains(k))
        .ok_or_else(|| invalid(arn, "Resource type not valid in this context"))?;
    let rest: Vec<String> = parts[6..].iter().map(|s| s.to_string()).collect();
    if rest.iter().any(String::is_empty) {
        return Err(invalid(arn, "Resource type not valid in this context"));
    }
    Ok((kind, rest))
}

/// Which form of a state machine an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Qualifier {
    /// The state machine itself (its latest revision).
    Latest,
    /// A published version.
    Version(u64),
    /// An alias.
    Alias(String),
}

/// A state machine ARN taken apart: the name, the version or alias, and the mock test case after
/// `#` (Step Functions Local's `StateMachineArn#TestCase`).
#[derive(Debug, Clone)]
pub(crate) struct MachineRef {
    pub name: String,
    pub qualifier: Qualifier,
    pub test_case: Option<String>,
}

impl MachineRef {
    /// The name the runtime knows the machine (its version, its mocked variant) by; executions
    /// are named after the part before `:` or `#` (see `runtime::execution_arn`).
    pub fn key(&self) -> String {
        let mut k = self.name.clone();
        if let Qualifier::Version(v) = self.qualifier {
            k.push_str(&format!(":{v}"));
        }
        if let Some(c) = &self.test_case {
            k.push('#');
            k.push_str(c);
        }
        k
    }
}

/// Reads a state machine ARN (plain, version or alias).
pub(crate) fn machine(arn: &str) -> Result<MachineRef, ApiError> {
    let (_, rest) = parse(arn, &[ArnType::StateMachine])?;
    let (qualifier_text, base) = match rest.as_slice() {
        [base] => (None, base),
        [base, q] => (Some(q.as_str()), base),
        _ => return Err(invalid(arn, "Resource type not valid in this context")),
    };
    let (name, test_case) = match base.split_once('#') {
        Some((n, c)) => (n.to_string(), Some(c.to_string())),
        None => (base.clone(), None),
    };
    let (q_text, case_after) = match qualifier_text.map(|q| q.split_once('#')) {
        Some(Some((q, c))) => (Some(q), Some(c.to_string())),
        Some(None) => (qualifier_text, None),
        None => (None, None),
    };
    let qualifier = match q_text {
        None => Qualifier::Latest,
        Some(q) if q.chars().all(|c| c.is_ascii_digit()) => Qualifier::Version(
            q.parse()
                .map_err(|_| invalid(arn, "Version number out of range"))?,
        ),
        Some(q) => Qualifier::Alias(q.to_string()),
    };
    Ok(MachineRef {
        name,
        qualifier,
        test_case: test_case.or(case_after),
    })
}

/// Checks an execution ARN (Standard; an Express one is not recorded).
pub(crate) fn execution(arn: &str) -> Result<(), ApiError> {
    match parse(arn, &[ArnType::Execution, ArnType::Express])? {
        (ArnType::Execution, rest) if rest.len() == 2 => Ok(()),
        (ArnType::Express, _) => Err(ApiError::new(
            "ExecutionDoesNotExist",
            format!("Express executions are not recorded: '{arn}'"),
        )),
        _ => Err(invalid(arn, "Resource type not valid in this context")),
    }
}

/// The ARN of version `v` of a state machine.
pub(crate) fn version_arn(machine: &str, v: u64) -> String {
    format!("{}:{v}", state_machine_arn(machine))
}

/// The ARN of an alias of a state machine.
pub(crate) fn alias_arn(machine: &str, alias: &str) -> String {
    format!("{}:{alias}", state_machine_arn(machine))
}

/// The execution ARN a Map run ARN belongs to (`mapRun:M:E/ID` → `execution:M:E`).
pub(crate) fn map_run_execution(arn: &str) -> Result<String, ApiError> {
    let (_, rest) = parse(arn, &[ArnType::MapRun])?;
    let [machine, tail] = rest.as_slice() else {
        return Err(invalid(arn, "Resource type not valid in this context"));
    };
    let (exec, _) = tail
        .split_once('/')
        .ok_or_else(|| invalid(arn, "Resource type not valid in this context"))?;
    Ok(crate::runtime::execution_arn(machine, exec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_arns() {
        let base = state_machine_arn("M");
        let r = machine(&base).unwrap();
        assert_eq!(
            (r.name.as_str(), &r.qualifier, r.key()),
            ("M", &Qualifier::Latest, "M".into())
        );
        let r = machine(&format!("{base}:12")).unwrap();
        assert_eq!(
            (&r.qualifier, r.key()),
            (&Qualifier::Version(12), "M:12".into())
        );
        let r = machine(&format!("{base}:prod")).unwrap();
        assert_eq!(r.qualifier, Qualifier::Alias("prod".into()));
        let r = machine(&format!("{base}#Happy")).unwrap();
        assert_eq!(r.key(), "M#Happy");
        let other_region = base.replacen(":states:", ":states:xx-", 1);
        assert_eq!(machine(&other_region).unwrap_err().kind, "InvalidArn");
        let (_, account) = home();
        let other_account = base.replace(&account, "000000000000");
        let e = machine(&other_account).unwrap_err();
        assert!(e.message.contains("000000000000"), "{}", e.message);
        assert_eq!(machine("arn:aws:states:x").unwrap_err().kind, "InvalidArn");
        let exec = crate::runtime::execution_arn("M", "e");
        assert_eq!(machine(&exec).unwrap_err().kind, "InvalidArn");
        assert!(execution(&exec).is_ok());
    }

    #[test]
    fn map_run_arns() {
        let run =
            crate::runtime::execution_arn("M", "e").replace(":execution:", ":mapRun:") + "/abc";
        assert_eq!(
            map_run_execution(&run).unwrap(),
            crate::runtime::execution_arn("M", "e")
        );
        assert_eq!(
            map_run_execution("arn:aws:states:x:y:mapRun:M")
                .unwrap_err()
                .kind,
            "InvalidArn"
        );
    }
}
