//! JSONata expressions (`"{% … %}"`) of JSONata states.
//!
//! Three parts:
//! * [`JsonataEngine`], our small trait over a JSONata implementation, so the engine can be
//!   swapped. The default one ([`CoreEngine`], feature `jsonata`) is `jsonata-core`, with the
//!   dialect Step Functions runs: JSONata 2.x without `$eval`, plus `$partition`, `$range`,
//!   `$hash`, `$random([seed])`, `$uuid` and `$parse`.
//! * [`Bindings`]: what an expression reads, `$states` (`input`, `result`, `errorOutput`,
//!   `context`) and the workflow variables.
//! * [`JsonataCache`]: every expression of a machine compiled once, when the machine is loaded.

use super::{Context, Variables};
use serde_json::Value;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use stepfn_asl::choice::Condition;
use stepfn_asl::{Expr, JsonataExpr, State, StateKind, StateMachine, Template};

/// An expression compiled by a [`JsonataEngine`].
pub struct Compiled {
    /// The expression text (between `{%` and `%}`, trimmed).
    pub source: String,
    /// The `$names` the expression mentions (a superset of the variables it reads).
    pub names: Vec<String>,
    /// True when the expression may read `$states.context`.
    pub reads_context: bool,
    program: Box<dyn Any + Send + Sync>,
}

impl Compiled {
    /// Wraps an engine's compiled program.
    pub fn new(source: &str, program: Box<dyn Any + Send + Sync>) -> Self {
        let names = mentioned_names(source);
        let reads_context = names.iter().any(|n| n == "states") && source.contains("context");
        Self {
            source: source.to_string(),
            names,
            reads_context,
            program,
        }
    }

    /// The engine's program.
    pub fn program(&self) -> &(dyn Any + Send + Sync) {
        &*self.program
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("source", &self.source)
            .finish()
    }
}

/// What an expression can read.
#[derive(Clone, Copy)]
pub struct Bindings<'a> {
    /// `$states.input`: the state's input.
    pub input: &'a Value,
    /// `$states.result`, in `Output` and `Assign` of a Task, Parallel or Map.
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`, in a catcher's `Output` and `Assign`.
    pub error_output: Option<&'a Value>,
    /// `$states.context`.
    pub context: &'a Context<'a>,
    /// The workflow variables, as they were when the state was entered.
    pub vars: &'a Variables,
}

/// Why an evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The expression raised an error (the JSONata message, e.g. `T1006: …`).
    Failed(String),
    /// The result is not JSON (a function).
    Unsupported,
}

/// A JSONata implementation.
pub trait JsonataEngine: Send + Sync {
    /// Parses an expression. The error is the parser's message.
    fn compile(&self, source: &str) -> Result<Compiled, String>;
    /// Evaluates a compiled expression; `Ok(None)` when it yields nothing (undefined).
    fn evaluate(
        &self,
        compiled: &Compiled,
        bindings: &Bindings<'_>,
    ) -> Result<Option<Value>, EvalError>;
}

/// The `$name`s mentioned in an expression (strings included: a superset is harmless).
fn mentioned_names(src: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_alphanumeric() || d == '_' {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if end > start {
            let name = &src[start..end];
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The engine used by default: `jsonata-core` with feature `jsonata`, otherwise one that refuses.
pub fn default_engine() -> Arc<dyn JsonataEngine> {
    #[cfg(feature = "jsonata")]
    {
        Arc::new(CoreEngine)
    }
    #[cfg(not(feature = "jsonata"))]
    {
        Arc::new(DisabledEngine)
    }
}

/// The engine of builds without the `jsonata` feature: every expression fails to compile.
#[cfg(not(feature = "jsonata"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledEngine;

#[cfg(not(feature = "jsonata"))]
impl JsonataEngine for DisabledEngine {
    fn compile(&self, _source: &str) -> Result<Compiled, String> {
        Err("this build of stepfn has no JSONata support (cargo feature `jsonata`)".into())
    }
    fn evaluate(
        &self,
        _compiled: &Compiled,
        _bindings: &Bindings<'_>,
    ) -> Result<Option<Value>, EvalError> {
        Err(EvalError::Failed(
            "this build of stepfn has no JSONata support".into(),
        ))
    }
}

/// Every JSONata expression of one machine, compiled once.
#[derive(Clone)]
pub struct JsonataCache {
    engine: Arc<dyn JsonataEngine>,
    compiled: HashMap<String, Result<Arc<Compiled>, String>>,
}

impl std::fmt::Debug for JsonataCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonataCache")
            .field("expressions", &self.compiled.len())
            .finish()
    }
}

impl JsonataCache {
    /// Compiles every expression of `machine` with `engine`; `None` when the machine has none and
    /// no JSONata state (JSONPath machines pay nothing).
    pub fn for_machine(machine: &StateMachine, engine: Arc<dyn JsonataEngine>) -> Option<Self> {
        let mut exprs = Vec::new();
        let mut any_jsonata = machine.query_language == Some(stepfn_asl::QueryLanguage::Jsonata);
        for st in machine.states.values() {
            collect_state(st, &mut exprs, &mut any_jsonata);
        }
        if !any_jsonata && exprs.is_empty() {
            return None;
        }
        let mut compiled = HashMap::new();
        for e in exprs {
            if !compiled.contains_key(&e.source) {
                let c = compile_guarded(&*engine, &e.source).map(Arc::new);
                compiled.insert(e.source.clone(), c);
            }
        }
        Some(Self { engine, compiled })
    }

    /// The compiled form of `e` (compiled now if it was not seen at load time).
    pub fn get(&self, e: &JsonataExpr) -> Result<Arc<Compiled>, String> {
        match self.compiled.get(&e.source) {
            Some(c) => c.clone(),
            None => compile_guarded(&*self.engine, &e.source).map(Arc::new),
        }
    }

    /// Evaluates `e`, never panicking.
    pub fn evaluate(
        &self,
        e: &JsonataExpr,
        bindings: &Bindings<'_>,
    ) -> Result<Option<Value>, CacheError> {
        let c = self.get(e).map_err(CacheError::Parse)?;
        let engine = &*self.engine;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine.evaluate(&c, bindings)
        })) {
            Ok(r) => r.map_err(CacheError::Eval),
            Err(_) => Err(CacheError::Eval(EvalError::Failed(
                "the JSONata engine failed unexpectedly on this expression".into(),
            ))),
        }
    }
}

/// Why [`JsonataCache::evaluate`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// The expression does not parse.
    Parse(String),
    /// It parsed but failed to evaluate.
    Eval(EvalError),
}

fn compile_guarded(engine: &dyn JsonataEngine, src: &str) -> Result<Compiled, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.compile(src))) {
        Ok(r) => r,
        Err(_) => Err("the JSONata parser failed unexpectedly on this expression".into()),
    }
}

fn collect_template<'m>(t: &'m Template, out: &mut Vec<&'m JsonataExpr>) {
    match t {
        Template::Jsonata(e) => out.push(e),
        Template::Object(fields) => fields.iter().for_each(|f| collect_template(&f.value, out)),
        Template::Array(items) => items.iter().for_each(|i| collect_template(i, out)),
        _ => {}
    }
}

fn collect_expr<'m, T>(e: &'m Option<Expr<T>>, out: &mut Vec<&'m JsonataExpr>) {
    if let Some(Expr::Jsonata(e)) = e {
        out.push(e);
    }
}

fn collect_condition<'m>(c: &'m Condition, out: &mut Vec<&'m JsonataExpr>) {
    match c {
        Condition::Jsonata(e) => out.push(e),
        Condition::And(cs) | Condition::Or(cs) => cs.iter().for_each(|c| collect_condition(c, out)),
        Condition::Not(c) => collect_condition(c, out),
        _ => {}
    }
}

fn collect_state<'m>(st: &'m State, out: &mut Vec<&'m JsonataExpr>, any: &mut bool) {
    if st.query_language == Some(stepfn_asl::QueryLanguage::Jsonata) {
        *any = true;
    }
    let opt = |t: &'m Option<Template>, out: &mut Vec<&'m JsonataExpr>| {
        if let Some(t) = t {
            collect_template(t, out);
        }
    };
    opt(&st.output, out);
    if let Some(a) = &st.assign {
        collect_template(&a.template, out);
    }
    let catchers = |cs: &'m [stepfn_asl::Catcher], out: &mut Vec<&'m JsonataExpr>| {
        for c in cs {
            opt(&c.output, out);
            if let Some(a) = &c.assign {
                collect_template(&a.template, out);
            }
        }
    };
    match &st.kind {
        StateKind::Pass(p) => opt(&p.parameters, out),
        StateKind::Task(t) => {
            opt(&t.arguments, out);
            opt(&t.parameters, out);
            collect_expr(&t.timeout_seconds, out);
            collect_expr(&t.heartbeat_seconds, out);
            catchers(&t.catch, out);
        }
        StateKind::Choice(c) => {
            for r in &c.choices {
                collect_condition(&r.condition, out);
                opt(&r.output, out);
                if let Some(a) = &r.assign {
                    collect_template(&a.template, out);
                }
            }
        }
        StateKind::Wait(w) => {
            collect_expr(&w.seconds, out);
            collect_expr(&w.timestamp, out);
        }
        StateKind::Succeed => {}
        StateKind::Fail(f) => {
            collect_expr(&f.error, out);
            collect_expr(&f.cause, out);
        }
        StateKind::Parallel(p) => {
            opt(&p.arguments, out);
            catchers(&p.catch, out);
            for b in &p.branches {
                for s in b.states.values() {
                    collect_state(s, out, any);
                }
            }
        }
        StateKind::Map(m) => {
            opt(&m.items, out);
            opt(&m.item_selector, out);
            opt(&m.parameters, out);
            collect_expr(&m.max_concurrency, out);
            collect_expr(&m.tolerated_failure_count, out);
            collect_expr(&m.tolerated_failure_percentage, out);
            if let Some(b) = &m.item_batcher {
                collect_expr(&b.max_items_per_batch, out);
                collect_expr(&b.max_input_bytes_per_batch, out);
                opt(&b.batch_input, out);
            }
            catchers(&m.catch, out);
            for s in m.processor.states.values() {
                collect_state(s, out, any);
            }
        }
    }
}

/// JSON type names as Step Functions prints them in JSONata errors.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Lowercase hex digest of `data` with one of Step Functions' hash algorithms.
#[cfg(feature = "jsonata")]
pub fn hash_hex(data: &str, algorithm: &str) -> Option<String> {
    use sha2::Digest;
    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
    let d = data.as_bytes();
    Some(match algorithm {
        "MD5" => hex(&md5::Md5::digest(d)),
        "SHA-1" => hex(&sha1::Sha1::digest(d)),
        "SHA-256" => hex(&sha2::Sha256::digest(d)),
        "SHA-384" => hex(&sha2::Sha384::digest(d)),
        "SHA-512" => hex(&sha2::Sha512::digest(d)),
        _ => return None,
    })
}

#[cfg(feature = "jsonata")]
pub use core_engine::CoreEngine;

#[cfg(feature = "jsonata")]
mod core_engine {
    use super::{hash_hex, Bindings, Compiled, EvalError, JsonataEngine};
    use indexmap::IndexMap;
    use jsonata_core::ast::AstNode;
    use jsonata_core::evaluator::{Context as JContext, Evaluator, EvaluatorError};
    use jsonata_core::value::JValue;
    use serde_json::{Number, Value};

    /// One of Step Functions' extra functions.
    type HostFn = fn(&[JValue]) -> Result<JValue, EvaluatorError>;

    /// `jsonata-core` with Step Functions' extra functions.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct CoreEngine;

    fn fail(msg: impl Into<String>) -> EvaluatorError {
        EvaluatorError::EvaluationError(msg.into())
    }

    /// serde JSON → JSONata value, without copying the source first.
    pub(super) fn to_jvalue(v: &Value) -> JValue {
        match v {
            Value::Null => JValue::Null,
            Value::Bool(b) => JValue::Bool(*b),
            Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => JValue::string(s.as_str()),
            Value::Array(a) => JValue::array(a.iter().map(to_jvalue).collect()),
            Value::Object(m) => {
                let mut o = IndexMap::with_capacity(m.len());
                for (k, v) in m {
                    o.insert(k.clone(), to_jvalue(v));
                }
                JValue::object(o)
            }
        }
    }

    fn number(f: f64) -> Result<Value, EvalError> {
        if !f.is_finite() {
            return Err(EvalError::Failed("D1001: Number out of range".into()));
        }
        if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            // Whole numbers print without a fraction, as in JavaScript.
            return Ok(Value::Number(Number::from(f as i64)));
        }
        Ok(Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null))
    }

    /// JSONata value → serde JSON; `None` for undefined. Functions are not JSON.
    pub(super) fn from_jvalue(v: &JValue) -> Result<Option<Value>, EvalError> {
        Ok(Some(match v {
            JValue::Undefined => return Ok(None),
            JValue::Null => Value::Null,
            JValue::Bool(b) => Value::Bool(*b),
            JValue::Number(n) => number(*n)?,
            JValue::String(s) => Value::String(s.to_string()),
            JValue::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for x in a.iter() {
                    if let Some(x) = from_jvalue(x)? {
                        out.push(x);
                    }
                }
                Value::Array(out)
            }
            JValue::Object(m) => {
                let mut out = serde_json::Map::with_capacity(m.len());
                for (k, x) in m.iter() {
                    if let Some(x) = from_jvalue(x)? {
                        out.insert(k.clone(), x);
                    }
                }
                Value::Object(out)
            }
            _ => return Err(EvalError::Unsupported),
        }))
    }

    fn int_arg(args: &[JValue], i: usize, f: &str) -> Result<i64, EvaluatorError> {
        match args.get(i) {
            Some(JValue::Number(n)) if n.fract() == 0.0 && n.is_finite() => Ok(*n as i64),
            Some(other) => Err(fail(format!(
                "T0410: Argument {} of function ${f} must be an integer, found {}",
                i + 1,
                other.to_json_string().unwrap_or_default()
            ))),
            None => Err(fail(format!(
                "T0410: Argument {} of function ${f} is missing",
                i + 1
            ))),
        }
    }

    /// `$partition(array, size)`: chunks of `size` items.
    fn partition(args: &[JValue]) -> Result<JValue, EvaluatorError> {
        let items: Vec<JValue> = match args.first() {
            Some(JValue::Array(a)) => a.iter().cloned().collect(),
            Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
            Some(other) => vec![other.clone()],
        };
        let size = int_arg(args, 1, "partition")?;
        if size <= 0 {
            return Err(fail(
                "D3001: The size argument of $partition must be a positive integer",
            ));
        }
        let chunks = items
            .chunks(size as usize)
            .map(|c| JValue::array(c.to_vec()))
            .collect();
        Ok(JValue::array(chunks))
    }

    /// `$range(start, end, step)`: from `start` to `end` inclusive.
    fn range(args: &[JValue]) -> Result<JValue, EvaluatorError> {
        let start = int_arg(args, 0, "range")?;
        let end = int_arg(args, 1, "range")?;
        let step = int_arg(args, 2, "range")?;
        if step == 0 {
            return Err(fail("D3001: The step argument of $range must not be zero"));
        }
        let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
            ((end as i128 - start as i128) / step as i128 + 1) as u128
        } else {
            0
        };
        if count > 1000 {
            return Err(fail(format!(
                "D2014: The $range function would produce {count} items, more than the 1000 allowed"
            )));
        }
        let mut out = Vec::with_capacity(count as usize);
        let mut x = start as i128;
        for _ in 0..count {
            out.push(JValue::Number(x as f64));
            x += step as i128;
        }
        Ok(JValue::array(out))
    }

    /// `$hash(value, algorithm)`.
    fn hash(args: &[JValue]) -> Result<JValue, EvaluatorError> {
        let data = match args.first() {
            Some(JValue::String(s)) => s.to_string(),
            Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
            Some(other) => other.to_json_string().unwrap_or_default(),
        };
        let algorithm = match args.get(1) {
            Some(JValue::String(s)) => s.to_string(),
            None | Some(JValue::Undefined) => "SHA-256".to_string(),
            Some(_) => return Err(fail("T0410: Argument 2 of function $hash must be a string")),
        };
        match hash_hex(&data, &algorithm) {
            Some(h) => Ok(JValue::string(h)),
            None => Err(fail(format!(
                "D3001: Unsupported hash algorithm '{algorithm}'; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            ))),
        }
    }

    /// `$random([seed])`: a number in [0, 1), the same one for the same seed.
    fn random(args: &[JValue]) -> Result<JValue, EvaluatorError> {
        match args.first() {
            None | Some(JValue::Undefined) => Ok(JValue::Number(fastrand::f64())),
            Some(JValue::Number(n)) if n.is_finite() => {
                Ok(JValue::Number(fastrand::Rng::with_seed(n.to_bits()).f64()))
            }
            Some(_) => Err(fail(
                "T0410: Argument 1 of function $random must be a number",
            )),
        }
    }

    /// `$uuid()`: a random (v4) UUID.
    fn uuid(_args: &[JValue]) -> Result<JValue, EvaluatorError> {
        let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
        Ok(JValue::string(id.to_string()))
    }

    /// `$parse(text)`: JSON text → value.
    fn parse(args: &[JValue]) -> Result<JValue, EvaluatorError> {
        match args.first() {
            Some(JValue::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v) => Ok(to_jvalue(&v)),
                Err(e) => Err(fail(format!(
                    "D3001: The argument of $parse is not valid JSON: {e}"
                ))),
            },
            Some(JValue::Undefined) | None => Ok(JValue::Undefined),
            Some(_) => Err(fail(
                "T0410: Argument 1 of function $parse must be a string",
            )),
        }
    }

    /// The message as Step Functions prints it (jsonata-js wording, without jsonata-core's extras).
    fn aws_message(msg: &str) -> String {
        const NON_FUNCTION: &str = "T1006: Attempted to invoke a non-function";
        if msg.starts_with(NON_FUNCTION) {
            return NON_FUNCTION.to_string();
        }
        msg.to_string()
    }

    fn no_eval(_args: &[JValue]) -> Result<JValue, EvaluatorError> {
        Err(fail("T1006: Attempted to invoke a non-function"))
    }

    fn states_value(b: &Bindings<'_>, with_context: bool) -> JValue {
        let mut o = IndexMap::with_capacity(4);
        o.insert("input".to_string(), to_jvalue(b.input));
        if let Some(r) = b.result {
            o.insert("result".to_string(), to_jvalue(r));
        }
        if let Some(e) = b.error_output {
            o.insert("errorOutput".to_string(), to_jvalue(e));
        }
        if with_context {
            o.insert("context".to_string(), to_jvalue(b.context.value()));
        }
        JValue::object(o)
    }

    impl JsonataEngine for CoreEngine {
        fn compile(&self, source: &str) -> Result<Compiled, String> {
            let ast = jsonata_core::parser::parse(source).map_err(|e| e.to_string())?;
            Ok(Compiled::new(source, Box::new(ast)))
        }

        fn evaluate(
            &self,
            compiled: &Compiled,
            b: &Bindings<'_>,
        ) -> Result<Option<Value>, EvalError> {
            let Some(ast) = compiled.program().downcast_ref::<AstNode>() else {
                return Err(EvalError::Failed(
                    "the expression was compiled by another engine".into(),
                ));
            };
            let mut ctx = JContext::new();
            for name in &compiled.names {
                if name == "states" {
                    ctx.bind(name.clone(), states_value(b, compiled.reads_context));
                } else if let Some(v) = b.vars.get(name) {
                    ctx.bind(name.clone(), to_jvalue(v));
                }
            }
            let mut ev = Evaluator::with_context(ctx);
            let extras: [(&str, HostFn); 5] = [
                ("partition", partition),
                ("range", range),
                ("hash", hash),
                ("uuid", uuid),
                ("parse", parse),
            ];
            for (name, f) in extras {
                if compiled.names.iter().any(|n| n == name) {
                    ev.register_fn(name, f)
                        .map_err(|e| EvalError::Failed(e.message().to_string()))?;
                }
            }
            if compiled.names.iter().any(|n| n == "random") {
                ev.register_fn_override("random", random)
                    .map_err(|e| EvalError::Failed(e.message().to_string()))?;
            }
            if compiled.names.iter().any(|n| n == "eval") {
                ev.register_fn_override("eval", no_eval)
                    .map_err(|e| EvalError::Failed(e.message().to_string()))?;
            }
            match ev.evaluate(ast, &JValue::Undefined) {
                Ok(v) => from_jvalue(&v),
                Err(e) => Err(EvalError::Failed(aws_message(e.message()))),
            }
        }
    }
}

#[cfg(all(test, feature = "jsonata"))]
mod tests {
    use super::*;
    use crate::io::context::ExecutionInfo;
    use serde_json::json;

    fn info() -> ExecutionInfo {
        ExecutionInfo {
            id: "arn:aws:states:us-east-1:1:execution:m:e".into(),
            name: "e".into(),
            start_time: "2024-01-01T00:00:00.000Z".into(),
            input: json!({"in": 1}),
            role_arn: "role".into(),
            redrive_count: 0,
            state_machine_id: "arn:sm".into(),
            state_machine_name: "m".into(),
        }
    }

    fn eval_with(src: &str, input: Value, vars: &Variables) -> Result<Option<Value>, EvalError> {
        let engine = CoreEngine;
        let c = engine.compile(src).expect("parses");
        let info = info();
        let ctx = Context::new(&info, "S", jiff::Timestamp::UNIX_EPOCH, Some(0));
        let b = Bindings {
            input: &input,
            result: Some(&json!({"r": 2})),
            error_output: None,
            context: &ctx,
            vars,
        };
        engine.evaluate(&c, &b)
    }

    fn eval(src: &str) -> Value {
        eval_with(
            src,
            json!({"a": {"b": 7}, "nums": [1, 2, 3], "s": "hello"}),
            &Variables::new(),
        )
        .expect("evaluates")
        .expect("defined")
    }

    fn err(src: &str) -> EvalError {
        eval_with(src, json!({}), &Variables::new()).expect_err("fails")
    }

    #[test]
    fn reference_expressions() {
        assert_eq!(eval("$states.input.a.b"), json!(7));
        assert_eq!(eval("$sum($states.input.nums)"), json!(6));
        assert_eq!(
            eval("$map($states.input.nums, function($v){$v*2})"),
            json!([2, 4, 6])
        );
        assert_eq!(
            eval("$uppercase($states.input.s) & $substring($states.input.s, 1, 2)"),
            json!("HELLOel")
        );
        assert_eq!(
            eval("{'x': $states.input.a, 'n': $count($states.input.nums)}"),
            json!({"x": {"b": 7}, "n": 3})
        );
        assert_eq!(eval("$exists($states.input.nope)"), json!(false));
        assert_eq!(eval("($f := function($x){$x+1}; $f(41))"), json!(42));
        assert_eq!(eval("$states.result.r"), json!(2));
        assert_eq!(eval("$states.context.State.Name"), json!("S"));
        assert_eq!(eval("$states.context.Execution.Input.in"), json!(1));
        assert_eq!(eval("0.1 + 0.2 > 0.3"), json!(true));
        assert_eq!(eval("1.5"), json!(1.5));
    }

    #[test]
    fn undefined_is_none() {
        assert_eq!(
            eval_with("$states.input.nope", json!({}), &Variables::new()),
            Ok(None)
        );
        assert_eq!(
            eval_with("$doesNotExist", json!({}), &Variables::new()),
            Ok(None)
        );
    }

    #[test]
    fn variables_are_bound() {
        let mut vars = Variables::new();
        vars.set("x".into(), json!({"k": [1, 2]}));
        assert_eq!(eval_with("$x.k[1]", json!({}), &vars), Ok(Some(json!(2))));
        let child = Variables::child(Arc::new(vars));
        assert_eq!(
            eval_with("$sum($x.k)", json!({}), &child),
            Ok(Some(json!(3)))
        );
    }

    #[test]
    fn partition() {
        assert_eq!(eval("$partition([0,1,2,3], 3)"), json!([[0, 1, 2], [3]]));
        assert_eq!(eval("$partition([0], 4)"), json!([[0]]));
        assert!(matches!(err("$partition([1], 0)"), EvalError::Failed(_)));
    }

    #[test]
    fn range() {
        assert_eq!(eval("$range(0, 10, 3)"), json!([0, 3, 6, 9]));
        assert_eq!(eval("$range(1, 9, 2)"), json!([1, 3, 5, 7, 9]));
        assert_eq!(eval("$range(5, 1, -2)"), json!([5, 3, 1]));
        assert_eq!(eval("$range(5, 1, 2)"), json!([]));
        assert!(matches!(err("$range(0, 1, 0)"), EvalError::Failed(_)));
        assert!(matches!(err("$range(0, 100000, 1)"), EvalError::Failed(_)));
    }

    #[test]
    fn hash() {
        assert_eq!(
            eval("$hash('input data', 'MD5')"),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            eval("$hash('input data', 'SHA-1')"),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert!(matches!(err("$hash('x', 'CRC')"), EvalError::Failed(_)));
    }

    #[test]
    fn random() {
        let r = eval("$random()").as_f64().unwrap();
        assert!((0.0..1.0).contains(&r));
        assert_eq!(eval("$random(7)"), eval("$random(7)"));
        assert!(matches!(err("$random('x')"), EvalError::Failed(_)));
    }

    #[test]
    fn uuid() {
        let u = eval("$uuid()");
        let s = u.as_str().unwrap();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert_ne!(eval("$uuid()"), u);
    }

    #[test]
    fn parse() {
        assert_eq!(eval("$parse('{\"a\": [1, 2.5]}')"), json!({"a": [1, 2.5]}));
        assert_eq!(eval("$parse('-0')"), json!(0));
        assert_eq!(eval("$parse('\"x\"')"), json!("x"));
        assert!(matches!(err("$parse('{')"), EvalError::Failed(_)));
    }

    #[test]
    fn no_eval() {
        assert_eq!(
            err("$eval('1+1')"),
            EvalError::Failed("T1006: Attempted to invoke a non-function".into())
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(err("'a' + 1"), EvalError::Failed(m) if m.starts_with("T2001")));
        assert_eq!(
            err("$nope(1)"),
            EvalError::Failed("T1006: Attempted to invoke a non-function".into())
        );
        assert_eq!(err("function($x){$x}"), EvalError::Unsupported);
        assert!(CoreEngine.compile("1 +").is_err());
        assert!(CoreEngine.compile("{").is_err());
        assert!(CoreEngine.compile("$states.input[").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(mentioned_names("$a + $b_2.c + $$.x + $a"), vec!["a", "b_2"]);
    }
}
