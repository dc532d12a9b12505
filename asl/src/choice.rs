//! Choice rules: comparisons, type tests, `And`/`Or`/`Not`, and JSONata `Condition`s.

use crate::model::Assign;
use crate::path::Path;
use crate::template::{JsonataExpr, Template};
use serde_json::Value;

/// One element of `Choices`: a condition and where it leads.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    /// The condition.
    pub condition: Condition,
    /// `Next` (required at the top level of `Choices`, absent in nested rules).
    pub next: Option<String>,
    /// `Assign` applied when this rule matches.
    pub assign: Option<Assign>,
    /// `Output` (JSONata) applied when this rule matches.
    pub output: Option<Template>,
    /// `Comment`.
    pub comment: Option<String>,
}

/// A boolean condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `And`: all of them.
    And(Vec<Condition>),
    /// `Or`: any of them.
    Or(Vec<Condition>),
    /// `Not`.
    Not(Box<Condition>),
    /// `Variable` compared with an operator.
    Compare {
        /// `Variable`: the value under test.
        variable: Path,
        /// The operator.
        op: Comparison,
        /// The operand: a literal, or a path for the `…Path` forms.
        operand: Operand,
    },
    /// `Condition: "{% … %}"` (JSONata).
    Jsonata(JsonataExpr),
    /// `Condition: true` or `false` (JSONata, a constant).
    Constant(bool),
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal value (`StringEquals: "x"`).
    Literal(Value),
    /// A path (`StringEqualsPath: "$.y"`).
    Path(Path),
}

/// The comparison operators of the States Language (without their `Path` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// What kind of literal an operator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// A timestamp string.
    Timestamp,
}

impl Comparison {
    /// Every operator.
    pub const ALL: [Comparison; 23] = [
        Self::StringEquals,
        Self::StringLessThan,
        Self::StringGreaterThan,
        Self::StringLessThanEquals,
        Self::StringGreaterThanEquals,
        Self::StringMatches,
        Self::NumericEquals,
        Self::NumericLessThan,
        Self::NumericGreaterThan,
        Self::NumericLessThanEquals,
        Self::NumericGreaterThanEquals,
        Self::BooleanEquals,
        Self::TimestampEquals,
        Self::TimestampLessThan,
        Self::TimestampGreaterThan,
        Self::TimestampLessThanEquals,
        Self::TimestampGreaterThanEquals,
        Self::IsNull,
        Self::IsPresent,
        Self::IsNumeric,
        Self::IsString,
        Self::IsBoolean,
        Self::IsTimestamp,
    ];

    /// The ASL name, e.g. `NumericLessThan`.
    pub fn name(self) -> &'static str {
        match self {
            Self::StringEquals => "StringEquals",
            Self::StringLessThan => "StringLessThan",
            Self::StringGreaterThan => "StringGreaterThan",
            Self::StringLessThanEquals => "StringLessThanEquals",
            Self::StringGreaterThanEquals => "StringGreaterThanEquals",
            Self::StringMatches => "StringMatches",
            Self::NumericEquals => "NumericEquals",
            Self::NumericLessThan => "NumericLessThan",
            Self::NumericGreaterThan => "NumericGreaterThan",
            Self::NumericLessThanEquals => "NumericLessThanEquals",
            Self::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Self::BooleanEquals => "BooleanEquals",
            Self::TimestampEquals => "TimestampEquals",
            Self::TimestampLessThan => "TimestampLessThan",
            Self::TimestampGreaterThan => "TimestampGreaterThan",
            Self::TimestampLessThanEquals => "TimestampLessThanEquals",
            Self::TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
            Self::IsNull => "IsNull",
            Self::IsPresent => "IsPresent",
            Self::IsNumeric => "IsNumeric",
            Self::IsString => "IsString",
            Self::IsBoolean => "IsBoolean",
            Self::IsTimestamp => "IsTimestamp",
        }
    }

    /// Parses an operator field name; the flag is true for the `…Path` form.
    pub fn from_field(field: &str) -> Option<(Comparison, bool)> {
        if let Some(op) = Self::ALL.into_iter().find(|c| c.name() == field) {
            return Some((op, false));
        }
        let base = field.strip_suffix("Path")?;
        let op = Self::ALL.into_iter().find(|c| c.name() == base)?;
        op.has_path_form().then_some((op, true))
    }

    /// True for operators with a `…Path` variant (all but `StringMatches` and the type tests).
    pub fn has_path_form(self) -> bool {
        !matches!(self, Self::StringMatches) && !self.is_type_test()
    }

    /// True for `IsNull`, `IsPresent`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp`.
    pub fn is_type_test(self) -> bool {
        matches!(
            self,
            Self::IsNull
                | Self::IsPresent
                | Self::IsNumeric
                | Self::IsString
                | Self::IsBoolean
                | Self::IsTimestamp
        )
    }

    /// The literal type the operator expects.
    pub fn operand_type(self) -> OperandType {
        match self {
            Self::StringEquals
            | Self::StringLessThan
            | Self::StringGreaterThan
            | Self::StringLessThanEquals
            | Self::StringGreaterThanEquals
            | Self::StringMatches => OperandType::String,
            Self::NumericEquals
            | Self::NumericLessThan
            | Self::NumericGreaterThan
            | Self::NumericLessThanEquals
            | Self::NumericGreaterThanEquals => OperandType::Number,
            Self::TimestampEquals
            | Self::TimestampLessThan
            | Self::TimestampGreaterThan
            | Self::TimestampLessThanEquals
            | Self::TimestampGreaterThanEquals => OperandType::Timestamp,
            _ => OperandType::Boolean,
        }
    }
}

impl Condition {
    /// Serializes the condition's own fields (without `Next`, `Assign`, `Output`, `Comment`).
    pub fn to_json_fields(&self, m: &mut serde_json::Map<String, Value>) {
        match self {
            Condition::And(cs) => {
                m.insert(
                    "And".into(),
                    Value::Array(cs.iter().map(Condition::to_json).collect()),
                );
            }
            Condition::Or(cs) => {
                m.insert(
                    "Or".into(),
                    Value::Array(cs.iter().map(Condition::to_json).collect()),
                );
            }
            Condition::Not(c) => {
                m.insert("Not".into(), c.to_json());
            }
            Condition::Compare {
                variable,
                op,
                operand,
            } => {
                m.insert(
                    "Variable".into(),
                    Value::String(variable.as_str().to_string()),
                );
                match operand {
                    Operand::Literal(v) => {
                        m.insert(op.name().into(), v.clone());
                    }
                    Operand::Path(p) => {
                        m.insert(
                            format!("{}Path", op.name()),
                            Value::String(p.as_str().to_string()),
                        );
                    }
                }
            }
            Condition::Jsonata(e) => {
                m.insert("Condition".into(), Value::String(e.to_json_string()));
            }
            Condition::Constant(b) => {
                m.insert("Condition".into(), Value::Bool(*b));
            }
        }
    }

    /// Serializes a nested condition.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        self.to_json_fields(&mut m);
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert_eq!(
            Comparison::from_field("NumericLessThan"),
            Some((Comparison::NumericLessThan, false))
        );
        assert_eq!(
            Comparison::from_field("NumericLessThanPath"),
            Some((Comparison::NumericLessThan, true))
        );
        assert_eq!(Comparison::from_field("StringMatchesPath"), None);
        assert_eq!(Comparison::from_field("IsNullPath"), None);
        assert_eq!(Comparison::from_field("Nope"), None);
    }
}
