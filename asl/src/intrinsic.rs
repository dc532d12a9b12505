//! Intrinsic function calls (`States.Format('{}', $.x)`), parsed once at load time.
//!
//! This module holds the call's syntax tree, its parser and the static checks (known function,
//! arity, literal argument types). Evaluation lives in the runtime (`stepfn::io::intrinsics`).

use crate::path::Path;
use serde_json::Value;
use std::fmt;

/// The 18 intrinsic functions of the States Language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntrinsicFunction {
    /// `States.Format(template, args...)`
    Format,
    /// `States.StringToJson(string)`
    StringToJson,
    /// `States.JsonToString(path)`
    JsonToString,
    /// `States.Array(values...)`
    Array,
    /// `States.ArrayPartition(array, size)`
    ArrayPartition,
    /// `States.ArrayContains(array, value)`
    ArrayContains,
    /// `States.ArrayRange(start, end, step)`
    ArrayRange,
    /// `States.ArrayGetItem(array, index)`
    ArrayGetItem,
    /// `States.ArrayLength(array)`
    ArrayLength,
    /// `States.ArrayUnique(array)`
    ArrayUnique,
    /// `States.Base64Encode(string)`
    Base64Encode,
    /// `States.Base64Decode(string)`
    Base64Decode,
    /// `States.Hash(data, algorithm)`
    Hash,
    /// `States.JsonMerge(a, b, false)`
    JsonMerge,
    /// `States.MathRandom(start, end[, seed])`
    MathRandom,
    /// `States.MathAdd(a, b)`
    MathAdd,
    /// `States.StringSplit(string, delimiters)`
    StringSplit,
    /// `States.UUID()`
    Uuid,
}

impl IntrinsicFunction {
    /// Every function, in the order of the AWS documentation.
    pub const ALL: [IntrinsicFunction; 18] = [
        Self::Format,
        Self::StringToJson,
        Self::JsonToString,
        Self::Array,
        Self::ArrayPartition,
        Self::ArrayContains,
        Self::ArrayRange,
        Self::ArrayGetItem,
        Self::ArrayLength,
        Self::ArrayUnique,
        Self::Base64Encode,
        Self::Base64Decode,
        Self::Hash,
        Self::JsonMerge,
        Self::MathRandom,
        Self::MathAdd,
        Self::StringSplit,
        Self::Uuid,
    ];

    /// The full name, e.g. `States.Format`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Format => "States.Format",
            Self::StringToJson => "States.StringToJson",
            Self::JsonToString => "States.JsonToString",
            Self::Array => "States.Array",
            Self::ArrayPartition => "States.ArrayPartition",
            Self::ArrayContains => "States.ArrayContains",
            Self::ArrayRange => "States.ArrayRange",
            Self::ArrayGetItem => "States.ArrayGetItem",
            Self::ArrayLength => "States.ArrayLength",
            Self::ArrayUnique => "States.ArrayUnique",
            Self::Base64Encode => "States.Base64Encode",
            Self::Base64Decode => "States.Base64Decode",
            Self::Hash => "States.Hash",
            Self::JsonMerge => "States.JsonMerge",
            Self::MathRandom => "States.MathRandom",
            Self::MathAdd => "States.MathAdd",
            Self::StringSplit => "States.StringSplit",
            Self::Uuid => "States.UUID",
        }
    }

    /// The most bytes the compact JSON text of this function's result takes, whatever its
    /// arguments, when the function alone fixes it: integers (`MathAdd`, `MathRandom`,
    /// `ArrayLength`: at most 20 characters, a 64-bit integer's longest), booleans
    /// (`ArrayContains`), a quoted UUID, a quoted hex digest (`Hash`, SHA-512 the longest).
    /// `None` for results that grow with their arguments.
    pub fn result_len_bound(self) -> Option<usize> {
        match self {
            Self::MathAdd | Self::MathRandom | Self::ArrayLength => Some(20),
            Self::ArrayContains => Some(5),
            Self::Uuid => Some(36 + 2),
            Self::Hash => Some(128 + 2),
            Self::Format
            | Self::StringToJson
            | Self::JsonToString
            | Self::Array
            | Self::ArrayPartition
            | Self::ArrayRange
            | Self::ArrayGetItem
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode
            | Self::JsonMerge
            | Self::StringSplit => None,
        }
    }

    /// Looks a function up by its full name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// An argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum IntrinsicArg {
    /// A literal: a single-quoted string, a number, `true`, `false` or `null`.
    Literal(Value),
    /// A path: `$.x`, `$$.x` or `$var`.
    Path(Path),
    /// A nested call.
    Call(Box<IntrinsicCall>),
}

/// A parsed intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub struct IntrinsicCall {
    /// Which function.
    pub function: IntrinsicFunction,
    /// Its arguments, in order.
    pub args: Vec<IntrinsicArg>,
    /// The source text of the whole call.
    pub text: String,
}

impl fmt::Display for IntrinsicCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Calls nest at most this many levels deep (the outermost call counts as one).
pub const MAX_NESTING: usize = 10;

/// One piece of a `States.Format` template: literal text or a `{}` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatPart {
    /// Text copied as is (escaped `\{` and `\}` end up here as plain braces).
    Text(String),
    /// An unescaped `{}`: replaced by the next argument.
    Placeholder,
}

/// Splits a run-time template (one read from a path) at each `{}`.
pub fn split_format_template(template: &str) -> Vec<FormatPart> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        if i > 0 {
            parts.push(FormatPart::Text(rest[..i].to_string()));
        }
        parts.push(FormatPart::Placeholder);
        rest = &rest[i + 2..];
    }
    if !rest.is_empty() {
        parts.push(FormatPart::Text(rest.to_string()));
    }
    parts
}

impl IntrinsicCall {
    /// Parses and statically checks an intrinsic call such as `States.Format('{}', $.x)`.
    ///
    /// The error message names what is wrong (unknown function, arity, malformed argument).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser { src: text, pos: 0 };
        p.skip_ws();
        if !p.rest().starts_with("States.") {
            return Err(format!(
                "`{text}` is not an intrinsic function call: it must start with `States.`"
            ));
        }
        let call = p.call(1)?;
        p.skip_ws();
        if p.pos < text.len() {
            return Err(format!(
                "unexpected `{}` after the end of the intrinsic call `{}`",
                p.rest(),
                call.text
            ));
        }
        Ok(call)
    }

    /// For `States.Format` with a literal template: the template split into text and `{}`
    /// placeholders, escapes taken into account (`\{\}` is text, not a placeholder).
    /// `None` when the function is not `States.Format` or its template is not a literal.
    pub fn format_template(&self) -> Option<Vec<FormatPart>> {
        if self.function != IntrinsicFunction::Format {
            return None;
        }
        if !matches!(
            self.args.first(),
            Some(IntrinsicArg::Literal(Value::String(_)))
        ) {
            return None;
        }
        // Re-read the first argument from the source text, where the escapes are still visible.
        let open = self.text.find('(')?;
        let mut p = Parser {
            src: &self.text,
            pos: open + 1,
        };
        p.skip_ws();
        if p.peek() != Some('\'') {
            return None;
        }
        p.string_literal().ok().map(|(_, parts)| parts)
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// `States.Name(args…)`, the cursor on the `S`.
    fn call(&mut self, depth: usize) -> Result<IntrinsicCall, String> {
        let start = self.pos;
        let name_start = self.pos;
        // `States.` then the function name.
        self.pos += "States.".len();
        while self.peek().is_some_and(is_name_char) {
            self.bump();
        }
        let name = &self.src[name_start..self.pos];
        let function = match IntrinsicFunction::from_name(name) {
            Some(f) => f,
            None => {
                let mut msg = if name == "States." {
                    format!(
                        "expected an intrinsic function name after `States.` in `{}`",
                        self.src
                    )
                } else {
                    format!("unknown intrinsic function `{name}`")
                };
                if let Some(s) = crate::diagnostic::did_you_mean(
                    name,
                    IntrinsicFunction::ALL.iter().map(|f| f.name()),
                ) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                return Err(msg);
            }
        };
        if depth > MAX_NESTING {
            return Err(format!(
                "intrinsic functions nest at most {MAX_NESTING} levels deep, but `{}` nests deeper",
                self.src.trim()
            ));
        }
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(format!("expected `(` after `{name}`"));
        }
        self.bump();
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.bump();
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg(depth, name)?);
                self.skip_ws();
                match self.bump() {
                    Some(',') => continue,
                    Some(')') => break,
                    Some(c) => {
                        return Err(format!(
                            "expected `,` or `)` in the arguments of `{name}`, found `{c}`"
                        ));
                    }
                    None => {
                        return Err(format!("unclosed argument list of `{name}`: expected `)`"))
                    }
                }
            }
        }
        let call = IntrinsicCall {
            function,
            args,
            text: self.src[start..self.pos].to_string(),
        };
        check(&call)?;
        Ok(call)
    }

    fn arg(&mut self, depth: usize, fname: &str) -> Result<IntrinsicArg, String> {
        let Some(c) = self.peek() else {
            return Err(format!(
                "unclosed argument list of `{fname}`: expected an argument"
            ));
        };
        match c {
            '\'' => Ok(IntrinsicArg::Literal(Value::String(self.string_literal()?.0))),
            '$' => self.path().map(IntrinsicArg::Path),
            '-' | '0'..='9' => self.number().map(IntrinsicArg::Literal),
            _ if self.rest().starts_with("States.") => Ok(IntrinsicArg::Call(Box::new(self.call(depth + 1)?))),
            _ if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.peek().is_some_and(is_name_char) {
                    self.bump();
                }
                match &self.src[start..self.pos] {
                    "true" => Ok(IntrinsicArg::Literal(Value::Bool(true))),
                    "false" => Ok(IntrinsicArg::Literal(Value::Bool(false))),
                    "null" => Ok(IntrinsicArg::Literal(Value::Null)),
                    word => Err(format!(
                        "unexpected `{word}` in the arguments of `{fname}`: expected a string in single quotes, a number, `true`, `false`, `null`, a path or an intrinsic call"
                    )),
                }
            }
            ',' | ')' => Err(format!("missing argument in the arguments of `{fname}`")),
            _ => Err(format!(
                "unexpected `{c}` in the arguments of `{fname}`: expected a string in single quotes, a number, `true`, `false`, `null`, a path or an intrinsic call"
            )),
        }
    }

    /// A single-quoted string, the cursor on the opening quote. Returns the unescaped value and
    /// its split into text and `{}` placeholders (for `States.Format`).
    fn string_literal(&mut self) -> Result<(String, Vec<FormatPart>), String> {
        let start = self.pos;
        self.bump();
        let mut value = String::new();
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(format!(
                        "unterminated string literal `{}`: expected a closing `'`",
                        &self.src[start..]
                    ));
                }
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => {
                        value.push(c);
                        text.push(c);
                    }
                    Some(c) => {
                        return Err(format!(
                            "invalid escape `\\{c}` in the string literal `{}`: only `\\'`, `\\{{`, `\\}}` and `\\\\` are allowed; write `\\\\` for a backslash",
                            &self.src[start..self.pos]
                        ));
                    }
                    None => {
                        return Err(format!(
                            "unterminated string literal `{}`: it ends with a lone `\\`",
                            &self.src[start..]
                        ));
                    }
                },
                Some('{') if self.peek() == Some('}') => {
                    self.bump();
                    value.push_str("{}");
                    if !text.is_empty() {
                        parts.push(FormatPart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(FormatPart::Placeholder);
                }
                Some(c) => {
                    value.push(c);
                    text.push(c);
                }
            }
        }
        if !text.is_empty() {
            parts.push(FormatPart::Text(text));
        }
        Ok((value, parts))
    }

    /// A number literal: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.bump();
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.bump();
            }
            p.pos - s
        };
        let int_start = self.pos;
        let n = digits(self);
        let mut ok = n > 0 && !(n > 1 && self.src[int_start..].starts_with('0'));
        if ok && self.peek() == Some('.') {
            self.bump();
            ok = digits(self) > 0;
        }
        if ok && matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            ok = digits(self) > 0;
        }
        // The literal must end here.
        while self
            .peek()
            .is_some_and(|c| !(c.is_whitespace() || c == ',' || c == ')'))
        {
            self.bump();
            ok = false;
        }
        let token = &self.src[start..self.pos];
        if !ok {
            return Err(format!("invalid number `{token}`"));
        }
        if token == "-0" {
            // JSON's `-0` is the integer zero.
            return Ok(Value::from(0));
        }
        match serde_json::from_str::<serde_json::Number>(token) {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(format!("the number `{token}` is out of range")),
        }
    }

    /// A path argument: up to the next `,`, `)` or whitespace outside brackets and quotes.
    fn path(&mut self) -> Result<Path, String> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            if depth == 0 && (c == ',' || c == ')' || c.is_whitespace()) {
                break;
            }
            self.bump();
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                '\'' | '"' if depth > 0 => {
                    // Skip the quoted name, `\` escaping the next character.
                    loop {
                        match self.bump() {
                            None => break,
                            Some('\\') => {
                                self.bump();
                            }
                            Some(q) if q == c => break,
                            Some(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let text = &self.src[start..self.pos];
        Path::parse(text).map_err(|e| e.0)
    }
}

/// Arity and the literal argument types that can never work.
fn check(call: &IntrinsicCall) -> Result<(), String> {
    use IntrinsicFunction as F;
    let n = call.args.len();
    let name = call.function.name();
    let exact = |k: usize| -> Result<(), String> {
        if n == k {
            Ok(())
        } else if k == 0 {
            Err(format!(
                "`{name}` takes no arguments but {n} {} supplied",
                if n == 1 { "was" } else { "were" }
            ))
        } else {
            Err(format!(
                "`{name}` takes {} but {n} {} supplied",
                plural(k, "argument", "arguments"),
                if n == 1 { "was" } else { "were" }
            ))
        }
    };
    match call.function {
        F::Format => {
            if n == 0 {
                return Err(format!(
                    "`{name}` takes at least 1 argument (the template) but 0 were supplied"
                ));
            }
            if let Some(IntrinsicArg::Literal(v)) = call.args.first() {
                if !v.is_string() {
                    return Err(format!(
                        "the template of `{name}` must be a string, found `{v}`"
                    ));
                }
            }
        }
        F::StringToJson | F::ArrayLength | F::ArrayUnique | F::Base64Encode | F::Base64Decode => {
            exact(1)?
        }
        F::JsonToString => {
            exact(1)?;
            if !matches!(call.args[0], IntrinsicArg::Path(_)) {
                return Err(format!(
                    "the argument of `{name}` must be a path such as `$.field`"
                ));
            }
        }
        F::Array => {}
        F::ArrayPartition
        | F::ArrayContains
        | F::ArrayGetItem
        | F::Hash
        | F::MathAdd
        | F::StringSplit => exact(2)?,
        F::ArrayRange | F::JsonMerge => exact(3)?,
        F::MathRandom => {
            if !(2..=3).contains(&n) {
                return Err(format!(
                    "`{name}` takes 2 or 3 arguments but {n} {} supplied",
                    if n == 1 { "was" } else { "were" }
                ));
            }
        }
        F::Uuid => exact(0)?,
    }
    Ok(())
}

/// True when a `.$` value is meant as an intrinsic call rather than a path.
pub fn is_intrinsic_text(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lit(v: Value) -> IntrinsicArg {
        IntrinsicArg::Literal(v)
    }

    fn path(s: &str) -> IntrinsicArg {
        IntrinsicArg::Path(Path::parse(s).unwrap())
    }

    fn err(text: &str) -> String {
        IntrinsicCall::parse(text).unwrap_err()
    }

    #[test]
    fn parses_literals_and_paths() {
        let c = IntrinsicCall::parse(
            "States.Array('a', 1, -2, 1.5, -0.25e2, true, false, null, $.x, $$.Execution.Id, $v.f)",
        )
        .unwrap();
        assert_eq!(c.function, IntrinsicFunction::Array);
        assert_eq!(
            c.args,
            vec![
                lit(json!("a")),
                lit(json!(1)),
                lit(json!(-2)),
                lit(json!(1.5)),
                lit(json!(-25.0)),
                lit(json!(true)),
                lit(json!(false)),
                lit(Value::Null),
                path("$.x"),
                path("$$.Execution.Id"),
                path("$v.f"),
            ]
        );
        assert_eq!(
            c.text,
            "States.Array('a', 1, -2, 1.5, -0.25e2, true, false, null, $.x, $$.Execution.Id, $v.f)"
        );
        assert_eq!(c.to_string(), c.text);
    }

    #[test]
    fn integer_and_float_literals_stay_distinct() {
        let c = IntrinsicCall::parse("States.Array(1, 1.0, -0, 10000000000)").unwrap();
        assert!(matches!(&c.args[0], IntrinsicArg::Literal(Value::Number(n)) if n.is_i64()));
        assert!(matches!(&c.args[1], IntrinsicArg::Literal(Value::Number(n)) if n.is_f64()));
        assert_eq!(c.args[2], lit(json!(0)));
        assert_eq!(c.args[3], lit(json!(10_000_000_000i64)));
    }

    #[test]
    fn empty_argument_lists_and_whitespace() {
        let c = IntrinsicCall::parse("  States.UUID( )  ").unwrap();
        assert_eq!(c.function, IntrinsicFunction::Uuid);
        assert!(c.args.is_empty());
        assert_eq!(c.text, "States.UUID( )");
        let c = IntrinsicCall::parse("States.Array()").unwrap();
        assert!(c.args.is_empty());
        let c = IntrinsicCall::parse("States.MathAdd(  $.a ,\t$.b  )").unwrap();
        assert_eq!(c.args, vec![path("$.a"), path("$.b")]);
    }

    #[test]
    fn string_escapes() {
        let c = IntrinsicCall::parse(
            r"States.Array('it\'s', '\{\}', 'a\\b', 'Hello
World')",
        )
        .unwrap();
        assert_eq!(
            c.args,
            vec![
                lit(json!("it's")),
                lit(json!("{}")),
                lit(json!("a\\b")),
                lit(json!("Hello\nWorld"))
            ]
        );
    }

    #[test]
    fn lone_backslash_is_rejected() {
        assert_eq!(
            err(r"States.Array('a\nb')"),
            r"invalid escape `\n` in the string literal `'a\n`: only `\'`, `\{`, `\}` and `\\` are allowed; write `\\` for a backslash"
        );
        assert_eq!(
            err(r"States.Array('a\"),
            r"unterminated string literal `'a\`: it ends with a lone `\`"
        );
        assert_eq!(
            err("States.Array('abc"),
            "unterminated string literal `'abc`: expected a closing `'`"
        );
    }

    #[test]
    fn paths_with_brackets_quotes_and_filters() {
        let c = IntrinsicCall::parse("States.Array($.a['b,c'], $.d[0], $.e[?(@.x == 'y)')], $)")
            .unwrap();
        assert_eq!(c.args.len(), 4);
        assert_eq!(c.args[0], path("$.a['b,c']"));
        assert_eq!(c.args[1], path("$.d[0]"));
        assert_eq!(c.args[2], path("$.e[?(@.x == 'y)')]"));
        assert_eq!(c.args[3], path("$"));
    }

    #[test]
    fn nested_calls() {
        let c = IntrinsicCall::parse(
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)",
        )
        .unwrap();
        let IntrinsicArg::Call(inner) = &c.args[0] else {
            panic!("expected a nested call")
        };
        assert_eq!(inner.function, IntrinsicFunction::StringSplit);
        assert_eq!(inner.text, "States.StringSplit($$.StateMachine.Name, '-')");
        assert_eq!(c.args[1], lit(json!(0)));
    }

    fn nest(levels: usize) -> String {
        let mut s = "$.x".to_string();
        for _ in 0..levels {
            s = format!("States.Array({s})");
        }
        s
    }

    #[test]
    fn nesting_limit() {
        assert!(IntrinsicCall::parse(&nest(10)).is_ok());
        let e = err(&nest(11));
        assert!(
            e.starts_with("intrinsic functions nest at most 10 levels deep"),
            "{e}"
        );
    }

    #[test]
    fn unknown_function_suggests() {
        assert_eq!(
            err("States.Fromat('x')"),
            "unknown intrinsic function `States.Fromat`; did you mean `States.Format`?"
        );
        assert_eq!(
            err("States.Uuid()"),
            "unknown intrinsic function `States.Uuid`; did you mean `States.UUID`?"
        );
        assert_eq!(
            err("States.Zzzzzzzzzz()"),
            "unknown intrinsic function `States.Zzzzzzzzzz`"
        );
        assert_eq!(
            err("Foo.Bar()"),
            "`Foo.Bar()` is not an intrinsic function call: it must start with `States.`"
        );
    }

    #[test]
    fn arity() {
        assert_eq!(
            err("States.MathAdd(1)"),
            "`States.MathAdd` takes 2 arguments but 1 was supplied"
        );
        assert_eq!(
            err("States.ArrayRange(1, 2)"),
            "`States.ArrayRange` takes 3 arguments but 2 were supplied"
        );
        assert_eq!(
            err("States.ArrayLength()"),
            "`States.ArrayLength` takes 1 argument but 0 were supplied"
        );
        assert_eq!(
            err("States.UUID(1)"),
            "`States.UUID` takes no arguments but 1 was supplied"
        );
        assert_eq!(
            err("States.MathRandom(1)"),
            "`States.MathRandom` takes 2 or 3 arguments but 1 was supplied"
        );
        assert_eq!(
            err("States.Format()"),
            "`States.Format` takes at least 1 argument (the template) but 0 were supplied"
        );
        assert!(IntrinsicCall::parse("States.MathRandom(1, 2, 3)").is_ok());
        assert!(IntrinsicCall::parse("States.Format('x')").is_ok());
        for (f, n) in [
            ("StringToJson", 1),
            ("ArrayPartition", 2),
            ("ArrayContains", 2),
            ("ArrayGetItem", 2),
            ("ArrayUnique", 1),
            ("Base64Encode", 1),
            ("Base64Decode", 1),
            ("Hash", 2),
            ("JsonMerge", 3),
            ("StringSplit", 2),
        ] {
            let args = vec!["$.a"; n].join(", ");
            assert!(
                IntrinsicCall::parse(&format!("States.{f}({args})")).is_ok(),
                "{f}"
            );
            let args = vec!["$.a"; n + 1].join(", ");
            assert!(
                IntrinsicCall::parse(&format!("States.{f}({args})")).is_err(),
                "{f}"
            );
        }
    }

    #[test]
    fn literal_argument_types() {
        assert_eq!(
            err("States.JsonToString('x')"),
            "the argument of `States.JsonToString` must be a path such as `$.field`"
        );
        assert_eq!(
            err("States.JsonToString(States.Array())"),
            "the argument of `States.JsonToString` must be a path such as `$.field`"
        );
        assert!(IntrinsicCall::parse("States.JsonToString($.a)").is_ok());
        assert_eq!(
            err("States.Format(1, $.a)"),
            "the template of `States.Format` must be a string, found `1`"
        );
        assert!(IntrinsicCall::parse("States.Format($.t, $.a)").is_ok());
    }

    #[test]
    fn malformed_input() {
        assert_eq!(
            err("States.Array(1) x"),
            "unexpected `x` after the end of the intrinsic call `States.Array(1)`"
        );
        assert_eq!(
            err("States.Array(1"),
            "unclosed argument list of `States.Array`: expected `)`"
        );
        assert_eq!(
            err("States.Array(1,"),
            "unclosed argument list of `States.Array`: expected an argument"
        );
        assert_eq!(
            err("States.Array(1,)"),
            "missing argument in the arguments of `States.Array`"
        );
        assert_eq!(
            err("States.Array(1 2)"),
            "expected `,` or `)` in the arguments of `States.Array`, found `2`"
        );
        assert_eq!(err("States.Array"), "expected `(` after `States.Array`");
        assert_eq!(err("States.Array(01)"), "invalid number `01`");
        assert_eq!(err("States.Array(1.)"), "invalid number `1.`");
        assert_eq!(err("States.Array(1x)"), "invalid number `1x`");
        assert_eq!(err("States.Array(-)"), "invalid number `-`");
        assert_eq!(
            err("States.Array(1e999)"),
            "the number `1e999` is out of range"
        );
        assert!(err("States.Array(yes)")
            .starts_with("unexpected `yes` in the arguments of `States.Array`"));
        assert!(err("States.Array(\"x\")")
            .starts_with("unexpected `\"` in the arguments of `States.Array`"));
        assert!(err("States.Array($.a b)").starts_with("expected `,` or `)`"));
        assert!(err("States.Array($.)").starts_with("invalid JSONPath `$.`"));
        assert!(err("States.()").starts_with("expected an intrinsic function name after `States.`"));
    }

    #[test]
    fn format_template_parts() {
        let c = IntrinsicCall::parse(r"States.Format('a {} b \{\} {}', $.x, $.y)").unwrap();
        assert_eq!(c.args[0], lit(json!("a {} b {} {}")));
        assert_eq!(
            c.format_template(),
            Some(vec![
                FormatPart::Text("a ".into()),
                FormatPart::Placeholder,
                FormatPart::Text(" b {} ".into()),
                FormatPart::Placeholder,
            ])
        );
        let c = IntrinsicCall::parse("States.Format($.t, $.x)").unwrap();
        assert_eq!(c.format_template(), None);
        assert_eq!(
            split_format_template("{}x{}"),
            vec![
                FormatPart::Placeholder,
                FormatPart::Text("x".into()),
                FormatPart::Placeholder
            ]
        );
        assert_eq!(split_format_template(""), vec![]);
    }

    #[test]
    fn detects_intrinsic_text() {
        assert!(is_intrinsic_text(" States.Array()"));
        assert!(!is_intrinsic_text("$.States"));
    }
}
