//! Where a diagnostic's location is in a definition's text: the line and column of the key (or
//! array element) it ends with, found in a position-keeping JSON syntax tree (jsonc-parser).

use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};
use stepfn_asl::diagnostic::Segment;
use stepfn_asl::Location;

/// A line and a column in a text, both from 1 (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The positions of a definition's keys and elements.
pub struct Positions<'a> {
    text: &'a str,
    root: Option<Value<'a>>,
}

impl<'a> Positions<'a> {
    /// Reads `text` (JSON the caller already parsed; were it not, no position is found).
    pub fn new(text: &'a str) -> Self {
        let root =
            jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default())
                .ok()
                .and_then(|r| r.value);
        Self { text, root }
    }

    /// The position of `loc`: of its last key (or element) in the text; of the nearest enclosing
    /// one when the text lacks it (a missing field is reported where its object is).
    pub fn of(&self, loc: &Location) -> Option<Position> {
        let mut value = self.root.as_ref()?;
        let mut at = value.range().start;
        for seg in loc.segments() {
            let next = match (seg, value) {
                (Segment::Key(k), Value::Object(o)) => o
                    .properties
                    .iter()
                    .find(|p: &&ObjectProp| p.name.as_str() == k)
                    .map(|p| (p.name.range().start, &p.value)),
                (Segment::Index(i), Value::Array(a)) => {
                    a.elements.get(*i).map(|v| (v.range().start, v))
                }
                _ => None,
            };
            match next {
                Some((start, v)) => {
                    at = start;
                    value = v;
                }
                None => break,
            }
        }
        Some(self.position_at(at))
    }

    /// The line and column of byte offset `offset`.
    fn position_at(&self, offset: usize) -> Position {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Retry\": [{}, {\"é\": 1, \"X\": 2}]}\n  }\n}\n";

    fn at(segs: &[Segment]) -> Option<String> {
        Positions::new(TEXT)
            .of(&Location(segs.to_vec()))
            .map(|p| p.to_string())
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn keys_and_elements_have_their_line_and_column() {
        assert_eq!(at(&[]).as_deref(), Some("1:1"));
        assert_eq!(at(&[key("StartAt")]).as_deref(), Some("2:3"));
        assert_eq!(at(&[key("States"), key("A")]).as_deref(), Some("4:5"));
        assert_eq!(
            at(&[key("States"), key("A"), key("Type")]).as_deref(),
            Some("4:11")
        );
        assert_eq!(
            at(&[key("States"), key("A"), key("Retry"), Segment::Index(1)]).as_deref(),
            Some("4:41")
        );
        // Columns count characters: `é` is one.
        assert_eq!(
            at(&[
                key("States"),
                key("A"),
                key("Retry"),
                Segment::Index(1),
                key("X")
            ])
            .as_deref(),
            Some("4:50")
        );
    }

    #[test]
    fn a_missing_key_is_placed_at_its_object() {
        assert_eq!(
            at(&[key("States"), key("A"), key("Next")]).as_deref(),
            Some("4:5")
        );
    }

    #[test]
    fn text_that_is_not_json_has_no_positions() {
        assert_eq!(Positions::new("{").of(&Location::root()), None);
    }
}
