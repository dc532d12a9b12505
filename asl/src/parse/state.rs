//! Reading states: each state type's fields, and Parallel branches and Map processors.

#[allow(unused_imports)]
use super::*;

impl Reader {
    pub(super) fn branch(
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

    pub(super) fn state(
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
                    item_batcher: self.item_batcher(&o, ql),
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

    /// A Map's `ItemBatcher`: its limits (a number, a `…Path` in JSONPath, an expression in
    /// JSONata) and `BatchInput`.
    fn item_batcher(&mut self, state: &Obj<'_>, ql: QueryLanguage) -> Option<ItemBatcher> {
        let v = state.map.get("ItemBatcher")?;
        let o = self.object(v, &state.loc.key("ItemBatcher"), "`ItemBatcher`")?;
        let allowed: &[&str] = match ql {
            QueryLanguage::JsonPath => &[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ],
            QueryLanguage::Jsonata => &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"],
        };
        self.check_fields(&o, allowed, "`ItemBatcher`");
        self.exclusive(&o, "MaxItemsPerBatch", "MaxItemsPerBatchPath");
        self.exclusive(&o, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath");
        let batch_input = match ql {
            QueryLanguage::JsonPath => self.payload(&o, "BatchInput"),
            QueryLanguage::Jsonata => self.jsonata_value(&o, "BatchInput"),
        };
        Some(ItemBatcher {
            max_items_per_batch: self.uint_or_expr(&o, "MaxItemsPerBatch", 1, 99_999_999, ql),
            max_items_per_batch_path: self.path(&o, "MaxItemsPerBatchPath", true),
            max_input_bytes_per_batch: self.uint_or_expr(
                &o,
                "MaxInputBytesPerBatch",
                1,
                ItemBatcher::MAX_INPUT_BYTES,
                ql,
            ),
            max_input_bytes_per_batch_path: self.path(&o, "MaxInputBytesPerBatchPath", true),
            batch_input,
        })
    }

    pub(super) fn exclusive(&mut self, o: &Obj<'_>, a: &str, b: &str) {
        if o.map.contains_key(a) && o.map.contains_key(b) {
            self.err(
                K::Rule,
                o.loc.key(b),
                format!("`{a}` and `{b}` cannot both be given"),
            );
        }
    }

    pub(super) fn timestamp(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Option<Expr<String>> {
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
    pub(super) fn dynamic(&mut self, o: &Obj<'_>, key: &str) -> Option<Template> {
        let s = self.string(o, key)?;
        match parse_dynamic(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(K::Expression, o.loc.key(key), e);
                None
            }
        }
    }
}
