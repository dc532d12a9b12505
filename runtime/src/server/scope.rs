//! The region and account of the ARNs a client sees ([`ArnScope`]).
//!
//! The runtime names its resources in one home scope (`crate::arn::DEFAULT_REGION`,
//! `DEFAULT_ACCOUNT`). The server answers each request in the scope of `--region`/`--account`
//! (the region defaulting to the one the request's SigV4 credential scope names): requests are
//! read into the home scope and answers written back out of it, here and nowhere else. An ARN
//! of another region or account is refused before any action runs, so the refusal is the same
//! for every operation.

use super::protocol::ApiError;
use crate::arn::{DEFAULT_ACCOUNT, DEFAULT_REGION};
use serde_json::{Map, Value};

/// The prefix of every Step Functions ARN.
const STATES: &str = "arn:aws:states:";

/// A region and an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope {
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The twelve-digit account id.
    pub account: String,
}

impl ArnScope {
    /// The runtime's own scope.
    pub(crate) fn home() -> Self {
        Self {
            region: DEFAULT_REGION.into(),
            account: DEFAULT_ACCOUNT.into(),
        }
    }

    fn prefix(&self) -> String {
        format!("{STATES}{}:{}:", self.region, self.account)
    }

    /// Refuses a request naming a Step Functions ARN of another scope (in any field whose name
    /// ends in `Arn`), then reads the request's text into the home scope.
    pub(crate) fn inbound(&self, req: &mut Map<String, Value>) -> Result<(), ApiError> {
        for (key, v) in req.iter() {
            self.check(key, v)?;
        }
        if *self != Self::home() {
            let (from, to) = (self.prefix(), Self::home().prefix());
            for v in req.values_mut() {
                rewrite(v, &from, &to, None);
            }
        }
        Ok(())
    }

    /// Writes an answer out of the home scope into this one.
    pub(crate) fn outbound(&self, v: &mut Value) {
        if *self != Self::home() {
            let region = (DEFAULT_REGION, self.region.as_str());
            rewrite(v, &Self::home().prefix(), &self.prefix(), Some(region));
        }
    }

    fn check(&self, key: &str, v: &Value) -> Result<(), ApiError> {
        match v {
            Value::String(s) if key.ends_with("Arn") => self.check_arn(s),
            Value::Array(items) => items.iter().try_for_each(|i| self.check(key, i)),
            Value::Object(m) => m.iter().try_for_each(|(k, i)| self.check(k, i)),
            _ => Ok(()),
        }
    }

    fn check_arn(&self, arn: &str) -> Result<(), ApiError> {
        let Some(rest) = arn.strip_prefix(STATES) else {
            return Ok(());
        };
        let mut parts = rest.splitn(3, ':');
        let (region, account) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let why = if region != self.region {
            format!(
                "Region {region} is not this endpoint's region {}",
                self.region
            )
        } else if account != self.account {
            format!(
                "Account {account} is not this endpoint's account {}",
                self.account
            )
        } else {
            return Ok(());
        };
        Err(ApiError::invalid_arn(format!(
            "Invalid Arn: '{why}: {arn}'"
        )))
    }
}

/// Replaces `from` with `to` in every string of `v`; with `region`, also a `region` field's
/// value (task events name the region) from its first to its second.
fn rewrite(v: &mut Value, from: &str, to: &str, region: Option<(&str, &str)>) {
    match v {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, from, to, region)),
        Value::Object(m) => {
            for (k, i) in m.iter_mut() {
                match region {
                    Some((home, scope)) if k == "region" && i.as_str() == Some(home) => {
                        *i = Value::String(scope.into());
                    }
                    _ => rewrite(i, from, to, region),
                }
            }
        }
        _ => {}
    }
}

/// The region a SigV4 `Authorization` header's credential scope names
/// (`Credential=AKID/DATE/REGION/states/aws4_request`), if any.
pub(crate) fn signed_region(authorization: &str) -> Option<&str> {
    let credential = authorization
        .split([',', ' '])
        .find_map(|p| p.trim().strip_prefix("Credential="))?;
    let region = credential.split('/').nth(2)?;
    (!region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(region: &str, account: &str) -> ArnScope {
        ArnScope {
            region: region.into(),
            account: account.into(),
        }
    }

    #[test]
    fn reads_in_and_writes_out() {
        let eu = scope("eu-west-1", "111122223333");
        let mut req = json!({
            "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:M",
            "routingConfiguration": [{"stateMachineVersionArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:M:1"}],
            "roleArn": "arn:aws:iam::111122223333:role/r",
        });
        eu.inbound(req.as_object_mut().unwrap()).unwrap();
        assert_eq!(
            req["stateMachineArn"],
            "arn:aws:states:us-east-1:123456789012:stateMachine:M"
        );
        assert_eq!(
            req["routingConfiguration"][0]["stateMachineVersionArn"],
            "arn:aws:states:us-east-1:123456789012:stateMachine:M:1"
        );
        let mut out = json!({"events": [{"taskScheduledEventDetails": {"region": "us-east-1"}}], "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:e"});
        eu.outbound(&mut out);
        assert_eq!(
            out,
            json!({"events": [{"taskScheduledEventDetails": {"region": "eu-west-1"}}], "executionArn": "arn:aws:states:eu-west-1:111122223333:execution:M:e"})
        );
    }

    #[test]
    fn refuses_other_scopes() {
        let eu = scope("eu-west-1", "111122223333");
        for (arn, named) in [
            (
                "arn:aws:states:us-east-1:111122223333:execution:M:e",
                "us-east-1",
            ),
            (
                "arn:aws:states:eu-west-1:123456789012:execution:M:e",
                "123456789012",
            ),
        ] {
            let mut req = json!({"nested": [{"executionArn": arn}]});
            let e = eu.inbound(req.as_object_mut().unwrap()).unwrap_err();
            assert_eq!(e.kind, "InvalidArn");
            assert!(e.message.contains(named), "{}", e.message);
        }
    }

    #[test]
    fn signed_regions() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20240101/ap-south-1/states/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(signed_region(h), Some("ap-south-1"));
        assert_eq!(signed_region("Basic abc"), None);
    }
}
