//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath `Assign`) and
//! JSONata value templates (`Arguments`, `Output`, `Assign`, …), parsed once at load time.

use crate::intrinsic::{is_intrinsic_text, IntrinsicCall};
use crate::path::Path;
use serde_json::{Map, Value};

/// A JSONata expression written as `"{% … %}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataExpr {
    /// The expression between `{%` and `%}`, trimmed.
    pub source: String,
    /// The JSON string as written, `{% … %}`.
    pub raw: String,
}

impl JsonataExpr {
    /// Recognises `"{% expr %}"`: it must start with `{%` and end with `%}` exactly.
    pub fn from_str_value(s: &str) -> Option<Self> {
        let inner = s.strip_prefix("{%")?.strip_suffix("%}")?;
        Some(Self {
            source: inner.trim().to_string(),
            raw: s.to_string(),
        })
    }

    /// The JSON string form, as written.
    pub fn to_json_string(&self) -> String {
        self.raw.clone()
    }
}

/// A value whose parts may be computed when the state runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A constant (no dynamic part anywhere inside).
    Literal(Value),
    /// An object with at least one dynamic part, in source order.
    Object(ObjectTemplate),
    /// An array with at least one dynamic part.
    Array(Vec<Template>),
    /// A path (`"key.$": "$.x"`), JSONPath only.
    Path(Path),
    /// An intrinsic call (`"key.$": "States.Format(…)"`), JSONPath only.
    Intrinsic(IntrinsicCall),
    /// A JSONata expression (`"{% … %}"`), JSONata only.
    Jsonata(JsonataExpr),
}

/// The members of a [`Template::Object`], in source order, with the object they make prebuilt:
/// every key in place, literal members filled in, computed ones `null`. Copying that object and
/// filling in the computed members makes the result without hashing a key (inserting into a
/// `serde_json::Map` hashes each one).
#[derive(Debug, Clone)]
pub struct ObjectTemplate {
    fields: Vec<TemplateField>,
    skeleton: Option<Map<String, Value>>,
    input_bound: Option<(usize, usize)>,
}

impl ObjectTemplate {
    /// The template of an object with these members.
    pub fn new(fields: Vec<TemplateField>) -> Self {
        let mut skeleton = Map::with_capacity(fields.len());
        // Braces, commas, and every member's quoted key and colon; literal values too.
        let mut fixed_len = 2 + fields.len().saturating_sub(1);
        for f in &fields {
            fixed_len += json_len(&Value::String(f.key.clone())) + 1;
            if let Template::Literal(v) = &f.value {
                fixed_len += json_len(v);
            }
            let v = match &f.value {
                Template::Literal(v) => v.clone(),
                _ => Value::Null,
            };
            skeleton.insert(f.key.clone(), v);
        }
        // Two members with one key (`a` and `a.$`): the object keeps the last; no skeleton.
        let distinct = skeleton.len() == fields.len();
        let skeleton = (distinct && copies_tightly(fields.len())).then_some(skeleton);
        let input_bound = input_bound_parts(&fields, fixed_len);
        Self {
            fields,
            skeleton,
            input_bound,
        }
    }

    /// When every computed member (nested objects included) is a definite path into the
    /// input (`$…`) or an intrinsic whose result's length is bounded
    /// ([`crate::intrinsic::IntrinsicFunction::result_len_bound`]): `(fixed, paths)`, so the
    /// made object's text is at most `fixed + paths × n` bytes for an input of at most `n`.
    /// `None` when some member is anything else.
    #[inline]
    pub fn input_bound_parts(&self) -> Option<(usize, usize)> {
        self.input_bound
    }

    /// The members, in source order.
    #[inline]
    pub fn fields(&self) -> &[TemplateField] {
        &self.fields
    }

    /// The object prebuilt with every key in place (computed members `null`); `None` when two
    /// members share a key or a copy of it would carry unused capacity.
    #[inline]
    pub fn skeleton(&self) -> Option<&Map<String, Value>> {
        self.skeleton.as_ref()
    }
}

/// [`ObjectTemplate::input_bound_parts`] of an object with these members.
fn input_bound_parts(fields: &[TemplateField], fixed_len: usize) -> Option<(usize, usize)> {
    let (mut fixed, mut paths) = (fixed_len, 0);
    for f in fields {
        match &f.value {
            Template::Literal(_) => {}
            Template::Path(p) if *p.root() == crate::path::PathRoot::Input && p.is_definite() => {
                paths += 1;
            }
            Template::Intrinsic(call) => fixed += call.function.result_len_bound()?,
            Template::Object(o) => {
                let (f, p) = o.input_bound?;
                fixed += f;
                paths += p;
            }
            _ => return None,
        }
    }
    Some((fixed, paths))
}

/// The length of `v`'s compact JSON text.
fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |t| t.len())
}

/// True when a copy of an `n`-member `serde_json::Map` holds at most one unused entry. A copy
/// reserves entries up to the capacity of its index table (3 for up to 3 members, 7 for up to
/// 7, then 14, 28, …), and objects kept in bulk (a Map state's results) must not carry that
/// slack: elsewhere members are inserted (and hashed) one by one.
fn copies_tightly(n: usize) -> bool {
    let buckets = if n < 4 {
        4
    } else if n < 8 {
        8
    } else {
        (n * 8 / 7).next_power_of_two()
    };
    let capacity = if buckets < 8 {
        buckets - 1
    } else {
        buckets / 8 * 7
    };
    capacity.saturating_sub(n) <= 1
}

impl std::ops::Deref for ObjectTemplate {
    type Target = [TemplateField];
    fn deref(&self) -> &[TemplateField] {
        &self.fields
    }
}

impl<'a> IntoIterator for &'a ObjectTemplate {
    type Item = &'a TemplateField;
    type IntoIter = std::slice::Iter<'a, TemplateField>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

impl PartialEq for ObjectTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
    }
}

/// One member of a [`Template::Object`].
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateField {
    /// The output key (without the `.$` suffix).
    pub key: String,
    /// The value.
    pub value: Template,
}

/// A problem in a template: the JSON location (relative keys) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Keys and indices from the template's root to the bad value.
    pub at: Vec<crate::diagnostic::Segment>,
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// Parses a JSONPath payload template: keys ending in `.$` take a path or an intrinsic call.
    pub fn parse_payload(v: &Value, errors: &mut Vec<TemplateError>) -> Template {
        parse_payload_at(v, &mut Vec::new(), errors)
    }

    /// Parses a JSONata value: any string `{% … %}` at any depth is an expression.
    pub fn parse_jsonata(v: &Value) -> Template {
        match v {
            Value::String(s) => match JsonataExpr::from_str_value(s) {
                Some(e) => Template::Jsonata(e),
                None => Template::Literal(v.clone()),
            },
            Value::Object(m) => {
                let fields: Vec<TemplateField> = m
                    .iter()
                    .map(|(k, v)| TemplateField {
                        key: k.clone(),
                        value: Template::parse_jsonata(v),
                    })
                    .collect();
                collapse_object(fields)
            }
            Value::Array(a) => collapse_array(a.iter().map(Template::parse_jsonata).collect()),
            _ => Template::Literal(v.clone()),
        }
    }

    /// True when nothing inside is computed.
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// Every path used inside, for validation and analysis.
    pub fn visit(&self, f: &mut dyn FnMut(&Template)) {
        f(self);
        match self {
            Template::Object(fields) => fields.iter().for_each(|fl| fl.value.visit(f)),
            Template::Array(items) => items.iter().for_each(|t| t.visit(f)),
            _ => {}
        }
    }

    /// Serializes back to ASL JSON (`.$` suffixes restored in JSONPath templates).
    pub fn to_json(&self) -> Value {
        match self {
            Template::Literal(v) => v.clone(),
            Template::Path(p) => Value::String(p.as_str().to_string()),
            Template::Intrinsic(c) => Value::String(c.text.clone()),
            Template::Jsonata(e) => Value::String(e.to_json_string()),
            Template::Array(items) => Value::Array(items.iter().map(Template::to_json).collect()),
            Template::Object(fields) => {
                let mut m = Map::new();
                for f in fields {
                    let key = match f.value {
                        Template::Path(_) | Template::Intrinsic(_) => format!("{}.$", f.key),
                        _ => f.key.clone(),
                    };
                    m.insert(key, f.value.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

fn collapse_object(fields: Vec<TemplateField>) -> Template {
    if fields.iter().all(|f| f.value.is_literal()) {
        let mut m = Map::new();
        for f in fields {
            if let Template::Literal(v) = f.value {
                m.insert(f.key, v);
            }
        }
        Template::Literal(Value::Object(m))
    } else {
        Template::Object(ObjectTemplate::new(fields))
    }
}

fn collapse_array(items: Vec<Template>) -> Template {
    if items.iter().all(Template::is_literal) {
        Template::Literal(Value::Array(
            items
                .into_iter()
                .filter_map(|t| match t {
                    Template::Literal(v) => Some(v),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        Template::Array(items)
    }
}

fn parse_payload_at(
    v: &Value,
    at: &mut Vec<crate::diagnostic::Segment>,
    errors: &mut Vec<TemplateError>,
) -> Template {
    use crate::diagnostic::Segment;
    match v {
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            for (k, val) in m {
                at.push(Segment::Key(k.clone()));
                if let Some(key) = k.strip_suffix(".$") {
                    let value = match val {
                        Value::String(s) => match parse_dynamic(s) {
                            Ok(t) => t,
                            Err(message) => {
                                errors.push(TemplateError {
                                    at: at.clone(),
                                    message,
                                });
                                Template::Literal(Value::Null)
                            }
                        },
                        _ => {
                            errors.push(TemplateError {
                                at: at.clone(),
                                message: format!("the value of `{k}` must be a string holding a path or an intrinsic function"),
                            });
                            Template::Literal(Value::Null)
                        }
                    };
                    fields.push(TemplateField {
                        key: key.to_string(),
                        value,
                    });
                } else {
                    fields.push(TemplateField {
                        key: k.clone(),
                        value: parse_payload_at(val, at, errors),
                    });
                }
                at.pop();
            }
            collapse_object(fields)
        }
        Value::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            for (i, val) in a.iter().enumerate() {
                at.push(Segment::Index(i));
                items.push(parse_payload_at(val, at, errors));
                at.pop();
            }
            collapse_array(items)
        }
        _ => Template::Literal(v.clone()),
    }
}

/// Parses the value of a `.$` key: an intrinsic call or a path.
pub fn parse_dynamic(s: &str) -> Result<Template, String> {
    if is_intrinsic_text(s) {
        IntrinsicCall::parse(s).map(Template::Intrinsic)
    } else {
        Path::parse(s).map(Template::Path).map_err(|e| e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payload_round_trip() {
        let v =
            json!({"a": 1, "b.$": "$.x", "c": {"d.$": "$$.Execution.Id", "e": [1, {"f.$": "$v"}]}});
        let mut errs = Vec::new();
        let t = Template::parse_payload(&v, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(t.to_json(), v);
        assert!(matches!(t, Template::Object(_)));
    }

    #[test]
    fn object_skeleton_holds_keys_in_order_and_literals() {
        assert_eq!(
            (1..=16).filter(|n| copies_tightly(*n)).collect::<Vec<_>>(),
            [2, 3, 6, 7, 13, 14]
        );
        let v = json!({"a.$": "$.x", "b": 2, "c": {"d.$": "$.y"}});
        let Template::Object(o) = Template::parse_payload(&v, &mut Vec::new()) else {
            panic!("an object template")
        };
        let skeleton = o.skeleton().expect("distinct keys");
        assert_eq!(
            Value::Object(skeleton.clone()),
            json!({"a": null, "b": 2, "c": null})
        );
        let keys: Vec<&str> = skeleton.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        // `a` and `a.$` make one key: no skeleton, the members are inserted one by one.
        let v = json!({"a": 1, "a.$": "$.x"});
        let Template::Object(o) = Template::parse_payload(&v, &mut Vec::new()) else {
            panic!("an object template")
        };
        assert!(o.skeleton().is_none());
    }

    #[test]
    fn static_collapses() {
        let v = json!({"a": 1, "b": ["$.x"]});
        let t = Template::parse_payload(&v, &mut Vec::new());
        assert_eq!(t, Template::Literal(v));
    }

    #[test]
    fn bad_dynamic_is_reported() {
        let mut errs = Vec::new();
        Template::parse_payload(&json!({"x": {"y.$": 3}}), &mut errs);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].at.len(), 2);
    }

    #[test]
    fn jsonata_values() {
        let v = json!({"a": "{% $states.input.x %}", "b": ["{%1+1%}", 2], "c": "{ % no"});
        let t = Template::parse_jsonata(&v);
        assert!(matches!(t, Template::Object(_)));
        assert_eq!(
            JsonataExpr::from_str_value("{%1+1%}").unwrap().source,
            "1+1"
        );
        assert!(JsonataExpr::from_str_value(" {% 1 %}").is_none());
    }
}
