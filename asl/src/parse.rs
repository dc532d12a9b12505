//! Reading a definition: JSON → [`StateMachine`], collecting every schema problem with its location.
//!
//! This phase checks the *shape* of the document: required and unknown fields, field types,
//! mutually exclusive fields, which fields each query language allows, and the syntax of paths,
//! templates and intrinsic calls. Graph rules (reachability, targets) live in [`crate::validate`].

use crate::choice::{ChoiceRule, Comparison, Condition, Operand, OperandType};
use crate::diagnostic::{did_you_mean, Diagnostic, DiagnosticKind as K, Location};
use crate::model::*;
use crate::path::Path;
use crate::template::{parse_dynamic, JsonataExpr, Template};
use indexmap::IndexMap;
use serde_json::{Map, Number, Value};

/// Collects diagnostics while reading.
pub(crate) struct Reader {
    pub(crate) diags: Vec<Diagnostic>,
    /// The machine's top-level query language, which nested states inherit.
    top: QueryLanguage,
}

/// The fields of one JSON object being read; remembers which were consumed.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    loc: Location,
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultPath",
            "Assign",
            "Output",
        ],
        "Task" => &[
            "Next",
            "End",
            "Resource",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Arguments",
            "ResultSelector",
            "ResultPath",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Retry",
            "Catch",
            "Assign",
            "Output",
        ],
        "Choice" => &[
            "InputPath",
            "OutputPath",
            "Choices",
            "Default",
            "Assign",
            "Output",
        ],
        "Wait" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
            "Assign",
            "Output",
        ],
        "Succeed" => &["InputPath", "OutputPath", "Output"],
        "Fail" => &["Error", "Cause", "ErrorPath", "CausePath"],
        "Parallel" => &[
            "Next",
            "End",
            "Branches",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Arguments",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Assign",
            "Output",
        ],
        "Map" => &[
            "Next",
            "End",
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "Items",
            "ItemSelector",
            "Parameters",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
            "InputPath",
            "OutputPath",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Assign",
            "Output",
        ],
        _ => &[],
    }
}

/// Fields that exist only in JSONPath states.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "ErrorPath",
    "CausePath",
];

/// Fields that exist only in JSONata states.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

/// The state types.
pub const STATE_TYPES: &[&str] = &[
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    pub(crate) fn new() -> Self {
        Self {
            diags: Vec::new(),
            top: QueryLanguage::JsonPath,
        }
    }

    fn err(&mut self, kind: K, loc: Location, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(kind, loc, msg));
    }

    fn object<'a>(&mut self, v: &'a Value, loc: &Location, what: &str) -> Option<Obj<'a>> {
        match v {
            Value::Object(map) => Some(Obj {
                map,
                loc: loc.clone(),
            }),
            other => {
                self.err(
                    K::Schema,
                    loc.clone(),
                    format!("{what} must be an object, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn string(&mut self, o: &Obj<'_>, key: &str) -> Option<String> {
        match o.map.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(
                    K::Schema,
                    o.loc.key(key),
                    format!("`{key}` must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn required_string(&mut self, o: &Obj<'_>, key: &str, what: &str) -> String {
        if !o.map.contains_key(key) {
            self.err(
                K::Schema,
                o.loc.clone(),
                format!("{what} is missing the required field `{key}`"),
            );
            return String::new();
        }
        self.string(o, key).unwrap_or_default()
    }

    fn uint(&mut self, o: &Obj<'_>, key: &str, min: u64, max: u64) -> Option<u64> {
        let v = o.map.get(key)?;
        match v.as_u64() {
            Some(n) if n >= min && n <= max => Some(n),
            Some(n) => {
                self.err(
                    K::Range,
                    o.loc.key(key),
                    format!("`{key}` must be between {min} and {max}, found {n}"),
                );
                None
            }
            None => {
                let found = match v {
                    Value::Number(n) => format!("`{n}`"),
                    other => type_name(other).to_string(),
                };
                let what = if min > 0 {
                    "a positive integer"
                } else {
                    "a non-negative integer"
                };
                self.err(
                    K::Schema,
                    o.loc.key(key),
                    format!("`{key}` must be {what}, found {found}"),
                );
                None
            }
        }
    }

    fn uint_or_expr(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        min: u64,
        max: u64,
        ql: QueryLanguage,
    ) -> Option<Expr<u64>> {
        if let Some(Value::String(s)) = o.map.get(key) {
            return match (ql, JsonataExpr::from_str_value(s)) {
                (QueryLanguage::Jsonata, Some(e)) => Some(Expr::Jsonata(e)),
                _ => {
                    self.err(
                        K::Schema,
                        o.loc.key(key),
                        format!(
                            "`{key}` must be an integer{}",
                            if ql == QueryLanguage::Jsonata {
                                " or a `{% … %}` expression"
                            } else {
                                ""
                            }
                        ),
                    );
                    None
                }
            };
        }
        self.uint(o, key, min, max).map(Expr::Literal)
    }

    fn path(&mut self, o: &Obj<'_>, key: &str, reference: bool) -> Option<Path> {
        let s = self.string(o, key)?;
        let r = if reference {
            Path::parse_reference(&s)
        } else {
            Path::parse(&s)
        };
        match r {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(K::Expression, o.loc.key(key), e.0);
                None
            }
        }
    }

    fn io_path(&mut self, o: &Obj<'_>, key: &str) -> Option<IoPath> {
        match o.map.get(key)? {
            Value::Null => Some(IoPath::Null),
            _ => self.path(o, key, false).map(IoPath::Path),
        }
    }

    fn result_path(&mut self, o: &Obj<'_>, key: &str) -> Option<ResultPath> {
        match o.map.get(key)? {
            Value::Null => Some(ResultPath::Discard),
            Value::String(s) if s.starts_with("$$") => {
                self.err(
                    K::Expression,
                    o.loc.key(key),
                    format!("`{key}` cannot write into the context object (`{s}`)"),
                );
                None
            }
            _ => self.path(o, key, true).map(ResultPath::Path),
        }
    }

    fn payload(&mut self, o: &Obj<'_>, key: &str) -> Option<Template> {
        let v = o.map.get(key)?;
        let mut errs = Vec::new();
        let t = Template::parse_payload(v, &mut errs);
        for e in errs {
            let mut loc = o.loc.key(key);
            loc.0.extend(e.at);
            self.err(K::Expression, loc, e.message);
        }
        Some(t)
    }

    fn jsonata_value(&mut self, o: &Obj<'_>, key: &str) -> Option<Template> {
        o.map.get(key).map(Template::parse_jsonata)
    }

    fn string_or_expr(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        ql: QueryLanguage,
    ) -> Option<Expr<String>> {
        let s = self.string(o, key)?;
        if ql == QueryLanguage::Jsonata {
            if let Some(e) = JsonataExpr::from_str_value(&s) {
                return Some(Expr::Jsonata(e));
            }
        }
        Some(Expr::Literal(s))
    }

    fn assign(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Option<Assign> {
        let v = o.map.get("Assign")?;
        if !v.is_object() {
            self.err(
                K::Schema,
                o.loc.key("Assign"),
                format!("`Assign` must be an object, found {}", type_name(v)),
            );
            return None;
        }
        if let Value::Object(m) = v {
            for key in m.keys() {
                let name = match ql {
                    QueryLanguage::JsonPath => key.strip_suffix(".$").unwrap_or(key),
                    QueryLanguage::Jsonata => key.as_str(),
                };
                self.variable_name(name, o.loc.key("Assign").key(key.as_str()), ql);
            }
        }
        let template = match ql {
            QueryLanguage::JsonPath => self.payload(o, "Assign")?,
            QueryLanguage::Jsonata => Template::parse_jsonata(v),
        };
        Some(Assign { template })
    }

    /// A variable name is identifier-like (a letter or `_`, then letters, digits or `_`), so that
    /// `$name` can be read back in a path or a JSONata expression; `states` is reserved.
    ///
    /// ```json
    /// "Assign": { "orderId": "...", "total.$": "$.total" }
    /// ```
    fn variable_name(&mut self, name: &str, loc: Location, ql: QueryLanguage) {
        if name == "states" {
            self.err(K::Rule, loc, "`states` is a reserved variable name");
            return;
        }
        let mut chars = name.chars();
        let valid = match chars.next() {
            None => false,
            Some(c) => {
                (c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
            }
        };
        if !valid {
            let mut d = Diagnostic::new(
                K::Rule,
                loc,
                format!("invalid variable name `{name}`: a name starts with a letter or `_` and holds only letters, digits and `_`"),
            );
            if ql == QueryLanguage::Jsonata && name.ends_with(".$") {
                d = d.with_help(
                    "JSONata states take expressions as `{% … %}` values; keys never end in `.$`",
                );
            }
            self.diags.push(d);
        }
    }

    fn query_language(&mut self, o: &Obj<'_>) -> Option<QueryLanguage> {
        match self.string(o, "QueryLanguage")?.as_str() {
            "JSONPath" => Some(QueryLanguage::JsonPath),
            "JSONata" => Some(QueryLanguage::Jsonata),
            other => {
                self.err(
                    K::Schema,
                    o.loc.key("QueryLanguage"),
                    format!("unknown query language `{other}`; expected `JSONPath` or `JSONata`"),
                );
                None
            }
        }
    }

    fn transition(&mut self, o: &Obj<'_>, ty: &str) -> Transition {
        let next = self.string(o, "Next");
        let end = match o.map.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.err(
                    K::Schema,
                    o.loc.key("End"),
                    format!("`End` must be `true`, found {}", type_name(other)),
                );
                false
            }
        };
        match (next, end) {
            (Some(n), false) => Transition::Next(n),
            (None, true) => Transition::End,
            (Some(n), true) => {
                self.err(
                    K::Rule,
                    o.loc.key("End"),
                    format!("a {ty} state has both `Next` and `End`; keep exactly one"),
                );
                Transition::Next(n)
            }
            (None, false) => {
                if !o.map.contains_key("Next") {
                    self.err(
                        K::Rule,
                        o.loc.clone(),
                        format!("a {ty} state needs `Next` or `End: true`"),
                    );
                }
                Transition::End
            }
        }
    }

    fn error_equals(&mut self, o: &Obj<'_>) -> Vec<String> {
        let loc = o.loc.key("ErrorEquals");
        match o.map.get("ErrorEquals") {
            None => {
                self.err(
                    K::Schema,
                    o.loc.clone(),
                    "missing the required field `ErrorEquals`",
                );
                Vec::new()
            }
            Some(Value::Array(a)) => {
                if a.is_empty() {
                    self.err(
                        K::Rule,
                        loc.clone(),
                        "`ErrorEquals` must name at least one error",
                    );
                }
                let mut out = Vec::new();
                for (i, e) in a.iter().enumerate() {
                    match e {
                        Value::String(s) => out.push(s.clone()),
                        other => self.err(
                            K::Schema,
                            loc.index(i),
                            format!("an error name must be a string, found {}", type_name(other)),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.err(
                    K::Schema,
                    loc,
                    format!(
                        "`ErrorEquals` must be an array of error names, found {}",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn check_fields(&mut self, o: &Obj<'_>, allowed: &[&str], what: &str) {
        for k in o.map.keys() {
            if !allowed.contains(&k.as_str()) {
                self.diags
                    .push(unknown_field(o.loc.key(k), k, what, allowed));
            }
        }
    }

    fn retriers(&mut self, o: &Obj<'_>) -> Vec<Retrier> {
        let Some(v) = o.map.get("Retry") else {
            return Vec::new();
        };
        let loc = o.loc.key("Retry");
        let Value::Array(a) = v else {
            self.err(
                K::Schema,
                loc,
                format!("`Retry` must be an array, found {}", type_name(v)),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in a.iter().enumerate() {
            let Some(ro) = self.object(r, &loc.index(i), "a retrier") else {
                continue;
            };
            self.check_fields(
                &ro,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                "a retrier",
            );
            let error_equals = self.error_equals(&ro);
            let interval_seconds = self.uint(&ro, "IntervalSeconds", 1, 99_999_999);
            let max_attempts = self.uint(&ro, "MaxAttempts", 0, 99_999_999);
            let backoff_rate = match ro.map.get("BackoffRate") {
                None => None,
                Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 1.0) => Some(n.clone()),
                Some(other) => {
                    self.err(
                        K::Range,
                        ro.loc.key("BackoffRate"),
                        format!("`BackoffRate` must be a number of at least 1.0, found {other}"),
                    );
                    None
                }
            };
            let max_delay_seconds = self.uint(&ro, "MaxDelaySeconds", 1, 31_622_400);
            let jitter_strategy = match self.string(&ro, "JitterStrategy").as_deref() {
                None => None,
                Some("FULL") => Some(JitterStrategy::Full),
                Some("NONE") => Some(JitterStrategy::None),
                Some(other) => {
                    self.err(
                        K::Schema,
                        ro.loc.key("JitterStrategy"),
                        format!("unknown `JitterStrategy` `{other}`; expected `FULL` or `NONE`"),
                    );
                    None
                }
            };
            let comment = self.string(&ro, "Comment");
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                jitter_strategy,
                comment,
            });
        }
        out
    }

    fn catchers(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Vec<Catcher> {
        let Some(v) = o.map.get("Catch") else {
            return Vec::new();
        };
        let loc = o.loc.key("Catch");
        let Value::Array(a) = v else {
            self.err(
                K::Schema,
                loc,
                format!("`Catch` must be an array, found {}", type_name(v)),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in a.iter().enumerate() {
            let Some(co) = self.object(c, &loc.index(i), "a catcher") else {
                continue;
            };
            let allowed: &[&str] = match ql {
                QueryLanguage::JsonPath => {
                    &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
                }
                QueryLanguage::Jsonata => &["ErrorEquals", "Next", "Output", "Assign", "Comment"],
            };
            self.check_fields_ql(&co, allowed, "a catcher", ql);
            let error_equals = self.error_equals(&co);
            let next = self.required_string(&co, "Next", "a catcher");
            let result_path = self.result_path(&co, "ResultPath");
            let output = self.jsonata_value(&co, "Output");
            let assign = self.assign(&co, ql);
            let comment = self.string(&co, "Comment");
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                output,
                assign,
                comment,
            });
        }
        out
    }

    /// Like `check_fields`, but a field of the other query language gets a message that says so.
    fn check_fields_ql(&mut self, o: &Obj<'_>, allowed: &[&str], what: &str, ql: QueryLanguage) {
        for k in o.map.keys() {
            if allowed.contains(&k.as_str()) {
                continue;
            }
            let (other, only) = match ql {
                QueryLanguage::JsonPath => ("JSONata", JSONATA_ONLY),
                QueryLanguage::Jsonata => ("JSONPath", JSONPATH_ONLY),
            };
            if only.contains(&k.as_str()) || (ql == QueryLanguage::Jsonata && k == "ResultPath") {
                self.err(
                    K::Rule,
                    o.loc.key(k),
                    format!(
                        "`{k}` is a {other} field and is not allowed in {what} that uses {}",
                        ql.as_str()
                    ),
                );
            } else {
                self.diags
                    .push(unknown_field(o.loc.key(k), k, what, allowed));
            }
        }
    }

    fn states(&mut self, parent: &Obj<'_>, ql: QueryLanguage) -> IndexMap<String, State> {
        let mut out = IndexMap::new();
        let loc = parent.loc.key("States");
        match parent.map.get("States") {
            None => self.err(
                K::Schema,
                parent.loc.clone(),
                "missing the required field `States`",
            ),
            Some(Value::Object(m)) => {
                if m.is_empty() {
                    self.err(
                        K::Schema,
                        loc.clone(),
                        "`States` must define at least one state",
                    );
                }
                for (name, sv) in m {
                    if let Some(st) = self.state(sv, &loc.key(name), name, ql) {
                        out.insert(name.clone(), st);
                    }
                }
            }
            Some(other) => self.err(
                K::Schema,
                loc,
                format!("`States` must be an object, found {}", type_name(other)),
            ),
        }
        out
    }

    fn branch(
        &mut self,
        v: &Value,
        loc: &Location,
        what: &str,
        ql: QueryLanguage,
        processor: bool,
    ) -> Option<Branch> {
        let o = self.object(v, loc, what)?;
        // The legacy `Iterator` accepts `ProcessorConfig` too.
        let allowed: &[&str] = if processor {
            &["StartAt", "States", "Comment", "ProcessorConfig"]
        } else {
            &["StartAt", "States", "Comment"]
        };
        self.check_fields(&o, allowed, what);
        let start_at = self.required_string(&o, "StartAt", what);
        if o.map.get("StartAt").and_then(Value::as_str) == Some("") {
            self.err(K::Schema, loc.key("StartAt"), "`StartAt` cannot be empty");
        }
        let comment = self.string(&o, "Comment");
        let _ = ql;
        let states = self.states(&o, self.top);
        let processor_config = if processor {
            o.map.get("ProcessorConfig").and_then(|pc| {
                let pco = self.object(pc, &loc.key("ProcessorConfig"), "`ProcessorConfig`")?;
                self.check_fields(&pco, &["Mode", "ExecutionType"], "`ProcessorConfig`");
                let mode = match self.string(&pco, "Mode").as_deref() {
                    None => None,
                    Some("INLINE") => Some(MapMode::Inline),
                    Some("DISTRIBUTED") => Some(MapMode::Distributed),
                    Some(other) => {
                        self.err(
                            K::Schema,
                            pco.loc.key("Mode"),
                            format!("unknown `Mode` `{other}`; expected `INLINE` or `DISTRIBUTED`"),
                        );
                        None
                    }
                };
                let execution_type = self.string(&pco, "ExecutionType");
                if let Some(et) = &execution_type {
                    if et != "STANDARD" && et != "EXPRESS" {
                        self.err(
                            K::Schema,
                            pco.loc.key("ExecutionType"),
                            format!(
                                "unknown `ExecutionType` `{et}`; expected `STANDARD` or `EXPRESS`"
                            ),
                        );
                    }
                }
                Some(ProcessorConfig {
                    mode,
                    execution_type,
                })
            })
        } else {
            None
        };
        Some(Branch {
            comment,
            start_at,
            states,
            processor_config,
        })
    }

    fn state(
        &mut self,
        v: &Value,
        loc: &Location,
        name: &str,
        parent_ql: QueryLanguage,
    ) -> Option<State> {
        let o = self.object(v, loc, &format!("state `{name}`"))?;
        let ty = match o.map.get("Type") {
            None => {
                self.err(
                    K::Schema,
                    loc.clone(),
                    format!("state `{name}` is missing the required field `Type`"),
                );
                return None;
            }
            Some(Value::String(t)) if STATE_TYPES.contains(&t.as_str()) => t.clone(),
            Some(Value::String(t)) => {
                let mut d = Diagnostic::new(
                    K::Schema,
                    loc.key("Type"),
                    format!("unknown state type `{t}`"),
                );
                d = match did_you_mean(t, STATE_TYPES.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("expected one of {}", STATE_TYPES.join(", "))),
                };
                self.diags.push(d);
                return None;
            }
            Some(other) => {
                self.err(
                    K::Schema,
                    loc.key("Type"),
                    format!("`Type` must be a string, found {}", type_name(other)),
                );
                return None;
            }
        };
        let query_language = self.query_language(&o);
        if parent_ql == QueryLanguage::Jsonata && query_language == Some(QueryLanguage::JsonPath) {
            self.err(
                K::Rule,
                loc.key("QueryLanguage"),
                "a JSONPath state cannot appear in a machine whose top-level `QueryLanguage` is JSONata",
            );
        }
        let ql = query_language.unwrap_or(parent_ql);
        let mut allowed: Vec<&str> = COMMON.to_vec();
        allowed.extend(allowed_fields(&ty).iter().filter(|f| match ql {
            QueryLanguage::JsonPath => !JSONATA_ONLY.contains(f),
            QueryLanguage::Jsonata => !JSONPATH_ONLY.contains(f),
        }));
        // `Next`/`End` on a state that never takes them gets a message that says why.
        for key in ["Next", "End"] {
            if o.map.contains_key(key) && !allowed.contains(&key) {
                let d = Diagnostic::new(
                    K::Rule,
                    loc.key(key),
                    format!("a {ty} state cannot have `{key}`"),
                );
                self.diags.push(if ty == "Choice" {
                    d.with_help("give each rule of `Choices` its own `Next`, and use `Default` for the fallback")
                } else {
                    d.with_help(format!("a {ty} state always ends its branch"))
                });
                allowed.push(key);
            }
        }
        self.check_fields_ql(&o, &allowed, &format!("a {ty} state"), ql);

        let comment = self.string(&o, "Comment");
        let input_path = self.io_path(&o, "InputPath");
        let output_path = self.io_path(&o, "OutputPath");
        let output = self.jsonata_value(&o, "Output");
        let assign = self.assign(&o, ql);
        let template = |r: &mut Self, key: &str| match ql {
            QueryLanguage::JsonPath => r.payload(&o, key),
            QueryLanguage::Jsonata => r.jsonata_value(&o, key),
        };

        let kind = match ty.as_str() {
            "Pass" => StateKind::Pass(Pass {
                transition: self.transition(&o, &ty),
                result: o.map.get("Result").cloned(),
                parameters: template(self, "Parameters"),
                result_path: self.result_path(&o, "ResultPath"),
            }),
            "Task" => {
                let resource = self.required_string(&o, "Resource", "a Task state");
                let task = Task {
                    transition: self.transition(&o, &ty),
                    resource,
                    parameters: template(self, "Parameters"),
                    arguments: self.jsonata_value(&o, "Arguments"),
                    result_selector: template(self, "ResultSelector"),
                    result_path: self.result_path(&o, "ResultPath"),
                    timeout_seconds: self.uint_or_expr(&o, "TimeoutSeconds", 1, 99_999_999, ql),
                    timeout_seconds_path: self.path(&o, "TimeoutSecondsPath", true),
                    heartbeat_seconds: self.uint_or_expr(&o, "HeartbeatSeconds", 1, 99_999_999, ql),
                    heartbeat_seconds_path: self.path(&o, "HeartbeatSecondsPath", true),
                    credentials: template(self, "Credentials"),
                    retry: self.retriers(&o),
                    catch: self.catchers(&o, ql),
                };
                self.exclusive(&o, "TimeoutSeconds", "TimeoutSecondsPath");
                self.exclusive(&o, "HeartbeatSeconds", "HeartbeatSecondsPath");
                if let (Some(Expr::Literal(t)), Some(Expr::Literal(h))) =
                    (&task.timeout_seconds, &task.heartbeat_seconds)
                {
                    if h >= t {
                        self.err(
                            K::Range,
                            loc.key("HeartbeatSeconds"),
                            format!("`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"),
                        );
                    }
                }
                StateKind::Task(Box::new(task))
            }
            "Choice" => {
                let choices = self.choices(&o, ql);
                let default = self.string(&o, "Default");
                StateKind::Choice(Choice { choices, default })
            }
            "Wait" => {
                let wait = Wait {
                    transition: self.transition(&o, &ty),
                    seconds: self.uint_or_expr(&o, "Seconds", 0, 99_999_999, ql),
                    timestamp: self.timestamp(&o, ql),
                    seconds_path: self.path(&o, "SecondsPath", true),
                    timestamp_path: self.path(&o, "TimestampPath", true),
                };
                let n = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                    .iter()
                    .filter(|k| o.map.contains_key(**k))
                    .count();
                if n != 1 {
                    self.err(
                        K::Rule,
                        loc.clone(),
                        format!("a Wait state needs exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`; found {n}"),
                    );
                }
                StateKind::Wait(wait)
            }
            "Succeed" => StateKind::Succeed,
            "Fail" => {
                let fail = Fail {
                    error: self.string_or_expr(&o, "Error", ql),
                    error_path: self.dynamic(&o, "ErrorPath"),
                    cause: self.string_or_expr(&o, "Cause", ql),
                    cause_path: self.dynamic(&o, "CausePath"),
                };
                self.exclusive(&o, "Error", "ErrorPath");
                self.exclusive(&o, "Cause", "CausePath");
                StateKind::Fail(fail)
            }
            "Parallel" => {
                let mut branches = Vec::new();
                match o.map.get("Branches") {
                    Some(Value::Array(a)) => {
                        if a.is_empty() {
                            self.err(
                                K::Schema,
                                loc.key("Branches"),
                                "`Branches` must hold at least one branch",
                            );
                        }
                        for (i, b) in a.iter().enumerate() {
                            if let Some(b) =
                                self.branch(b, &loc.key("Branches").index(i), "a branch", ql, false)
                            {
                                branches.push(b);
                            }
                        }
                    }
                    Some(other) => self.err(
                        K::Schema,
                        loc.key("Branches"),
                        format!("`Branches` must be an array, found {}", type_name(other)),
                    ),
                    None => self.err(
                        K::Schema,
                        loc.clone(),
                        "a Parallel state is missing the required field `Branches`",
                    ),
                }
                StateKind::Parallel(Box::new(Parallel {
                    transition: self.transition(&o, &ty),
                    branches,
                    parameters: template(self, "Parameters"),
                    arguments: self.jsonata_value(&o, "Arguments"),
                    result_selector: template(self, "ResultSelector"),
                    result_path: self.result_path(&o, "ResultPath"),
                    retry: self.retriers(&o),
                    catch: self.catchers(&o, ql),
                }))
            }
            "Map" => {
                let (proc_key, legacy) = match (
                    o.map.contains_key("ItemProcessor"),
                    o.map.contains_key("Iterator"),
                ) {
                    (true, true) => {
                        self.err(K::Rule, loc.key("Iterator"), "a Map state cannot have both `ItemProcessor` and the legacy `Iterator`");
                        ("ItemProcessor", false)
                    }
                    (true, false) => ("ItemProcessor", false),
                    (false, true) => ("Iterator", true),
                    (false, false) => {
                        self.err(
                            K::Schema,
                            loc.clone(),
                            "a Map state is missing the required field `ItemProcessor`",
                        );
                        return None;
                    }
                };
                let processor = self.branch(
                    &o.map[proc_key],
                    &loc.key(proc_key),
                    &format!("`{proc_key}`"),
                    ql,
                    true,
                )?;
                if o.map.contains_key("ItemSelector") && o.map.contains_key("Parameters") {
                    self.err(
                        K::Rule,
                        loc.key("Parameters"),
                        "a Map state cannot have both `ItemSelector` and the legacy `Parameters`",
                    );
                }
                let items = match o.map.get("Items") {
                    None => None,
                    Some(v @ (Value::Array(_) | Value::String(_))) => {
                        let t = Template::parse_jsonata(v);
                        if matches!(v, Value::String(_)) && t.is_literal() {
                            self.err(
                                K::Schema,
                                loc.key("Items"),
                                "`Items` must be an array or a `{% … %}` expression",
                            );
                        }
                        Some(t)
                    }
                    Some(other) => {
                        self.err(
                            K::Schema,
                            loc.key("Items"),
                            format!(
                                "`Items` must be an array or a `{{% … %}}` expression, found {}",
                                type_name(other)
                            ),
                        );
                        None
                    }
                };
                let percentage = match o.map.get("ToleratedFailurePercentage") {
                    None => None,
                    Some(Value::Number(n))
                        if n.as_f64().is_some_and(|f| (0.0..=100.0).contains(&f)) =>
                    {
                        Some(Expr::Literal(n.clone()))
                    }
                    Some(Value::String(s))
                        if ql == QueryLanguage::Jsonata
                            && JsonataExpr::from_str_value(s).is_some() =>
                    {
                        JsonataExpr::from_str_value(s).map(Expr::Jsonata)
                    }
                    Some(other) => {
                        self.err(K::Range, loc.key("ToleratedFailurePercentage"), format!("`ToleratedFailurePercentage` must be a number between 0 and 100, found {other}"));
                        None
                    }
                };
                let map = MapState {
                    transition: self.transition(&o, &ty),
                    processor,
                    legacy_iterator: legacy,
                    items_path: self.path(&o, "ItemsPath", true),
                    items,
                    item_selector: template(self, "ItemSelector"),
                    parameters: template(self, "Parameters"),
                    item_reader: o.map.get("ItemReader").cloned(),
                    item_batcher: o.map.get("ItemBatcher").cloned(),
                    result_writer: o.map.get("ResultWriter").cloned(),
                    max_concurrency: self.uint_or_expr(&o, "MaxConcurrency", 0, 99_999_999, ql),
                    max_concurrency_path: self.path(&o, "MaxConcurrencyPath", true),
                    tolerated_failure_count: self.uint_or_expr(
                        &o,
                        "ToleratedFailureCount",
                        0,
                        99_999_999,
                        ql,
                    ),
                    tolerated_failure_count_path: self.path(&o, "ToleratedFailureCountPath", true),
                    tolerated_failure_percentage: percentage,
                    tolerated_failure_percentage_path: self.path(
                        &o,
                        "ToleratedFailurePercentagePath",
                        true,
                    ),
                    label: self.string(&o, "Label"),
                    result_selector: template(self, "ResultSelector"),
                    result_path: self.result_path(&o, "ResultPath"),
                    retry: self.retriers(&o),
                    catch: self.catchers(&o, ql),
                };
                self.exclusive(&o, "MaxConcurrency", "MaxConcurrencyPath");
                self.exclusive(&o, "ToleratedFailureCount", "ToleratedFailureCountPath");
                self.exclusive(
                    &o,
                    "ToleratedFailurePercentage",
                    "ToleratedFailurePercentagePath",
                );
                StateKind::Map(Box::new(map))
            }
            _ => return None,
        };
        Some(State {
            comment,
            query_language,
            input_path,
            output_path,
            output,
            assign,
            kind,
        })
    }

    fn exclusive(&mut self, o: &Obj<'_>, a: &str, b: &str) {
        if o.map.contains_key(a) && o.map.contains_key(b) {
            self.err(
                K::Rule,
                o.loc.key(b),
                format!("`{a}` and `{b}` cannot both be given"),
            );
        }
    }

    fn timestamp(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Option<Expr<String>> {
        let e = self.string_or_expr(o, "Timestamp", ql)?;
        if let Expr::Literal(s) = &e {
            if crate::timestamp::parse(s).is_none() {
                self.err(
                    K::Expression,
                    o.loc.key("Timestamp"),
                    format!("`{s}` is not an RFC 3339 timestamp such as `2024-08-18T17:33:00Z`"),
                );
            }
        }
        Some(e)
    }

    /// `ErrorPath`/`CausePath`: a path or an intrinsic call.
    fn dynamic(&mut self, o: &Obj<'_>, key: &str) -> Option<Template> {
        let s = self.string(o, key)?;
        match parse_dynamic(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(K::Expression, o.loc.key(key), e);
                None
            }
        }
    }

    fn choices(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Vec<ChoiceRule> {
        let loc = o.loc.key("Choices");
        let a = match o.map.get("Choices") {
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.err(
                    K::Schema,
                    loc,
                    format!("`Choices` must be an array, found {}", type_name(other)),
                );
                return Vec::new();
            }
            None => {
                self.err(
                    K::Schema,
                    o.loc.clone(),
                    "a Choice state is missing the required field `Choices`",
                );
                return Vec::new();
            }
        };
        if a.is_empty() {
            self.err(
                K::Schema,
                loc.clone(),
                "`Choices` must hold at least one rule",
            );
        }
        let mut out = Vec::new();
        for (i, r) in a.iter().enumerate() {
            let Some(ro) = self.object(r, &loc.index(i), "a choice rule") else {
                continue;
            };
            let next = self.string(&ro, "Next");
            if next.is_none() && !ro.map.contains_key("Next") {
                self.err(K::Schema, ro.loc.clone(), "a choice rule needs `Next`");
            }
            let assign = self.assign(&ro, ql);
            let output = self.jsonata_value(&ro, "Output");
            if ql == QueryLanguage::JsonPath && ro.map.contains_key("Output") {
                self.err(
                    K::Rule,
                    ro.loc.key("Output"),
                    "`Output` is a JSONata field and is not allowed in a JSONPath choice rule",
                );
            }
            let comment = self.string(&ro, "Comment");
            let condition = self.condition(&ro, ql, &["Next", "Assign", "Output", "Comment"]);
            out.push(ChoiceRule {
                condition,
                next,
                assign,
                output,
                comment,
            });
        }
        out
    }

    /// Reads the condition held in `o`; `extra` are the rule-level keys to ignore here.
    fn condition(&mut self, o: &Obj<'_>, ql: QueryLanguage, extra: &[&str]) -> Condition {
        let placeholder = Condition::And(Vec::new());
        if ql == QueryLanguage::Jsonata {
            let mut allowed = vec!["Condition"];
            allowed.extend_from_slice(extra);
            for k in o.map.keys() {
                let jsonpath_rule = matches!(k.as_str(), "Variable" | "And" | "Or" | "Not")
                    || Comparison::from_field(k).is_some();
                if jsonpath_rule && !allowed.contains(&k.as_str()) {
                    self.diags.push(
                        Diagnostic::new(K::Rule, o.loc.key(k.as_str()), format!("`{k}` is a JSONPath field and is not allowed in a JSONata choice rule"))
                            .with_help("write the test as `\"Condition\": \"{% … %}\"`"),
                    );
                    allowed.push(k.as_str());
                }
            }
            self.check_fields_ql(o, &allowed, "a JSONata choice rule", ql);
            return match o.map.get("Condition") {
                Some(Value::String(s)) => match JsonataExpr::from_str_value(s) {
                    Some(e) => Condition::Jsonata(e),
                    None => {
                        self.err(
                            K::Expression,
                            o.loc.key("Condition"),
                            "`Condition` must be a `{% … %}` expression",
                        );
                        placeholder
                    }
                },
                Some(Value::Bool(b)) => Condition::Constant(*b),
                Some(other) => {
                    self.err(
                        K::Schema,
                        o.loc.key("Condition"),
                        format!(
                            "`Condition` must be a `{{% … %}}` expression, found {}",
                            type_name(other)
                        ),
                    );
                    placeholder
                }
                None => {
                    self.err(
                        K::Schema,
                        o.loc.clone(),
                        "a JSONata choice rule needs `Condition`",
                    );
                    placeholder
                }
            };
        }
        if o.map.contains_key("Condition") {
            self.diags.push(
                Diagnostic::new(K::Rule, o.loc.key("Condition"), "`Condition` is a JSONata field and is not allowed in a JSONPath choice rule")
                    .with_help("use `Variable` with a comparison operator, or set `\"QueryLanguage\": \"JSONata\"` on the state"),
            );
            if !["Variable", "And", "Or", "Not"]
                .iter()
                .any(|k| o.map.contains_key(*k))
            {
                return placeholder;
            }
        }
        let extra: Vec<&str> = extra.iter().copied().chain(["Condition"]).collect();
        let extra = extra.as_slice();
        let keys: Vec<&String> = o
            .map
            .keys()
            .filter(|k| !extra.contains(&k.as_str()))
            .collect();
        for combinator in ["And", "Or"] {
            if let Some(v) = o.map.get(combinator) {
                for k in &keys {
                    if k.as_str() != combinator {
                        self.err(
                            K::Schema,
                            o.loc.key(k.as_str()),
                            format!("unexpected field `{k}` next to `{combinator}`"),
                        );
                    }
                }
                let Value::Array(a) = v else {
                    self.err(
                        K::Schema,
                        o.loc.key(combinator),
                        format!("`{combinator}` must be an array of rules"),
                    );
                    return placeholder;
                };
                if a.is_empty() {
                    self.err(
                        K::Schema,
                        o.loc.key(combinator),
                        format!("`{combinator}` must hold at least one rule"),
                    );
                }
                let mut cs = Vec::new();
                for (i, c) in a.iter().enumerate() {
                    if let Some(co) =
                        self.object(c, &o.loc.key(combinator).index(i), "a nested rule")
                    {
                        cs.push(self.nested(&co, ql));
                    }
                }
                return if combinator == "And" {
                    Condition::And(cs)
                } else {
                    Condition::Or(cs)
                };
            }
        }
        if let Some(v) = o.map.get("Not") {
            for k in &keys {
                if k.as_str() != "Not" {
                    self.err(
                        K::Schema,
                        o.loc.key(k.as_str()),
                        format!("unexpected field `{k}` next to `Not`"),
                    );
                }
            }
            return match self.object(v, &o.loc.key("Not"), "`Not`") {
                Some(co) => Condition::Not(Box::new(self.nested(&co, ql))),
                None => placeholder,
            };
        }
        let variable = if o.map.contains_key("Variable") {
            self.path(o, "Variable", false)
        } else {
            self.err(
                K::Schema,
                o.loc.clone(),
                "a choice rule needs `Variable` and a comparison operator, or `And`, `Or`, `Not`",
            );
            return placeholder;
        };
        let mut found: Option<(Comparison, bool, &String)> = None;
        for k in &keys {
            if k.as_str() == "Variable" {
                continue;
            }
            match Comparison::from_field(k) {
                Some((op, is_path)) => {
                    if found.is_some() {
                        self.err(
                            K::Schema,
                            o.loc.key(k.as_str()),
                            format!("a choice rule has more than one comparison operator (`{k}`)"),
                        );
                    } else {
                        found = Some((op, is_path, k));
                    }
                }
                None => {
                    let names: Vec<String> = Comparison::ALL
                        .iter()
                        .flat_map(|c| {
                            let mut v = vec![c.name().to_string()];
                            if c.has_path_form() {
                                v.push(format!("{}Path", c.name()));
                            }
                            v
                        })
                        .collect();
                    let mut d = Diagnostic::new(
                        K::Schema,
                        o.loc.key(k.as_str()),
                        format!("unknown field `{k}` in a choice rule"),
                    );
                    if let Some(s) = did_you_mean(k, names.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                }
            }
        }
        let Some((op, is_path, key)) = found else {
            self.err(
                K::Schema,
                o.loc.clone(),
                "a choice rule with `Variable` needs a comparison operator such as `StringEquals`",
            );
            return placeholder;
        };
        let key = key.clone();
        let operand = if is_path {
            match self.path(o, &key, false) {
                Some(p) => Operand::Path(p),
                None => return placeholder,
            }
        } else {
            let v = &o.map[&key];
            let ok = match op.operand_type() {
                OperandType::String => v.is_string(),
                OperandType::Number => v.is_number(),
                OperandType::Boolean => v.is_boolean(),
                // AWS accepts any string here; one that is not a timestamp never matches.
                OperandType::Timestamp => v.is_string(),
            };
            if !ok {
                let want = match op.operand_type() {
                    OperandType::String => "a string",
                    OperandType::Number => "a number",
                    OperandType::Boolean => "a boolean",
                    OperandType::Timestamp => "a timestamp string",
                };
                self.err(
                    K::Schema,
                    o.loc.key(key.as_str()),
                    format!("`{key}` must be {want}, found {v}"),
                );
            }
            Operand::Literal(v.clone())
        };
        match variable {
            Some(variable) => Condition::Compare {
                variable,
                op,
                operand,
            },
            None => placeholder,
        }
    }

    fn nested(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Condition {
        if o.map.contains_key("Next") {
            self.err(
                K::Rule,
                o.loc.key("Next"),
                "a rule nested in `And`, `Or` or `Not` cannot have `Next`",
            );
        }
        self.condition(o, ql, &["Next", "Comment"])
    }
}

/// "unknown field `X` in Y", with a suggestion when one field is close, else the list of valid ones.
fn unknown_field(loc: Location, key: &str, what: &str, allowed: &[&str]) -> Diagnostic {
    let d = Diagnostic::new(K::Schema, loc, format!("unknown field `{key}` in {what}"));
    match did_you_mean(key, allowed.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "expected one of {}",
            allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The largest definition AWS accepts, in bytes.
pub const MAX_DEFINITION_BYTES: usize = 1024 * 1024;

/// Reads a definition's shape without the graph rules. Returns the model when the document was
/// readable enough to build one, and every problem found.
pub fn read(v: &Value) -> (Option<StateMachine>, Vec<Diagnostic>) {
    let mut r = Reader::new();
    let root = Location::root();
    // Text input is measured as written (see `StateMachine::from_json_str`); a value in its
    // compact form, which is the smallest text that could have produced it.
    let size = serde_json::to_vec(v).map_or(0, |b| b.len());
    if size > MAX_DEFINITION_BYTES {
        r.err(
            K::Range,
            root.clone(),
            format!("the definition is {size} bytes; Step Functions accepts at most {MAX_DEFINITION_BYTES} bytes"),
        );
    }
    let Some(o) = r.object(v, &root, "a state machine definition") else {
        return (None, r.diags);
    };
    r.check_fields(
        &o,
        &[
            "StartAt",
            "States",
            "Comment",
            "Version",
            "TimeoutSeconds",
            "QueryLanguage",
        ],
        "the top level",
    );
    let start_at = r.required_string(&o, "StartAt", "the definition");
    if o.map.get("StartAt").and_then(Value::as_str) == Some("") {
        r.err(K::Schema, root.key("StartAt"), "`StartAt` cannot be empty");
    }
    let comment = r.string(&o, "Comment");
    let version = r.string(&o, "Version");
    if let Some(ver) = &version {
        if ver != "1.0" {
            r.err(
                K::Schema,
                root.key("Version"),
                format!("unsupported `Version` `{ver}`; expected `1.0`"),
            );
        }
    }
    let timeout_seconds = r.uint(&o, "TimeoutSeconds", 1, 99_999_999);
    let query_language = r.query_language(&o);
    r.top = query_language.unwrap_or_default();
    let states = r.states(&o, query_language.unwrap_or_default());
    let sm = StateMachine {
        comment,
        start_at,
        states,
        version,
        timeout_seconds,
        query_language,
    };
    (Some(sm), r.diags)
}

/// The JSON number kept as written (for `BackoffRate` and friends).
pub fn number(n: &Number) -> Value {
    Value::Number(n.clone())
}
