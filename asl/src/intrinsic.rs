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

impl IntrinsicCall {
    /// Parses and statically checks an intrinsic call such as `States.Format('{}', $.x)`.
    ///
    /// The error message names what is wrong (unknown function, arity, malformed argument).
    pub fn parse(text: &str) -> Result<Self, String> {
        Err(format!("intrinsic functions are not supported yet: `{text}`"))
    }
}

/// True when a `.$` value is meant as an intrinsic call rather than a path.
pub fn is_intrinsic_text(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}
