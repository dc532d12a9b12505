//! Evaluating payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath `Assign`).

use super::{intrinsics, paths, Env};
use crate::error::StatesError;
use serde_json::{Map, Value};
use std::borrow::Cow;
use stepfn_asl::{Template, TemplateField};

/// Evaluates a template against `input` (the value `$` names).
pub fn evaluate(t: &Template, input: &Value, env: &Env<'_>) -> Result<Value, StatesError> {
    eval_at(t, input, env, None)
}

fn eval_at<'v>(
    t: &'v Template,
    input: &'v Value,
    env: &Env<'v>,
    key: Option<&str>,
) -> Result<Value, StatesError> {
    match t {
        Template::Literal(v) => Ok(v.clone()),
        Template::Object(fields) => {
            if let Some(skeleton) = fields.skeleton() {
                // The prebuilt object, copied (keys and literals in place, nothing hashed), its
                // computed members filled in.
                let mut m = skeleton.clone();
                for ((_, slot), TemplateField { key, value }) in m.iter_mut().zip(fields) {
                    let field = match value {
                        Template::Literal(_) => continue,
                        Template::Path(_) | Template::Intrinsic(_) => Some(key.as_str()),
                        _ => None,
                    };
                    *slot = eval_at(value, input, env, field)?;
                }
                return Ok(Value::Object(m));
            }
            let mut m = Map::with_capacity(fields.len());
            for TemplateField { key, value } in fields {
                let field = match value {
                    Template::Path(_) | Template::Intrinsic(_) => Some(key.as_str()),
                    _ => None,
                };
                m.insert(key.clone(), eval_at(value, input, env, field)?);
            }
            Ok(Value::Object(m))
        }
        Template::Array(items) => items
            .iter()
            .map(|i| eval_at(i, input, env, None))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Template::Path(p) => match paths::select(p, input, env)? {
            Some(v) => Ok(v),
            None => {
                let field = format!("{}.$", key.unwrap_or(""));
                Err(paths::path_not_found(p, &field, input))
            }
        },
        Template::Intrinsic(call) => {
            intrinsics::evaluate(call, &mut |p| {
                // A definite path's value is borrowed, not copied.
                let found = if p.is_definite() {
                    paths::select_ref(p, input, env)?.map(Cow::Borrowed)
                } else {
                    paths::select(p, input, env)?.map(Cow::Owned)
                };
                found.ok_or_else(|| {
                    paths::path_not_found(p, &format!("{}.$", key.unwrap_or("")), input)
                })
            })
        }
        Template::Jsonata(e) => Err(StatesError::runtime(format!(
            "a JSONata expression `{}` appeared in a JSONPath template",
            e.source
        ))),
    }
}
