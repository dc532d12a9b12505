//! Diagnostics: a problem in a definition, addressed by its location in the document.

use std::fmt;

/// One step of a [`Location`]: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member, e.g. `States` or `Retry`.
    Key(String),
    /// An array element, e.g. `[0]`.
    Index(usize),
}

/// Where in a definition a problem is, e.g. `States.Charge.Retry[0].ErrorEquals`.
///
/// The root (the whole definition) is the empty location, displayed as `(root)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Location(pub Vec<Segment>);

impl Location {
    /// The root of the document.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This location extended by an object key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(key.into()));
        Self(v)
    }

    /// This location extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(i));
        Self(v)
    }

    /// The segments from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// What a diagnostic is about, so front ends (the macro, the CLI) can pick the right token or wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The JSON shape is wrong: a missing or unknown field, a wrong type.
    Schema,
    /// A `Next`, `Default`, `StartAt` or catcher `Next` names a state that does not exist in its scope.
    UnknownState,
    /// A state can never be reached from `StartAt`.
    Unreachable,
    /// No terminal state can be reached from a state.
    NoTerminal,
    /// A state name is defined twice in the machine.
    DuplicateState,
    /// A path, template, intrinsic call or JSONata expression is malformed.
    Expression,
    /// A value is out of its allowed range.
    Range,
    /// Any other rule.
    Rule,
}

/// A problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// What kind of rule was broken.
    pub kind: DiagnosticKind,
    /// The message, in rustc's style: lowercase, no trailing period, code in backticks.
    pub message: String,
    /// An optional suggestion, e.g. "did you mean `Check`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic without help text.
    pub fn new(kind: DiagnosticKind, location: Location, message: impl Into<String>) -> Self {
        Self {
            location,
            kind,
            message: message.into(),
            help: None,
        }
    }

    /// Adds a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)?;
        if let Some(h) = &self.help {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

/// Suggests the candidate closest to `name`, for "did you mean" hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_display() {
        let l = Location::root()
            .key("States")
            .key("Charge")
            .key("Retry")
            .index(0)
            .key("ErrorEquals");
        assert_eq!(l.to_string(), "States.Charge.Retry[0].ErrorEquals");
        assert_eq!(Location::root().to_string(), "(root)");
    }

    #[test]
    fn suggestion() {
        assert_eq!(did_you_mean("Chek", ["Check", "Done"]), Some("Check"));
        assert_eq!(did_you_mean("Zzz", ["Check", "Done"]), None);
    }
}
