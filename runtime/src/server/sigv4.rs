//! Verification of AWS Signature Version 4 on incoming requests, for a server bound beyond
//! loopback: the request must be signed with the credentials the server was given.
//!
//! The canonical request is rebuilt from the method, path, query, the headers named in
//! `SignedHeaders` and the body's SHA-256, exactly as the SDKs build it; the signature is then
//! recomputed with the secret key and compared in constant time. Requests dated more than
//! 15 minutes away from the server's clock are refused, as AWS does.

use super::protocol::ApiError;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// The credentials requests must be signed with.
#[derive(Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// HMAC-SHA256 (RFC 2104).
fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Trims a header value and collapses runs of spaces, as SigV4's canonical headers do.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks the SigV4 `Authorization` header of a request against `creds`.
pub fn verify(
    creds: &Credentials,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: jiff::Timestamp,
) -> Result<(), ApiError> {
    let missing = || {
        ApiError::forbidden(
            "MissingAuthenticationTokenException",
            "the request is not signed; this server requires AWS Signature Version 4",
        )
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        ApiError::forbidden(
            "IncompleteSignatureException",
            "unsupported authorization scheme; expected AWS4-HMAC-SHA256",
        )
    })?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let incomplete = |what: &str| {
        ApiError::forbidden(
            "IncompleteSignatureException",
            format!("the Authorization header has no {what}"),
        )
    };
    let credential = credential.ok_or_else(|| incomplete("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("Signature"))?;
    let mut scope_parts = credential.splitn(2, '/');
    let akid = scope_parts.next().unwrap_or("");
    let scope = scope_parts.next().unwrap_or("");
    if akid != creds.access_key_id {
        return Err(ApiError::forbidden(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    let scope_fields: Vec<&str> = scope.split('/').collect();
    if scope_fields.len() != 4 || scope_fields[3] != "aws4_request" {
        return Err(incomplete("valid credential scope"));
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| incomplete("X-Amz-Date header"))?;
    // 20240102T030405Z
    let when = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", amz_date)
        .and_then(|t| t.to_datetime())
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|z| z.timestamp())
        .map_err(|_| incomplete("valid X-Amz-Date"))?;
    if (now.as_second() - when.as_second()).abs() > 15 * 60 {
        return Err(ApiError::forbidden(
            "InvalidSignatureException",
            "Signature expired: the request time is more than 15 minutes away from the server's",
        ));
    }
    if !amz_date.starts_with(scope_fields[0]) {
        return Err(ApiError::forbidden(
            "InvalidSignatureException",
            "the credential scope's date is not the request's date",
        ));
    }
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| canonical_value(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if values.is_empty() {
            return Err(ApiError::forbidden(
                "InvalidSignatureException",
                format!("signed header `{name}` is missing"),
            ));
        }
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let payload_hash = match headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(h) if h != "UNSIGNED-PAYLOAD" => h.to_string(),
        _ => hex(&Sha256::digest(body)),
    };
    if payload_hash != hex(&Sha256::digest(body)) {
        return Err(ApiError::forbidden(
            "InvalidSignatureException",
            "the payload hash does not match the body",
        ));
    }
    let mut query_pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    query_pairs.sort_unstable();
    let canonical_request = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        query_pairs.join("&"),
        path = if path.is_empty() { "/" } else { path },
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        scope_fields[0].as_bytes(),
    );
    for part in &scope_fields[1..] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_rfc4231_case_2() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// The example of AWS's SigV4 documentation (IAM ListUsers, GET).
    #[test]
    fn aws_documentation_example() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        };
        let mut h = HeaderMap::new();
        h.insert("host", "iam.amazonaws.com".parse().unwrap());
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                .parse()
                .unwrap(),
        );
        let now: jiff::Timestamp = "2015-08-30T12:36:00Z".parse().unwrap();
        let q = "Action=ListUsers&Version=2010-05-08";
        assert_eq!(verify(&creds, "GET", "/", q, &h, b"", now), Ok(()));
        let wrong = Credentials {
            secret_access_key: "nope".into(),
            ..creds.clone()
        };
        assert_eq!(
            verify(&wrong, "GET", "/", q, &h, b"", now)
                .unwrap_err()
                .kind,
            "InvalidSignatureException"
        );
        let later: jiff::Timestamp = "2015-08-30T13:36:00Z".parse().unwrap();
        assert!(verify(&creds, "GET", "/", q, &h, b"", later).is_err());
    }
}
