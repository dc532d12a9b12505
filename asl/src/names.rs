//! Step Functions' naming rule, shared by the names of state machines, executions and activities
//! (at most [`NAME_MAX`] characters) and the `Label` of a Distributed Map (at most [`LABEL_MAX`]).
//!
//! AWS's quota page: names are 1–80 characters without whitespace, wildcards (`? *`), brackets
//! (`< > { } [ ]`), the characters `" # % \ ^ | ~ ` $ & , ; : /`, or control characters
//! (U+0000–U+001F, U+007F–U+009F); "names for state machines, executions, activities, and labels"
//! may hold other non-ASCII characters. The Map state's page caps a label at 40 characters.

/// The longest name of a state machine, execution or activity, in characters.
pub const NAME_MAX: usize = 80;

/// The longest `Label` of a Distributed Map, in characters.
pub const LABEL_MAX: usize = 40;

/// The characters a name may not hold besides whitespace and control characters.
const RESERVED: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";

/// What is wrong with `name` as a name of at most `max` characters, if anything.
pub fn name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    let len = name.chars().count();
    if len > max {
        return Some(format!("it has {len} characters, more than {max}"));
    }
    let bad = name
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || RESERVED.contains(c))?;
    Some(format!(
        "it contains {bad:?}: whitespace, control characters and `<>{{}}[]?*\"#%\\^|~`$&,;:/` are not allowed"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_quota_page() {
        assert_eq!(name_problem("order-42_é.v1", NAME_MAX), None);
        assert!(name_problem("", NAME_MAX).unwrap().contains("empty"));
        assert!(name_problem(&"a".repeat(81), NAME_MAX)
            .unwrap()
            .contains("81 characters"));
        assert_eq!(name_problem(&"a".repeat(40), LABEL_MAX), None);
        assert!(name_problem(&"a".repeat(41), LABEL_MAX).is_some());
        for bad in [
            "a b", "a/b", "a:b", "a\u{7f}", "a\u{9f}", "a*", "a{b}", "a\tb",
        ] {
            assert!(name_problem(bad, NAME_MAX).is_some(), "{bad:?}");
        }
    }
}
