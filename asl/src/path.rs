//! JSONPath as the States Language uses it: Paths (`$.a[*].b`), Reference Paths (`$.a.b[0]`),
//! context paths (`$$.Execution.Id`) and variable paths (`$order.total`), parsed once at load time.
//!
//! A path made only of member names and indices is *definite*: it selects at most one value and
//! is evaluated without allocation. Anything else (wildcards, slices, unions, filters, `..`) is
//! *indefinite*: it is compiled once to an RFC 9535 query (`serde_json_path`) and yields an array.

use serde_json::Value;
use std::fmt;

/// What a path is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[3]` (negative counts from the end in indefinite paths only).
    Index(i64),
    /// `[*]` or `.*`.
    Wildcard,
    /// `[start:end:step]`.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `..name`, `..*` or `..[…]`: the inner segment applied at every depth.
    Descendant(Box<PathSegment>),
    /// `[0,2]` or `['a','b']`.
    Union(Vec<PathSegment>),
    /// `[?(…)]`: a filter, kept as its source text.
    Filter(String),
}

impl PathSegment {
    fn is_definite(&self) -> bool {
        match self {
            PathSegment::Field(_) => true,
            PathSegment::Index(i) => *i >= 0,
            _ => false,
        }
    }
}

/// A parsed JSONPath.
#[derive(Clone)]
pub struct Path {
    text: String,
    root: PathRoot,
    segments: Vec<PathSegment>,
    query: Option<serde_json_path::JsonPath>,
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({:?})", self.text)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A path that failed to parse: the message says what is wrong and at which character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The result of evaluating a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Selected<'a> {
    /// A definite path found its value.
    One(&'a Value),
    /// An indefinite path: every match, in document order (possibly none).
    Many(Vec<&'a Value>),
    /// A definite path found nothing.
    Missing,
}

impl Path {
    /// Parses a Path (`$…`, `$$…` or `$var…`).
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let (root, rest) = parse_root(text)?;
        let segments = parse_segments(rest, text)?;
        let mut path = Path {
            text: text.to_string(),
            root,
            segments,
            query: None,
        };
        if !path.is_definite() {
            let rfc = path.rfc_query();
            match serde_json_path::JsonPath::parse(&rfc) {
                Ok(q) => path.query = Some(q),
                Err(e) => return Err(PathError(format!("invalid JSONPath `{text}`: {e}"))),
            }
        }
        Ok(path)
    }

    /// Parses a Reference Path: a definite path (member names and non-negative indices only).
    pub fn parse_reference(text: &str) -> Result<Self, PathError> {
        let p = Self::parse(text)?;
        if !p.is_definite() {
            return Err(PathError(format!(
                "`{text}` is not a reference path: only member names and array indices are allowed, no wildcards, slices, unions, filters or `..`"
            )));
        }
        Ok(p)
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the path is evaluated against.
    #[inline]
    pub fn root(&self) -> &PathRoot {
        &self.root
    }

    /// The steps after the root.
    #[inline]
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// True when the path selects at most one value.
    #[inline]
    pub fn is_definite(&self) -> bool {
        self.segments.iter().all(|s| s.is_definite())
    }

    /// True for `$` alone.
    #[inline]
    pub fn is_root(&self) -> bool {
        self.root == PathRoot::Input && self.segments.is_empty()
    }

    /// The path in bracket notation, as AWS prints it in errors: `$['a'][0]`.
    pub fn normalized(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segments {
            write_rfc_segment(&mut s, seg);
        }
        s
    }

    fn rfc_query(&self) -> String {
        self.normalized()
    }

    /// Evaluates the path against `root` (which must already be the value its root names).
    pub fn select<'a>(&self, root: &'a Value) -> Selected<'a> {
        if let Some(q) = &self.query {
            return Selected::Many(q.query(root).all());
        }
        let mut cur = root;
        for seg in &self.segments {
            let next = match seg {
                PathSegment::Field(f) => field(cur, f),
                PathSegment::Index(i) => index(cur, *i),
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None => return Selected::Missing,
            }
        }
        Selected::One(cur)
    }

    /// Evaluates the path and returns an owned value: the value itself for a definite path,
    /// an array of matches for an indefinite one, `None` when a definite path found nothing.
    pub fn select_value(&self, root: &Value) -> Option<Value> {
        match self.select(root) {
            Selected::One(v) => Some(v.clone()),
            Selected::Many(vs) => Some(Value::Array(vs.into_iter().cloned().collect())),
            Selected::Missing => None,
        }
    }
}

/// One `.name` step of a definite path: the field of an object, `None` on anything else.
#[inline]
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => crate::object::get(m, name),
        _ => None,
    }
}

/// One `[i]` step of a definite path: the element of an array, `None` on anything else (and
/// for a negative index).
#[inline]
pub fn index(v: &Value, i: i64) -> Option<&Value> {
    match (v, usize::try_from(i)) {
        (Value::Array(a), Ok(i)) => a.get(i),
        _ => None,
    }
}

fn write_rfc_segment(s: &mut String, seg: &PathSegment) {
    use std::fmt::Write;
    match seg {
        PathSegment::Field(f) => {
            s.push_str("['");
            for c in f.chars() {
                match c {
                    '\'' => s.push_str("\\'"),
                    '\\' => s.push_str("\\\\"),
                    c => s.push(c),
                }
            }
            s.push_str("']");
        }
        PathSegment::Index(i) => {
            let _ = write!(s, "[{i}]");
        }
        PathSegment::Wildcard => s.push_str("[*]"),
        PathSegment::Slice(a, b, c) => {
            s.push('[');
            if let Some(a) = a {
                let _ = write!(s, "{a}");
            }
            s.push(':');
            if let Some(b) = b {
                let _ = write!(s, "{b}");
            }
            if let Some(c) = c {
                let _ = write!(s, ":{c}");
            }
            s.push(']');
        }
        PathSegment::Descendant(inner) => {
            s.push_str("..");
            write_rfc_segment(s, inner);
        }
        PathSegment::Union(items) => {
            s.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let mut tmp = String::new();
                write_rfc_segment(&mut tmp, it);
                s.push_str(&tmp[1..tmp.len() - 1]);
            }
            s.push(']');
        }
        PathSegment::Filter(f) => {
            s.push_str("[?");
            s.push_str(f);
            s.push(']');
        }
    }
}

fn parse_root(text: &str) -> Result<(PathRoot, &str), PathError> {
    let Some(rest) = text.strip_prefix('$') else {
        return Err(PathError(format!(
            "invalid JSONPath `{text}`: a path must start with `$`"
        )));
    };
    if let Some(rest) = rest.strip_prefix('$') {
        return Ok((PathRoot::Context, rest));
    }
    let name_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        Ok((PathRoot::Input, rest))
    } else {
        Ok((
            PathRoot::Variable(rest[..name_len].to_string()),
            &rest[name_len..],
        ))
    }
}

struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    full: &'a str,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.src[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            // Whitespace may be multi-byte (U+3000); stepping one byte would split it.
            self.pos += c.len_utf8();
        }
    }
    fn err(&self, what: &str) -> PathError {
        let offset = self.full.len() - self.src.len() + self.pos;
        PathError(format!(
            "invalid JSONPath `{}`: {what} at character {}",
            self.full,
            offset + 1
        ))
    }
}

fn parse_segments(rest: &str, full: &str) -> Result<Vec<PathSegment>, PathError> {
    let mut c = Cursor {
        src: rest,
        pos: 0,
        full,
    };
    let mut out = Vec::new();
    while let Some(ch) = c.peek() {
        match ch {
            '.' => {
                if c.eat("..") {
                    let inner = if c.peek() == Some('[') {
                        c.bump();
                        parse_bracket(&mut c)?
                    } else {
                        parse_dot_name(&mut c)?
                    };
                    out.push(PathSegment::Descendant(Box::new(inner)));
                } else {
                    c.bump();
                    out.push(parse_dot_name(&mut c)?);
                }
            }
            '[' => {
                c.bump();
                out.push(parse_bracket(&mut c)?);
            }
            _ => return Err(c.err(&format!("unexpected `{ch}`"))),
        }
    }
    Ok(out)
}

fn parse_dot_name(c: &mut Cursor<'_>) -> Result<PathSegment, PathError> {
    if c.eat("*") {
        return Ok(PathSegment::Wildcard);
    }
    let start = c.pos;
    while let Some(ch) = c.peek() {
        if ch == '.' || ch == '[' {
            break;
        }
        if ch.is_whitespace() {
            return Err(c.err("whitespace in a member name"));
        }
        c.bump();
    }
    if c.pos == start {
        return Err(c.err("expected a member name"));
    }
    Ok(PathSegment::Field(c.src[start..c.pos].to_string()))
}

fn parse_int(c: &mut Cursor<'_>) -> Option<i64> {
    let start = c.pos;
    if c.peek() == Some('-') {
        c.bump();
    }
    while c.peek().is_some_and(|d| d.is_ascii_digit()) {
        c.bump();
    }
    let s = &c.src[start..c.pos];
    if s.is_empty() || s == "-" {
        c.pos = start;
        return None;
    }
    s.parse().ok()
}

fn parse_quoted(c: &mut Cursor<'_>, q: char) -> Result<String, PathError> {
    let mut s = String::new();
    loop {
        match c.bump() {
            None => return Err(c.err("unterminated string")),
            Some('\\') if c.peek() == Some(q) => {
                c.bump();
                s.push(q);
            }
            Some(ch) if ch == q => return Ok(s),
            Some(ch) => s.push(ch),
        }
    }
}

/// Parses what follows `[` up to and including `]`.
fn parse_bracket(c: &mut Cursor<'_>) -> Result<PathSegment, PathError> {
    c.skip_ws();
    if c.peek() == Some('?') {
        c.bump();
        // A filter: keep the text up to the matching `]`, respecting quotes and nesting.
        let start = c.pos;
        let mut depth = 0i32;
        loop {
            match c.bump() {
                None => return Err(c.err("unterminated filter")),
                Some(q @ ('\'' | '"')) => {
                    parse_quoted(c, q)?;
                }
                Some('[' | '(') => depth += 1,
                Some(')') => depth -= 1,
                Some(']') if depth == 0 => break,
                Some(']') => depth -= 1,
                Some(_) => {}
            }
        }
        let text = c.src[start..c.pos - 1].trim().to_string();
        return Ok(PathSegment::Filter(text));
    }
    let mut items = Vec::new();
    loop {
        c.skip_ws();
        let item = match c.peek() {
            Some('*') => {
                c.bump();
                PathSegment::Wildcard
            }
            Some(q @ ('\'' | '"')) => {
                c.bump();
                PathSegment::Field(parse_quoted(c, q)?)
            }
            Some(ch) if ch == ':' || ch == '-' || ch.is_ascii_digit() => {
                let a = parse_int(c);
                c.skip_ws();
                if c.eat(":") {
                    c.skip_ws();
                    let b = parse_int(c);
                    c.skip_ws();
                    let step = if c.eat(":") {
                        c.skip_ws();
                        parse_int(c)
                    } else {
                        None
                    };
                    PathSegment::Slice(a, b, step)
                } else {
                    match a {
                        Some(i) => PathSegment::Index(i),
                        None => return Err(c.err("expected an index")),
                    }
                }
            }
            _ => return Err(c.err("expected an index, a quoted name, `*`, a slice or a filter")),
        };
        items.push(item);
        c.skip_ws();
        if c.eat(",") {
            continue;
        }
        if c.eat("]") {
            break;
        }
        return Err(c.err("expected `]`"));
    }
    Ok(if items.len() == 1 {
        items.pop().unwrap_or(PathSegment::Wildcard)
    } else {
        PathSegment::Union(items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_roots() {
        assert_eq!(Path::parse("$").unwrap().root(), &PathRoot::Input);
        assert_eq!(
            Path::parse("$$.Execution.Id").unwrap().root(),
            &PathRoot::Context
        );
        assert_eq!(
            Path::parse("$order.total").unwrap().root(),
            &PathRoot::Variable("order".into())
        );
        assert!(Path::parse("a.b").is_err());
    }

    #[test]
    fn definite_select() {
        let v = json!({"a": {"b": [1, 2, {"c": true}]}});
        let p = Path::parse("$.a.b[2].c").unwrap();
        assert!(p.is_definite());
        assert_eq!(p.select(&v), Selected::One(&json!(true)));
        assert_eq!(Path::parse("$.a.x").unwrap().select(&v), Selected::Missing);
        assert_eq!(
            Path::parse("$['a']['b'][0]").unwrap().select(&v),
            Selected::One(&json!(1))
        );
    }

    #[test]
    fn indefinite_select() {
        let v = json!({"users": [{"s": 0, "n": "a"}, {"s": 1, "n": "b"}]});
        let p = Path::parse("$.users[?(@.s == 0)]").unwrap();
        assert_eq!(p.select_value(&v), Some(json!([{"s": 0, "n": "a"}])));
        assert_eq!(
            Path::parse("$.users[*].n").unwrap().select_value(&v),
            Some(json!(["a", "b"]))
        );
        assert_eq!(
            Path::parse("$.nope[1:5]").unwrap().select_value(&v),
            Some(json!([]))
        );
        assert_eq!(
            Path::parse("$..n").unwrap().select_value(&v),
            Some(json!(["a", "b"]))
        );
    }

    #[test]
    fn reference_paths() {
        assert!(Path::parse_reference("$.a.b[0]").is_ok());
        assert!(Path::parse_reference("$.a[*]").is_err());
        assert!(Path::parse_reference("$..a").is_err());
    }

    #[test]
    fn quoted_names_and_normalized() {
        let p = Path::parse("$['Test\\\"\"Name\"']").unwrap();
        assert_eq!(
            p.segments(),
            &[PathSegment::Field("Test\\\"\"Name\"".into())]
        );
        assert_eq!(
            Path::parse("$.NoSuchOutputPath").unwrap().normalized(),
            "$['NoSuchOutputPath']"
        );
    }

    #[test]
    fn errors_name_the_position() {
        let e = Path::parse("$.a[").unwrap_err();
        assert!(e.0.contains("$.a["), "{e}");
        assert!(Path::parse("$.a b").is_err());
    }
}
