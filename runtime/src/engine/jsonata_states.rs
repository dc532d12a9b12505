//! JSONata states (`QueryLanguage: "JSONata"`): `Arguments`, `Output`, `Assign`, `Condition`,
//! `Items` and the `{% … %}` forms of the number and string fields, with `$states` and the
//! workflow variables as they were when the state was entered.
//!
//! Every failure of an expression is a `States.QueryEvaluationError` whose cause names the
//! expression and the field, in AWS's words.

use super::{to_text, Exec, Next, Step};
use crate::error::{names, StatesError};
use crate::io::jsonata::{type_name, Bindings, CacheError, EvalError, JsonataCache};
use crate::io::{Context, Variables};
use serde_json::{Map, Value};
use std::time::Duration;
use stepfn_asl::{
    Assign, Choice, Condition, Expr, Fail, JsonataExpr, MapState, Pass, State, Task, Template, Wait,
};

/// A `States.QueryEvaluationError`.
pub(super) fn query_error(cause: impl Into<String>) -> StatesError {
    StatesError::new(names::QUERY_EVALUATION_ERROR, cause)
}

/// Evaluates the expressions of one state: one set of bindings, one cache.
pub(super) struct Jx<'a> {
    pub cache: &'a JsonataCache,
    pub b: Bindings<'a>,
}

impl<'a> Jx<'a> {
    /// A JSONata value template (`Output`, `Arguments`, …), `field` naming it in errors.
    pub fn value(&self, t: &Template, field: &str) -> Result<Value, StatesError> {
        match t {
            Template::Literal(v) => Ok(v.clone()),
            Template::Jsonata(e) => self.expr(e, field),
            Template::Object(fields) => {
                if let Some(skeleton) = fields.skeleton() {
                    // The prebuilt object, copied (nothing hashed), its computed members filled.
                    let mut m = skeleton.clone();
                    for ((_, slot), f) in m.iter_mut().zip(fields) {
                        if !f.value.is_literal() {
                            *slot = self.value(&f.value, &format!("{field}/{}", f.key))?;
                        }
                    }
                    return Ok(Value::Object(m));
                }
                let mut m = Map::with_capacity(fields.len());
                for f in fields {
                    let v = match &f.value {
                        Template::Literal(v) => v.clone(),
                        other => self.value(other, &format!("{field}/{}", f.key))?,
                    };
                    m.insert(f.key.clone(), v);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| match t {
                    Template::Literal(v) => Ok(v.clone()),
                    other => self.value(other, &format!("{field}/{i}")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            // A JSONPath form never reaches a JSONata state; keep it as written.
            Template::Path(_) | Template::Intrinsic(_) => Ok(t.to_json()),
        }
    }

    /// One expression that must yield a value.
    pub fn expr(&self, e: &JsonataExpr, field: &str) -> Result<Value, StatesError> {
        self.raw(e, field)?.ok_or_else(|| {
            query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                e.source
            ))
        })
    }

    /// One expression; `None` when it yields nothing.
    pub fn raw(&self, e: &JsonataExpr, field: &str) -> Result<Option<Value>, StatesError> {
        self.cache.evaluate(e, &self.b).map_err(|err| match err {
            CacheError::Parse(msg) => query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' could not be parsed: {msg}",
                e.source
            )),
            CacheError::Eval(EvalError::Failed(msg)) => query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation. {msg}",
                e.source
            )),
            CacheError::Eval(EvalError::Unsupported) => query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' returned an unsupported result type.",
                e.source
            )),
        })
    }

    /// One expression whose value must pass `ok` (`want` names the expected type in errors).
    pub fn typed(
        &self,
        e: &JsonataExpr,
        field: &str,
        want: &str,
        ok: fn(&Value) -> bool,
    ) -> Result<Value, StatesError> {
        let v = self.expr(e, field)?;
        if ok(&v) {
            Ok(v)
        } else {
            Err(unexpected_type(e, field, want, &v))
        }
    }

    /// An `Expr<u64>` field (`TimeoutSeconds`, `Seconds`, `MaxConcurrency`, …).
    pub fn uint(&self, e: &Expr<u64>, field: &str) -> Result<u64, StatesError> {
        match e {
            Expr::Literal(n) => Ok(*n),
            Expr::Jsonata(x) => {
                let v = self.typed(x, field, "integer", |v| v.is_number())?;
                match v.as_u64().or_else(|| {
                    v.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                }) {
                    Some(n) => Ok(n),
                    None => Err(unexpected_type(x, field, "integer", &v)),
                }
            }
        }
    }

    /// `Assign`: the variable values, evaluated with the variables as they were on entry.
    pub fn assign(&self, a: &Assign) -> Result<Vec<(String, Value)>, StatesError> {
        match &a.template {
            Template::Object(fields) => fields
                .iter()
                .map(|f| {
                    let v = match &f.value {
                        Template::Literal(v) => v.clone(),
                        other => self.value(other, &format!("Assign/{}", f.key))?,
                    };
                    Ok((f.key.clone(), v))
                })
                .collect(),
            other => match self.value(other, "Assign")? {
                Value::Object(m) => Ok(m.into_iter().collect()),
                _ => Ok(Vec::new()),
            },
        }
    }

    /// A Choice `Condition`.
    pub fn condition(&self, c: &Condition, field: &str) -> Result<bool, StatesError> {
        match c {
            Condition::Constant(b) => Ok(*b),
            Condition::Jsonata(e) => Ok(self
                .typed(e, field, "boolean", Value::is_boolean)?
                .as_bool()
                == Some(true)),
            Condition::And(cs) => {
                for c in cs {
                    if !self.condition(c, field)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Or(cs) => {
                for c in cs {
                    if self.condition(c, field)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Not(c) => Ok(!self.condition(c, field)?),
            Condition::Compare { .. } => Err(StatesError::runtime(
                "a JSONata Choice rule takes `Condition`, not `Variable` and a comparison operator",
            )),
        }
    }
}

fn unexpected_type(e: &JsonataExpr, field: &str, want: &str, v: &Value) -> StatesError {
    query_error(format!(
        "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected '{want}', but was '{}' for value: {}",
        e.source,
        type_name(v),
        to_text(v)
    ))
}

/// A string field (`Error`, `Cause`, `Timestamp`).
fn string_field(jx: &Jx<'_>, e: &Expr<String>, field: &str) -> Result<String, StatesError> {
    match e {
        Expr::Literal(s) => Ok(s.clone()),
        Expr::Jsonata(x) => match jx.typed(x, field, "string", Value::is_string)? {
            Value::String(s) => Ok(s),
            other => Ok(to_text(&other)),
        },
    }
}

impl Exec<'_> {
    fn cache(&self) -> Result<&JsonataCache, StatesError> {
        self.jsonata.ok_or_else(|| {
            StatesError::runtime("JSONata expressions were not compiled for this machine")
        })
    }

    /// The evaluator of a state's expressions.
    pub(super) fn jx<'a>(
        &'a self,
        input: &'a Value,
        result: Option<&'a Value>,
        error_output: Option<&'a Value>,
        ctx: &'a Context<'a>,
        vars: &'a Variables,
    ) -> Result<Jx<'a>, StatesError> {
        Ok(Jx {
            cache: self.cache()?,
            b: Bindings {
                input,
                result,
                error_output,
                context: ctx,
                vars,
            },
        })
    }

    /// A state's `Assign` (absent: nothing), size-checked.
    fn jx_assign(
        &self,
        jx: &Jx<'_>,
        a: Option<&Assign>,
    ) -> Result<Vec<(String, Value)>, StatesError> {
        match a {
            Some(a) => {
                let assigned = jx.assign(a)?;
                self.check_assigned(&assigned)?;
                Ok(assigned)
            }
            None => Ok(Vec::new()),
        }
    }

    pub(super) fn jx_pass(
        &self,
        st: &State,
        p: &Pass,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let (out, assigned) = {
            let jx = self.jx(&input, p.result.as_ref(), None, ctx, vars)?;
            let assigned = self.jx_assign(&jx, st.assign.as_ref())?;
            let out = match (&st.output, &p.result) {
                (Some(t), _) => Some(jx.value(t, "Output")?),
                (None, Some(r)) => Some(r.clone()),
                (None, None) => None,
            };
            (out, assigned)
        };
        vars.assign_all(assigned);
        Ok(out.unwrap_or(input))
    }

    pub(super) fn jx_succeed(
        &self,
        st: &State,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let (out, assigned) = {
            let jx = self.jx(&input, None, None, ctx, vars)?;
            let assigned = self.jx_assign(&jx, st.assign.as_ref())?;
            let out = st
                .output
                .as_ref()
                .map(|t| jx.value(t, "Output"))
                .transpose()?;
            (out, assigned)
        };
        vars.assign_all(assigned);
        Ok(out.unwrap_or(input))
    }

    pub(super) fn jx_fail(
        &self,
        f: &Fail,
        input: &Value,
        ctx: &Context<'_>,
        vars: &Variables,
    ) -> StatesError {
        let jx = match self.jx(input, None, None, ctx, vars) {
            Ok(jx) => jx,
            Err(e) => return e,
        };
        let error = match f
            .error
            .as_ref()
            .map(|e| string_field(&jx, e, "Error"))
            .transpose()
        {
            Ok(e) => e.unwrap_or_default(),
            Err(e) => return e,
        };
        let cause = match f
            .cause
            .as_ref()
            .map(|e| string_field(&jx, e, "Cause"))
            .transpose()
        {
            Ok(c) => c.unwrap_or_default(),
            Err(e) => return e,
        };
        StatesError::new(error, cause)
    }

    pub(super) fn jx_choice(
        &self,
        st: &State,
        c: &Choice,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Step, StatesError> {
        let (matched, out, assigned) = {
            let jx = self.jx(&input, None, None, ctx, vars)?;
            let mut matched = None;
            for (i, rule) in c.choices.iter().enumerate() {
                if jx.condition(&rule.condition, &format!("Choices/{i}/Condition"))? {
                    matched = Some((i, rule));
                    break;
                }
            }
            let (output, assign) = match matched {
                Some((_, rule)) => (
                    rule.output.as_ref().or(st.output.as_ref()),
                    rule.assign.as_ref(),
                ),
                None if c.default.is_some() => (st.output.as_ref(), st.assign.as_ref()),
                None => return Err(StatesError::new(names::NO_CHOICE_MATCHED, "No Matches!")),
            };
            let assigned = self.jx_assign(&jx, assign)?;
            let out = output.map(|t| jx.value(t, "Output")).transpose()?;
            (matched.map(|(i, _)| i), out, assigned)
        };
        vars.assign_all(assigned);
        Ok(Step {
            next: Next::Choice(matched),
            output: out.unwrap_or(input),
        })
    }

    /// A JSONata Wait: its delay and where it goes after (variables already assigned).
    pub(super) fn jx_wait(
        &self,
        st: &State,
        w: &Wait,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<(Duration, Step), StatesError> {
        let (delay, out, assigned) = {
            let jx = self.jx(&input, None, None, ctx, vars)?;
            let delay = if let Some(s) = &w.seconds {
                Duration::from_secs(jx.uint(s, "Seconds")?)
            } else if let Some(t) = &w.timestamp {
                let ts = string_field(&jx, t, "Timestamp")?;
                let Some(at) = stepfn_asl::timestamp::parse(&ts) else {
                    return Err(query_error(format!(
                        "The Timestamp field does not hold a valid ISO-8601 extended offset date-time format string: {ts}"
                    )));
                };
                let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
                Duration::try_from(self.clock.now().duration_until(at)).unwrap_or(Duration::ZERO)
            } else {
                return Err(StatesError::runtime(
                    "a JSONata Wait state needs Seconds or Timestamp",
                ));
            };
            let assigned = self.jx_assign(&jx, st.assign.as_ref())?;
            let out = st
                .output
                .as_ref()
                .map(|t| jx.value(t, "Output"))
                .transpose()?;
            (delay, out, assigned)
        };
        vars.assign_all(assigned);
        Ok((delay, Step::normal(out.unwrap_or(input))))
    }

    /// A Task's `Arguments` (default: the input) and `TimeoutSeconds`.
    pub(super) fn jx_task_args(
        &self,
        t: &Task,
        input: &Value,
        ctx: &Context<'_>,
        vars: &Variables,
    ) -> Result<(Value, Option<u64>, Option<u64>), StatesError> {
        let jx = self.jx(input, None, None, ctx, vars)?;
        let timeout = t
            .timeout_seconds
            .as_ref()
            .map(|e| jx.uint(e, "TimeoutSeconds"))
            .transpose()?;
        let heartbeat = t
            .heartbeat_seconds
            .as_ref()
            .map(|h| jx.uint(h, "HeartbeatSeconds"))
            .transpose()?;
        let args = match &t.arguments {
            Some(a) => jx.value(a, "Arguments")?,
            None => input.clone(),
        };
        Ok((args, timeout, heartbeat))
    }

    /// A Parallel's `Arguments` (default: the input).
    pub(super) fn jx_arguments(
        &self,
        arguments: Option<&Template>,
        input: &Value,
        ctx: &Context<'_>,
        vars: &Variables,
    ) -> Result<Value, StatesError> {
        match arguments {
            Some(a) => self.jx(input, None, None, ctx, vars)?.value(a, "Arguments"),
            None => Ok(input.clone()),
        }
    }

    /// The tail of Task, Parallel and Map: `Assign` and `Output` (default `$states.result`).
    pub(super) fn jx_finish(
        &self,
        st: &State,
        input: &Value,
        result: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let (out, assigned) = {
            let jx = self.jx(input, Some(&result), None, ctx, vars)?;
            let assigned = self.jx_assign(&jx, st.assign.as_ref())?;
            let out = st
                .output
                .as_ref()
                .map(|t| jx.value(t, "Output"))
                .transpose()?;
            (out, assigned)
        };
        vars.assign_all(assigned);
        Ok(out.unwrap_or(result))
    }

    /// A catcher's `Assign` and `Output` (default `$states.errorOutput`).
    pub(super) fn jx_catch(
        &self,
        c: &stepfn_asl::Catcher,
        input: &Value,
        error_output: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let (out, assigned) = {
            let jx = self.jx(input, None, Some(&error_output), ctx, vars)?;
            let assigned = self.jx_assign(&jx, c.assign.as_ref())?;
            let out = c
                .output
                .as_ref()
                .map(|t| jx.value(t, "Output"))
                .transpose()?;
            (out, assigned)
        };
        vars.assign_all(assigned);
        Ok(out.unwrap_or(error_output))
    }

    /// Items, MaxConcurrency and tolerated failures of a JSONata Map.
    #[allow(clippy::type_complexity)]
    pub(super) fn jx_map_prepare(
        &self,
        m: &MapState,
        input: &Value,
        ctx: &Context<'_>,
        vars: &Variables,
    ) -> Result<
        (
            Value,
            Vec<Value>,
            u64,
            Result<Option<(u64, f64)>, StatesError>,
        ),
        StatesError,
    > {
        let jx = self.jx(input, None, None, ctx, vars)?;
        let max_concurrency = m
            .max_concurrency
            .as_ref()
            .map(|e| jx.uint(e, "MaxConcurrency"))
            .transpose()?
            .unwrap_or(0);
        let items = match &m.items {
            Some(Template::Jsonata(e)) => match jx.expr(e, "Items")? {
                Value::Array(a) => a,
                other => return Err(unexpected_type(e, "Items", "array", &other)),
            },
            Some(t) => match jx.value(t, "Items")? {
                Value::Array(a) => a,
                other => {
                    return Err(query_error(format!(
                        "The Items field must be an array but was: {}",
                        to_text(&other)
                    )))
                }
            },
            None => match input {
                Value::Array(a) => a.clone(),
                other => {
                    return Err(query_error(format!(
                        "Map state input must be an array but was: {}",
                        to_text(other)
                    )))
                }
            },
        };
        let tolerated = (|| {
            let count = m
                .tolerated_failure_count
                .as_ref()
                .map(|e| jx.uint(e, "ToleratedFailureCount"))
                .transpose()?;
            let pct = match &m.tolerated_failure_percentage {
                None => None,
                Some(Expr::Literal(n)) => n.as_f64(),
                Some(Expr::Jsonata(e)) => {
                    let v =
                        jx.typed(e, "ToleratedFailurePercentage", "number", Value::is_number)?;
                    let f = v.as_f64().unwrap_or(0.0);
                    if !(0.0..=100.0).contains(&f) {
                        return Err(query_error(
                            "ToleratedFailurePercentage must be between 0 and 100.",
                        ));
                    }
                    Some(f)
                }
            };
            Ok(match (count, pct) {
                (None, None) => None,
                (c, p) => Some((c.unwrap_or(u64::MAX), p.unwrap_or(100.0))),
            })
        })();
        Ok((input.clone(), items, max_concurrency, tolerated))
    }

    /// The input of one Map iteration: `ItemSelector` with `$states.context.Map.Item`.
    pub(super) fn jx_item(
        &self,
        selector: &Template,
        input: &Value,
        ictx: &Context<'_>,
        vars: &Variables,
    ) -> Result<Value, StatesError> {
        self.jx(input, None, None, ictx, vars)?
            .value(selector, "ItemSelector")
    }
}
