//! Timestamps as the States Language writes them: the RFC 3339 profile of ISO 8601 with an
//! uppercase `T` and an uppercase `Z` (or a numeric offset), e.g. `2024-08-18T17:33:00Z`.

/// Parses a timestamp in AWS's profile; `None` when it is not one.
pub fn parse(s: &str) -> Option<jiff::Timestamp> {
    let b = s.as_bytes();
    // YYYY-MM-DDTHH:MM:SS
    if b.len() < 20 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19))
    {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match &b[i..] {
        [b'Z'] => {}
        [s, h1, h2, b':', m1, m2]
            if (*s == b'+' || *s == b'-')
                && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {}
        _ => return None,
    }
    s.parse::<jiff::Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_the_profile() {
        assert!(parse("2024-08-18T17:33:00Z").is_some());
        assert!(parse("2016-03-14T01:59:00.123456789Z").is_some());
        assert!(parse("2016-03-14T01:59:00+01:00").is_some());
    }

    #[test]
    fn rejects_others() {
        assert!(parse("2024-08-18t17:33:00z").is_none());
        assert!(parse("2024-08-18 17:33:00Z").is_none());
        assert!(parse("2024-08-18T17:33:00").is_none());
        assert!(parse("2024-13-18T17:33:00Z").is_none());
        assert!(parse("x").is_none());
    }
}
