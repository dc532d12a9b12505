//! Reading Choice states' rules: JSONPath comparisons, `And`/`Or`/`Not`, JSONata conditions.

#[allow(unused_imports)]
use super::*;

impl Reader {
    pub(super) fn choices(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Vec<ChoiceRule> {
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
    pub(super) fn condition(
        &mut self,
        o: &Obj<'_>,
        ql: QueryLanguage,
        extra: &[&str],
    ) -> Condition {
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

    pub(super) fn nested(&mut self, o: &Obj<'_>, ql: QueryLanguage) -> Condition {
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
