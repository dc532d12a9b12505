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

mod choice;
mod state;

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
