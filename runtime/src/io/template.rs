//! Evaluating payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath `Assign`).

use super::{intrinsics, paths, Env};
use crate::error::StatesError;
use serde_json::{Map, Value};
use std::borrow::Cow;
use stepfn_asl::path::PathRoot;
use stepfn_asl::{Template, TemplateField};

/// Evaluates a template against `input` (the value `$` names).
pub fn evaluate(t: &Template, input: &Value, env: &Env<'_>) -> Result<Value, StatesError> {
    eval_at(t, input, env, None)
}

/// An upper bound of the compact JSON text length of what `t` makes from an input whose text is
/// at most `input_bound` bytes, when one is known without evaluating: objects of literals and
/// definite paths into the input (a value found there is part of the input), and intrinsics
/// whose result's length the function bounds. `None` for anything else (other intrinsics,
/// arrays, context and variable paths, …): the result is counted.
#[inline]
pub fn output_bound(t: &Template, input_bound: usize) -> Option<usize> {
    // A selection is at most the input, except that InputPath `null` makes the input `{}`,
    // which can be longer than a one-byte raw input.
    let input_bound = input_bound.max(2);
    match t {
        Template::Object(o) => o
            .input_bound_parts()
            .map(|(fixed, paths)| fixed.saturating_add(paths.saturating_mul(input_bound))),
        Template::Path(p) if *p.root() == PathRoot::Input && p.is_definite() => Some(input_bound),
        Template::Intrinsic(call) => call.function.result_len_bound(),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::context::{Context, ExecutionInfo};
    use crate::io::vars::Variables;
    use serde_json::json;

    fn template(v: Value) -> Template {
        let mut errors = Vec::new();
        let t = Template::parse_payload(&v, &mut errors);
        assert!(errors.is_empty(), "{v}: {errors:?}");
        t
    }

    #[test]
    fn output_bound_covers_what_the_template_makes() {
        let info = ExecutionInfo {
            id: "arn:x".into(),
            name: "n".into(),
            start_time: "t".into(),
            input: Value::Null,
            role_arn: "r".into(),
            redrive_count: 0,
            state_machine_id: "sm".into(),
            state_machine_name: "smn".into(),
        };
        let ctx = Context::new(&info, "S", jiff::Timestamp::UNIX_EPOCH, Some(0));
        let vars = Variables::new();
        let env = Env {
            context: &ctx,
            vars: &vars,
        };
        // Every (template, input) pair: the made object's text fits the bound.
        let plain = json!({"a": {"a": 1, "s": "x\"y\n"}, "n": [1, 2.5, null], "b": true});
        let long = json!({"n": [1, 2], "s": "x".repeat(1000), "big": -2147483648i64});
        let cases = [
            // Literals and definite input paths.
            (json!({"a.$": "$.a.a", "b": 2}), &plain),
            (
                json!({"whole.$": "$", "lit": {"k": "v\u{1}é"}, "deep": {"x.$": "$.a.s", "y": [1, "z"]}}),
                &plain,
            ),
            (json!({"n.$": "$.n", "dup": 1, "dup.$": "$.b"}), &plain),
            (json!({"whole.$": "$"}), &json!({})),
            // Intrinsics whose function bounds its result, at their longest.
            (
                json!({"a.$": "States.MathAdd($.big, $.big)", "r.$": "States.MathRandom($.big, 2147483647)"}),
                &long,
            ),
            (
                json!({"l.$": "States.ArrayLength($.n)", "c.$": "States.ArrayContains($.n, 1)"}),
                &long,
            ),
            (
                json!({"u.$": "States.UUID()", "h.$": "States.Hash($.s, 'SHA-512')"}),
                &long,
            ),
            (
                json!({"m.$": "States.Hash($.s, 'MD5')", "in.$": "$.s", "x": [1, 2]}),
                &long,
            ),
        ];
        for (t, input) in cases {
            let t = template(t);
            let input_len = serde_json::to_string(input).unwrap().len();
            let made = evaluate(&t, input, &env).unwrap();
            let made_len = serde_json::to_string(&made).unwrap().len();
            let bound = output_bound(&t, input_len).expect("a bounded template");
            assert!(
                made_len <= bound,
                "{made} is {made_len} bytes, bound {bound}"
            );
        }
        // InputPath `null` makes a one-byte input `{}`.
        assert!(output_bound(&template(json!({"w.$": "$"})), 1).unwrap() >= r#"{"w":{}}"#.len());
        let input_len = serde_json::to_string(&long).unwrap().len();
        // Other intrinsics, indefinite paths and the context object have no bound without
        // evaluating.
        for t in [
            json!({"x.$": "States.ArrayRange(1, 100, 1)"}),
            json!({"x.$": "$..a"}),
            json!({"x.$": "$$.Execution.Id"}),
        ] {
            assert_eq!(output_bound(&template(t), input_len), None);
        }
    }
}
