//! Phase 3, lowering: the DSL's syntax tree → Amazon States Language JSON, plus a table from ASL
//! locations to the user's tokens so the shared validator's diagnostics land on them.

use crate::ast::*;
use proc_macro2::TokenStream;
use quote::ToTokens;
use serde_json::{json, Map, Value as J};
use stepfn_asl::diagnostic::Location;
use stepfn_asl::OptionKeyword as K;

/// Where each part of the lowered JSON came from.
#[derive(Default)]
pub struct Spans {
    entries: Vec<(Location, TokenStream)>,
}

impl Spans {
    fn add(&mut self, loc: Location, tokens: TokenStream) {
        self.entries.push((loc, tokens));
    }

    /// The tokens of the longest recorded location that is a prefix of `loc`.
    pub fn find(&self, loc: &Location) -> Option<&TokenStream> {
        self.entries
            .iter()
            .filter(|(l, _)| loc.0.starts_with(&l.0))
            .max_by_key(|(l, _)| l.0.len())
            .map(|(_, t)| t)
    }
}

/// A typed task found while lowering: which handler serves which resource.
pub struct TaskBinding {
    /// The handler's Rust path.
    pub handler: syn::Path,
    /// The resource string it is registered under.
    pub resource: String,
}

/// A lowered workflow.
pub struct Lowered {
    /// The ASL definition.
    pub asl: J,
    /// Locations → tokens.
    pub spans: Spans,
    /// Rust task handlers.
    pub tasks: Vec<TaskBinding>,
    /// Problems found while lowering (duplicates, missing pieces).
    pub errors: Vec<syn::Error>,
}

/// Lowers one workflow.
pub fn workflow(w: &Workflow) -> Lowered {
    let mut l = Lowerer {
        spans: Spans::default(),
        tasks: Vec::new(),
        errors: Vec::new(),
        seen: std::collections::HashMap::new(),
    };
    let mut top = Map::new();
    for s in &w.body.settings {
        let key = s.keyword.asl_field();
        l.spans
            .add(Location::root().key(key), s.value.tokens.clone());
        top.insert(key.into(), s.value.json.clone());
    }
    let (start, states) = l.scope(&w.body, &Location::root(), &w.name.to_token_stream());
    top.insert("StartAt".into(), start);
    top.insert("States".into(), states);
    Lowered {
        asl: J::Object(top),
        spans: l.spans,
        tasks: l.tasks,
        errors: l.errors,
    }
}

struct Lowerer {
    spans: Spans,
    tasks: Vec<TaskBinding>,
    errors: Vec<syn::Error>,
    /// State names defined so far (names are unique across the whole machine), with their tokens.
    seen: std::collections::HashMap<String, proc_macro2::Ident>,
}

fn path_json(p: &Option<PathExpr>) -> J {
    match p {
        Some(p) => J::String(p.text.clone()),
        None => J::Null,
    }
}

impl Lowerer {
    fn scope(&mut self, scope: &Scope, loc: &Location, owner: &TokenStream) -> (J, J) {
        let start = match &scope.start {
            Some(s) => {
                self.spans.add(loc.key("StartAt"), s.to_token_stream());
                J::String(s.to_string())
            }
            None => {
                // Without `start`, the first state starts, as a reader would expect.
                match scope.states.first() {
                    Some(first) => {
                        self.spans
                            .add(loc.key("StartAt"), first.name.to_token_stream());
                        J::String(first.name.to_string())
                    }
                    None => {
                        let _ = owner;
                        self.errors
                            .push(syn::Error::new(scope.span, "this scope has no states"));
                        J::String(String::new())
                    }
                }
            }
        };
        let mut states = Map::new();
        let states_loc = loc.key("States");
        for st in &scope.states {
            let name = st.name.to_string();
            if let Some(first) = self.seen.get(&name) {
                let mut e = syn::Error::new(st.name.span(), format!("duplicate state `{name}`; state names must be unique across the whole workflow"));
                e.combine(syn::Error::new(
                    first.span(),
                    format!("`{name}` first defined here"),
                ));
                self.errors.push(e);
                continue;
            }
            self.seen.insert(name.clone(), st.name.clone());
            let sloc = states_loc.key(&name);
            self.spans.add(sloc.clone(), st.name.to_token_stream());
            let v = self.state(st, &sloc);
            states.insert(name, v);
        }
        (start, J::Object(states))
    }

    /// Two handlers with the same last path segment (`a::charge`, `b::charge`) would be the same
    /// resource, `${charge}`, in the exported ASL and the same Lambda function: refused on the
    /// second one. The same handler used by several states is fine.
    fn check_handler_name(&mut self, handler: &syn::Path, resource: &str) {
        let path = |p: &syn::Path| p.to_token_stream().to_string().replace(' ', "");
        if let Some(first) = self
            .tasks
            .iter()
            .find(|t| t.resource == resource && path(&t.handler) != path(handler))
        {
            self.errors.push(syn::Error::new_spanned(
                handler,
                format!(
                    "handlers `{}` and `{}` would both be the resource `{resource}`; import one under another name (`use {} as <new_name>;`)",
                    path(&first.handler),
                    path(handler),
                    path(handler),
                ),
            ));
        }
    }

    fn state(&mut self, st: &StateDef, loc: &Location) -> J {
        let mut m = Map::new();
        let kw = st.kind.keyword();
        self.spans.add(loc.key("Type"), kw.to_token_stream());
        let ty = match &st.kind {
            Kind::Pass(_) => "Pass",
            Kind::Task { .. } => "Task",
            Kind::Choice { .. } => "Choice",
            Kind::Wait { .. } => "Wait",
            Kind::Succeed(_) => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map { .. } => "Map",
        };
        m.insert("Type".into(), ty.into());
        match &st.kind {
            Kind::Task { handler, .. } => {
                let explicit = st
                    .options
                    .iter()
                    .find(|o| o.key.keyword() == Some(K::Resource));
                let resource = match (handler, explicit) {
                    (
                        _,
                        Some(Opt {
                            value: OptValue::Json(v),
                            ..
                        }),
                    ) => v.json.as_str().unwrap_or_default().to_string(),
                    (Some(h), _) => {
                        let last = h
                            .segments
                            .last()
                            .map(|s| s.ident.to_string())
                            .unwrap_or_default();
                        format!("${{{last}}}")
                    }
                    (None, _) => {
                        self.errors.push(syn::Error::new(
                            kw.span(),
                            "a task needs a handler (`task my_async_fn`) or a `resource \"arn:…\";` option",
                        ));
                        String::new()
                    }
                };
                if let Some(h) = handler {
                    self.spans.add(loc.key("Resource"), h.to_token_stream());
                    self.check_handler_name(h, &resource);
                    self.tasks.push(TaskBinding {
                        handler: h.clone(),
                        resource: resource.clone(),
                    });
                }
                m.insert("Resource".into(), resource.into());
            }
            Kind::Choice { rules, default, .. } => {
                let mut choices = Vec::new();
                for (i, r) in rules.iter().enumerate() {
                    let rloc = loc.key("Choices").index(i);
                    let mut rm = Map::new();
                    self.cond(&r.cond, &rloc, &mut rm);
                    self.spans.add(rloc.key("Next"), r.next.to_token_stream());
                    rm.insert("Next".into(), r.next.to_string().into());
                    self.small_block(&r.options, &rloc, &mut rm);
                    choices.push(J::Object(rm));
                }
                m.insert("Choices".into(), J::Array(choices));
                if let Some(d) = default {
                    self.spans.add(loc.key("Default"), d.to_token_stream());
                    m.insert("Default".into(), d.to_string().into());
                }
            }
            Kind::Wait { what, .. } => match what {
                WaitFor::Seconds(s, t) => {
                    self.spans.add(loc.key("Seconds"), t.clone());
                    m.insert("Seconds".into(), (*s).into());
                }
                WaitFor::Timestamp(l) => {
                    self.spans.add(loc.key("Timestamp"), l.to_token_stream());
                    m.insert("Timestamp".into(), l.value().into());
                }
                WaitFor::SecondsPath(p) => {
                    self.spans.add(loc.key("SecondsPath"), p.tokens.clone());
                    m.insert("SecondsPath".into(), p.text.clone().into());
                }
                WaitFor::TimestampPath(p) => {
                    self.spans.add(loc.key("TimestampPath"), p.tokens.clone());
                    m.insert("TimestampPath".into(), p.text.clone().into());
                }
            },
            Kind::Fail { error, cause, .. } => {
                if let Some(e) = error {
                    self.spans.add(loc.key("Error"), e.to_token_stream());
                    m.insert("Error".into(), e.value().into());
                }
                if let Some(c) = cause {
                    self.spans.add(loc.key("Cause"), c.to_token_stream());
                    m.insert("Cause".into(), c.value().into());
                }
            }
            Kind::Map { items: Some(p), .. } => {
                self.spans.add(loc.key("ItemsPath"), p.tokens.clone());
                m.insert("ItemsPath".into(), p.text.clone().into());
            }
            _ => {}
        }
        let mut seen_opts: std::collections::HashMap<String, TokenStream> =
            std::collections::HashMap::new();
        for o in &st.options {
            let name = o.key.name();
            if !o.key.keyword().is_some_and(K::is_repeatable) {
                if let Some(first) = seen_opts.get(&name) {
                    let mut e =
                        syn::Error::new_spanned(o.key.tokens(), format!("`{name}` is set twice"));
                    e.combine(syn::Error::new_spanned(first, "first set here"));
                    self.errors.push(e);
                    continue;
                }
                seen_opts.insert(name.clone(), o.key.tokens());
            }
            self.option(o, loc, &mut m);
        }
        // `mode`/`execution_type` go in the processor; with the legacy `iterator`, in `Iterator`.
        if m.contains_key("Iterator") {
            if let Some(J::Object(pc)) = m.remove("ItemProcessor") {
                if let Some(J::Object(it)) = m.get_mut("Iterator") {
                    // ProcessorConfig follows States in the legacy form as AWS examples write it.
                    for (k, v) in pc {
                        it.insert(k, v);
                    }
                }
            }
        }
        match &st.transition {
            Some(Transition::Next(n)) => {
                self.spans.add(loc.key("Next"), n.to_token_stream());
                m.insert("Next".into(), n.to_string().into());
            }
            Some(Transition::End(e)) => {
                self.spans.add(loc.key("End"), e.to_token_stream());
                m.insert("End".into(), true.into());
            }
            None => {}
        }
        J::Object(m)
    }

    fn option(&mut self, o: &Opt, loc: &Location, m: &mut Map<String, J>) {
        let Some(keyword) = o.key.keyword() else {
            // An ASL field written verbatim.
            self.field(&o.key.name(), o, loc, m);
            return;
        };
        match keyword {
            K::Resource => {} // handled with the task kind
            K::Mode | K::ExecutionType => {
                let pc_loc = loc.key(K::Processor.asl_field()).key("ProcessorConfig");
                let value = match &o.value {
                    OptValue::Word(w) => {
                        self.spans.add(pc_loc, w.to_token_stream());
                        J::String(w.to_string().to_uppercase())
                    }
                    OptValue::Json(v) => {
                        self.spans.add(pc_loc, v.tokens.clone());
                        v.json.clone()
                    }
                    _ => J::Null,
                };
                let proc = m
                    .entry(K::Processor.asl_field())
                    .or_insert_with(|| json!({}));
                if let Some(p) = proc.as_object_mut() {
                    let pc = p.entry("ProcessorConfig").or_insert_with(|| json!({}));
                    if let Some(pc) = pc.as_object_mut() {
                        pc.insert(keyword.asl_field().into(), value);
                    }
                }
            }
            K::Retry => {
                let field = keyword.asl_field();
                if let OptValue::Retry(r) = &o.value {
                    let arr = m.entry(field).or_insert_with(|| J::Array(Vec::new()));
                    let i = arr.as_array().map_or(0, Vec::len);
                    let rloc = loc.key(field).index(i);
                    self.spans.add(rloc.clone(), o.key.tokens());
                    let mut rm = Map::new();
                    rm.insert("ErrorEquals".into(), self.errors_json(&r.errors, &rloc));
                    let fields = [
                        (
                            "IntervalSeconds",
                            r.interval.as_ref().map(|(v, t)| (J::from(*v), t)),
                        ),
                        (
                            "MaxAttempts",
                            r.max_attempts.as_ref().map(|(v, t)| (J::from(*v), t)),
                        ),
                        (
                            "BackoffRate",
                            r.backoff.as_ref().map(|(v, t)| (J::Number(v.clone()), t)),
                        ),
                        (
                            "MaxDelaySeconds",
                            r.max_delay.as_ref().map(|(v, t)| (J::from(*v), t)),
                        ),
                    ];
                    for (key, field) in fields {
                        if let Some((v, t)) = field {
                            self.spans.add(rloc.key(key), t.clone());
                            rm.insert(key.into(), v);
                        }
                    }
                    if r.jitter {
                        rm.insert("JitterStrategy".into(), "FULL".into());
                    }
                    if let Some(a) = m.get_mut(field).and_then(J::as_array_mut) {
                        a.push(J::Object(rm));
                    }
                }
            }
            K::Catch => {
                let field = keyword.asl_field();
                if let OptValue::Catch(c) = &o.value {
                    let arr = m.entry(field).or_insert_with(|| J::Array(Vec::new()));
                    let i = arr.as_array().map_or(0, Vec::len);
                    let cloc = loc.key(field).index(i);
                    self.spans.add(cloc.clone(), o.key.tokens());
                    let mut cm = Map::new();
                    cm.insert("ErrorEquals".into(), self.errors_json(&c.errors, &cloc));
                    if let Some((p, t)) = &c.result_path {
                        self.spans.add(cloc.key("ResultPath"), t.clone());
                        cm.insert("ResultPath".into(), path_json(p));
                    }
                    self.spans.add(cloc.key("Next"), c.next.to_token_stream());
                    cm.insert("Next".into(), c.next.to_string().into());
                    self.small_block(&c.options, &cloc, &mut cm);
                    if let Some(a) = m.get_mut(field).and_then(J::as_array_mut) {
                        a.push(J::Object(cm));
                    }
                }
            }
            K::Branch => {
                let field = keyword.asl_field();
                if let OptValue::Scope(s) = &o.value {
                    let arr = m.entry(field).or_insert_with(|| J::Array(Vec::new()));
                    let i = arr.as_array().map_or(0, Vec::len);
                    let bloc = loc.key(field).index(i);
                    self.spans.add(bloc.clone(), o.key.tokens());
                    let (start, states) = self.scope(s, &bloc, &o.key.tokens());
                    if let Some(a) = m.get_mut(field).and_then(J::as_array_mut) {
                        a.push(json!({"StartAt": start, "States": states}));
                    }
                }
            }
            K::Processor | K::Iterator => {
                let key = keyword.asl_field();
                if let OptValue::Scope(s) = &o.value {
                    let ploc = loc.key(key);
                    self.spans.add(ploc.clone(), o.key.tokens());
                    let (start, states) = self.scope(s, &ploc, &o.key.tokens());
                    let proc = m.entry(key).or_insert_with(|| json!({}));
                    if let Some(p) = proc.as_object_mut() {
                        p.insert("StartAt".into(), start);
                        p.insert("States".into(), states);
                    }
                }
            }
            _ => self.field(keyword.asl_field(), o, loc, m),
        }
    }

    /// An option that sets one field of the state to its value.
    fn field(&mut self, field: &str, o: &Opt, loc: &Location, m: &mut Map<String, J>) {
        let (value, tokens) = match &o.value {
            OptValue::Json(v) => (v.json.clone(), v.tokens.clone()),
            OptValue::Path(p, t) => (path_json(p), t.clone()),
            OptValue::Seconds(s, t) | OptValue::Int(s, t) => ((*s).into(), t.clone()),
            OptValue::Word(w) => {
                let v = if o.key.keyword() == Some(K::QueryLanguage) {
                    match w.to_string().to_lowercase().as_str() {
                        "jsonata" => J::String("JSONata".into()),
                        "jsonpath" => J::String("JSONPath".into()),
                        other => J::String(other.to_string()),
                    }
                } else {
                    J::String(w.to_string())
                };
                (v, w.to_token_stream())
            }
            _ => (J::Null, o.key.tokens()),
        };
        let floc = loc.key(field);
        // Problems inside a JSON value point at the whole value's tokens.
        self.spans.add(floc, tokens);
        m.insert(field.to_string(), value);
    }

    /// `assign`, `output`, `comment` of a choice rule or a catcher.
    fn small_block(&mut self, options: &[Opt], loc: &Location, m: &mut Map<String, J>) {
        for o in options {
            let Some(keyword) = o.key.keyword() else {
                continue; // the parser accepts only `assign`, `output` and `comment` here
            };
            let field = keyword.asl_field();
            if let OptValue::Json(v) = &o.value {
                self.spans.add(loc.key(field), v.tokens.clone());
                m.insert(field.into(), v.json.clone());
            }
        }
    }

    fn errors_json(&mut self, errors: &[(String, TokenStream)], loc: &Location) -> J {
        let eloc = loc.key("ErrorEquals");
        J::Array(
            errors
                .iter()
                .enumerate()
                .map(|(i, (name, t))| {
                    self.spans.add(eloc.index(i), t.clone());
                    J::String(name.clone())
                })
                .collect(),
        )
    }

    fn cond(&mut self, c: &Cond, loc: &Location, m: &mut Map<String, J>) {
        match c {
            Cond::And(cs) | Cond::Or(cs) => {
                let key = if matches!(c, Cond::And(_)) {
                    "And"
                } else {
                    "Or"
                };
                let items = cs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let mut im = Map::new();
                        self.cond(c, &loc.key(key).index(i), &mut im);
                        J::Object(im)
                    })
                    .collect();
                m.insert(key.into(), J::Array(items));
            }
            Cond::Not(inner) => {
                let mut im = Map::new();
                self.cond(inner, &loc.key("Not"), &mut im);
                m.insert("Not".into(), J::Object(im));
            }
            Cond::Compare {
                var,
                op,
                rhs,
                op_tokens,
            } => {
                self.spans.add(loc.key("Variable"), var.tokens.clone());
                m.insert("Variable".into(), var.text.clone().into());
                match rhs {
                    Operand::Literal(v, t) => {
                        self.spans.add(loc.key(op), t.clone());
                        m.insert(op.clone(), v.clone());
                    }
                    Operand::Path(p) => {
                        let key = format!("{op}Path");
                        self.spans.add(loc.key(&key), p.tokens.clone());
                        m.insert(key, p.text.clone().into());
                    }
                }
                let _ = op_tokens;
            }
            Cond::Jsonata(l) => {
                self.spans.add(loc.key("Condition"), l.to_token_stream());
                m.insert("Condition".into(), l.value().into());
            }
            Cond::Constant(b) => {
                self.spans.add(loc.key("Condition"), b.to_token_stream());
                m.insert("Condition".into(), b.value.into());
            }
            Cond::List { all, items } => {
                let key = if *all { "And" } else { "Or" };
                let list = items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let mut im = Map::new();
                        self.cond(c, &loc.key(key).index(i), &mut im);
                        J::Object(im)
                    })
                    .collect();
                m.insert(key.into(), J::Array(list));
            }
        }
    }
}
