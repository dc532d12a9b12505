//! Rendering a state machine as `workflow!` source: the way an existing ASL definition moves
//! into Rust (`stepfn dsl FILE`). The rendered workflow lowers back to the same definition.

use crate::choice::{ChoiceRule, Comparison, Condition, Operand};
use crate::keyword::OptionKeyword as K;
use crate::model::*;
use crate::template::Template;
use serde_json::Value;
use std::fmt::{Display, Write};

/// Renders `sm` as a `workflow! { … }` invocation defining a workflow called `name`.
pub fn render(sm: &StateMachine, name: &str) -> String {
    let mut out = String::new();
    out.push_str("workflow! {\n");
    if let Some(c) = &sm.comment {
        let _ = writeln!(out, "    /// {}", c.replace('\n', " "));
    }
    let _ = writeln!(out, "    pub {name} {{");
    let ind = "        ";
    if let Some(c) = &sm.comment {
        let _ = writeln!(out, "{ind}{}", opt(K::Comment, lit(c)));
    }
    if let Some(t) = sm.timeout_seconds {
        let _ = writeln!(out, "{ind}{}", opt(K::Timeout, format_args!("{t}s")));
    }
    if let Some(v) = &sm.version {
        let _ = writeln!(out, "{ind}{}", opt(K::Version, lit(v)));
    }
    if let Some(q) = sm.query_language {
        let _ = writeln!(
            out,
            "{ind}{}",
            opt(K::QueryLanguage, q.as_str().to_lowercase())
        );
    }
    scope(&mut out, &sm.start_at, &sm.states, 8);
    out.push_str("    }\n}\n");
    out
}

/// An option statement: `keyword value;`.
fn opt(keyword: K, value: impl Display) -> String {
    format!("{keyword} {value};")
}

/// An ASL field written verbatim, for a value the keyword's own syntax cannot hold (JSONata):
/// `"TimeoutSeconds": "{% … %}";`.
fn verbatim(keyword: K, value: impl Display) -> String {
    format!("\"{}\": {value};", keyword.asl_field())
}

/// A Rust string literal (valid for the DSL's JSON values too).
fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// A JSON value in the DSL's syntax (JSON with Rust string literals).
fn json(v: &Value) -> String {
    match v {
        Value::String(s) => lit(s),
        Value::Array(a) => format!("[{}]", a.iter().map(json).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            if m.is_empty() {
                return "{}".into();
            }
            format!(
                "{{ {} }}",
                m.iter()
                    .map(|(k, v)| format!("{}: {}", lit(k), json(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn template(t: &Template) -> String {
    json(&t.to_json())
}

fn scope(out: &mut String, start: &str, states: &indexmap::IndexMap<String, State>, indent: usize) {
    let ind = " ".repeat(indent);
    let _ = writeln!(out, "{ind}start {start};");
    for (name, st) in states {
        state(out, name, st, indent);
    }
}

fn errors(list: &[String]) -> String {
    format!(
        "[{}]",
        list.iter().map(|e| lit(e)).collect::<Vec<_>>().join(", ")
    )
}

fn path_opt(p: &Option<IoPath>) -> Option<String> {
    p.as_ref().map(|p| match p {
        IoPath::Null => "null".to_string(),
        IoPath::Path(p) => lit(p.as_str()),
    })
}

fn result_path(p: &Option<ResultPath>) -> Option<String> {
    p.as_ref().map(|p| match p {
        ResultPath::Discard => "null".to_string(),
        ResultPath::Path(p) => lit(p.as_str()),
    })
}

fn num_expr(e: &Expr<u64>, dur: bool) -> String {
    match e {
        Expr::Literal(n) if dur => format!("{n}s"),
        Expr::Literal(n) => n.to_string(),
        Expr::Jsonata(j) => lit(&j.raw),
    }
}

fn state(out: &mut String, name: &str, st: &State, indent: usize) {
    let ind = " ".repeat(indent);
    let inner = " ".repeat(indent + 4);
    let mut opts: Vec<String> = Vec::new();
    let mut head = String::new();
    if let Some(c) = &st.comment {
        opts.push(opt(K::Comment, lit(c)));
    }
    if let Some(q) = st.query_language {
        opts.push(opt(K::QueryLanguage, q.as_str().to_lowercase()));
    }
    if let Some(p) = path_opt(&st.input_path) {
        opts.push(opt(K::InputPath, p));
    }
    let retry_catch = |opts: &mut Vec<String>, retry: &[Retrier], catch: &[Catcher]| {
        for r in retry {
            let mut parts = Vec::new();
            if let Some(i) = r.interval_seconds {
                parts.push(format!("every {i}s"));
            }
            if let Some(m) = r.max_attempts {
                parts.push(format!("{m} times"));
            }
            if let Some(b) = &r.backoff_rate {
                let text = b.to_string();
                parts.push(format!(
                    "backoff {}",
                    if text.contains('.') || text.contains('e') {
                        text
                    } else {
                        text.clone()
                    }
                ));
            }
            if let Some(m) = r.max_delay_seconds {
                parts.push(format!("max {m}s"));
            }
            match r.jitter_strategy {
                Some(JitterStrategy::Full) => parts.push("jitter".into()),
                Some(JitterStrategy::None) => {}
                None => {}
            }
            opts.push(
                format!(
                    "{} {} {};",
                    K::Retry,
                    errors(&r.error_equals),
                    parts.join(", ")
                )
                .replace(" ;", ";"),
            );
        }
        for c in catch {
            let mut line = format!("{} {}", K::Catch, errors(&c.error_equals));
            if let Some(rp) = result_path(&c.result_path) {
                let _ = write!(line, " into {rp}");
            }
            let _ = write!(line, " -> {}", c.next);
            let mut block = Vec::new();
            if let Some(a) = &c.assign {
                block.push(opt(K::Assign, template(&a.template)));
            }
            if let Some(o) = &c.output {
                block.push(opt(K::Output, template(o)));
            }
            if let Some(cm) = &c.comment {
                block.push(opt(K::Comment, lit(cm)));
            }
            if !block.is_empty() {
                let _ = write!(line, " {{ {} }}", block.join(" "));
            }
            line.push(';');
            opts.push(line);
        }
    };
    match &st.kind {
        StateKind::Pass(p) => {
            head.push_str("pass");
            if let Some(t) = &p.parameters {
                opts.push(opt(K::Parameters, template(t)));
            }
            if let Some(r) = &p.result {
                opts.push(opt(K::PassResult, json(r)));
            }
            if let Some(rp) = result_path(&p.result_path) {
                opts.push(opt(K::ResultPath, rp));
            }
        }
        StateKind::Task(t) => {
            head.push_str("task");
            opts.push(opt(K::Resource, lit(&t.resource)));
            if let Some(x) = &t.parameters {
                opts.push(opt(K::Parameters, template(x)));
            }
            if let Some(x) = &t.arguments {
                opts.push(opt(K::Arguments, template(x)));
            }
            if let Some(x) = &t.credentials {
                opts.push(opt(K::Credentials, template(x)));
            }
            if let Some(x) = &t.timeout_seconds {
                opts.push(match x {
                    Expr::Literal(_) => opt(K::Timeout, num_expr(x, true)),
                    Expr::Jsonata(j) => verbatim(K::Timeout, lit(&j.raw)),
                });
            }
            if let Some(p) = &t.timeout_seconds_path {
                opts.push(opt(K::TimeoutPath, lit(p.as_str())));
            }
            if let Some(x) = &t.heartbeat_seconds {
                opts.push(match x {
                    Expr::Literal(_) => opt(K::Heartbeat, num_expr(x, true)),
                    Expr::Jsonata(j) => verbatim(K::Heartbeat, lit(&j.raw)),
                });
            }
            if let Some(p) = &t.heartbeat_seconds_path {
                opts.push(opt(K::HeartbeatPath, lit(p.as_str())));
            }
            if let Some(x) = &t.result_selector {
                opts.push(opt(K::ResultSelector, template(x)));
            }
            if let Some(rp) = result_path(&t.result_path) {
                opts.push(opt(K::ResultPath, rp));
            }
            retry_catch(&mut opts, &t.retry, &t.catch);
        }
        StateKind::Choice(c) => {
            let mut body = String::new();
            for r in &c.choices {
                rule(&mut body, r, &inner);
            }
            if let Some(d) = &c.default {
                let _ = writeln!(body, "{inner}_ => {d},");
            }
            let mut extra = Vec::new();
            if let Some(c) = &st.comment {
                extra.push(opt(K::Comment, lit(c)));
            }
            if let Some(q) = st.query_language {
                extra.push(opt(K::QueryLanguage, q.as_str().to_lowercase()));
            }
            if let Some(p) = path_opt(&st.input_path) {
                extra.push(opt(K::InputPath, p));
            }
            if let Some(p) = path_opt(&st.output_path) {
                extra.push(opt(K::OutputPath, p));
            }
            if let Some(o) = &st.output {
                extra.push(opt(K::Output, template(o)));
            }
            if let Some(a) = &st.assign {
                extra.push(opt(K::Assign, template(&a.template)));
            }
            let _ = write!(out, "{ind}{name}: choice {{\n{body}{ind}}}");
            if !extra.is_empty() {
                out.push_str(" {\n");
                for o in &extra {
                    let _ = writeln!(out, "{inner}{o}");
                }
                out.push_str(&ind);
                out.push('}');
            }
            out.push('\n');
            return;
        }
        StateKind::Wait(w) => {
            head.push_str("wait ");
            match (&w.seconds, &w.timestamp, &w.seconds_path, &w.timestamp_path) {
                (Some(Expr::Literal(s)), _, _, _) => {
                    let _ = write!(head, "{s}s");
                }
                (_, Some(Expr::Literal(t)), _, _) => {
                    let _ = write!(head, "until {}", lit(t));
                }
                (_, _, Some(p), _) => {
                    let _ = write!(head, "{}", lit(p.as_str()));
                }
                (_, _, _, Some(p)) => {
                    let _ = write!(head, "until {}", lit(p.as_str()));
                }
                (Some(Expr::Jsonata(j)), _, _, _) => {
                    head = "wait 0s".into();
                    opts.push(format!("\"Seconds\": {};", lit(&j.raw)));
                }
                (_, Some(Expr::Jsonata(j)), _, _) => {
                    head = "wait 0s".into();
                    opts.push(format!("\"Timestamp\": {};", lit(&j.raw)));
                }
                _ => {}
            }
        }
        StateKind::Succeed => head.push_str("succeed"),
        StateKind::Fail(f) => {
            head.push_str("fail");
            match (&f.error, &f.cause) {
                (Some(Expr::Literal(e)), Some(Expr::Literal(c))) => {
                    let _ = write!(head, " {}, {}", lit(e), lit(c));
                }
                (Some(Expr::Literal(e)), None) => {
                    let _ = write!(head, " {}", lit(e));
                }
                _ => {
                    if let Some(e) = &f.error {
                        opts.push(format!("\"Error\": {};", lit(&expr_text(e))));
                    }
                    if let Some(c) = &f.cause {
                        opts.push(format!("\"Cause\": {};", lit(&expr_text(c))));
                    }
                }
            }
            if let Some(Template::Path(p)) = &f.error_path {
                opts.push(opt(K::ErrorPath, lit(p.as_str())));
            } else if let Some(t) = &f.error_path {
                opts.push(verbatim(K::ErrorPath, template(t)));
            }
            if let Some(Template::Path(p)) = &f.cause_path {
                opts.push(opt(K::CausePath, lit(p.as_str())));
            } else if let Some(t) = &f.cause_path {
                opts.push(verbatim(K::CausePath, template(t)));
            }
        }
        StateKind::Parallel(p) => {
            head.push_str("parallel");
            for b in &p.branches {
                let mut s = String::new();
                scope(&mut s, &b.start_at, &b.states, indent + 8);
                opts.push(format!("{} {{\n{s}{inner}}}", K::Branch));
            }
            if let Some(x) = &p.parameters {
                opts.push(opt(K::Parameters, template(x)));
            }
            if let Some(x) = &p.arguments {
                opts.push(opt(K::Arguments, template(x)));
            }
            if let Some(x) = &p.result_selector {
                opts.push(opt(K::ResultSelector, template(x)));
            }
            if let Some(rp) = result_path(&p.result_path) {
                opts.push(opt(K::ResultPath, rp));
            }
            retry_catch(&mut opts, &p.retry, &p.catch);
        }
        StateKind::Map(m) => {
            head.push_str("map");
            if let Some(p) = &m.items_path {
                let _ = write!(head, " {}", lit(p.as_str()));
            }
            if let Some(t) = &m.items {
                opts.push(format!("\"Items\": {};", template(t)));
            }
            if let Some(x) = &m.item_selector {
                opts.push(opt(K::ItemSelector, template(x)));
            }
            if let Some(x) = &m.parameters {
                opts.push(opt(K::Parameters, template(x)));
            }
            let batcher = m.item_batcher.as_ref().map(crate::serialize::item_batcher);
            for (field, v) in [
                ("ItemReader", m.item_reader.as_ref()),
                ("ItemBatcher", batcher.as_ref()),
                ("ResultWriter", m.result_writer.as_ref()),
            ] {
                if let Some(v) = v {
                    opts.push(format!("\"{field}\": {};", json(v)));
                }
            }
            if let Some(x) = &m.max_concurrency {
                opts.push(match x {
                    Expr::Literal(n) => opt(K::MaxConcurrency, n),
                    Expr::Jsonata(j) => verbatim(K::MaxConcurrency, lit(&j.raw)),
                });
            }
            if let Some(p) = &m.max_concurrency_path {
                opts.push(opt(K::MaxConcurrencyPath, lit(p.as_str())));
            }
            if let Some(x) = &m.tolerated_failure_count {
                opts.push(match x {
                    Expr::Literal(n) => opt(K::ToleratedFailures, n),
                    Expr::Jsonata(j) => verbatim(K::ToleratedFailures, lit(&j.raw)),
                });
            }
            if let Some(p) = &m.tolerated_failure_count_path {
                opts.push(opt(K::ToleratedFailuresPath, lit(p.as_str())));
            }
            if let Some(x) = &m.tolerated_failure_percentage {
                opts.push(match x {
                    Expr::Literal(n) => opt(K::ToleratedPercentage, n),
                    Expr::Jsonata(j) => verbatim(K::ToleratedPercentage, lit(&j.raw)),
                });
            }
            if let Some(p) = &m.tolerated_failure_percentage_path {
                opts.push(opt(K::ToleratedPercentagePath, lit(p.as_str())));
            }
            if let Some(l) = &m.label {
                opts.push(opt(K::Label, lit(l)));
            }
            if let Some(pc) = &m.processor.processor_config {
                if let Some(mode) = pc.mode {
                    opts.push(opt(
                        K::Mode,
                        if mode == MapMode::Distributed {
                            "distributed"
                        } else {
                            "inline"
                        },
                    ));
                }
                if let Some(et) = &pc.execution_type {
                    opts.push(opt(K::ExecutionType, lit(et)));
                }
            }
            let mut s = String::new();
            scope(
                &mut s,
                &m.processor.start_at,
                &m.processor.states,
                indent + 8,
            );
            let key = if m.legacy_iterator {
                K::Iterator
            } else {
                K::Processor
            };
            opts.push(format!("{key} {{\n{s}{inner}}}"));
            if let Some(x) = &m.result_selector {
                opts.push(opt(K::ResultSelector, template(x)));
            }
            if let Some(rp) = result_path(&m.result_path) {
                opts.push(opt(K::ResultPath, rp));
            }
            retry_catch(&mut opts, &m.retry, &m.catch);
        }
    }
    if let Some(p) = path_opt(&st.output_path) {
        opts.push(opt(K::OutputPath, p));
    }
    if let Some(o) = &st.output {
        opts.push(opt(K::Output, template(o)));
    }
    if let Some(a) = &st.assign {
        opts.push(opt(K::Assign, template(&a.template)));
    }
    let mut line = format!("{ind}{name}: {head}");
    if !opts.is_empty() {
        line.push_str(" {\n");
        for o in &opts {
            let _ = writeln!(line, "{inner}{o}");
        }
        line.push_str(&ind);
        line.push('}');
    }
    match st.transition() {
        Some(Transition::Next(n)) => {
            let _ = write!(line, " -> {n};");
        }
        Some(Transition::End) => line.push_str(" end;"),
        None => line.push(';'),
    }
    out.push_str(&line);
    out.push('\n');
}

fn expr_text(e: &Expr<String>) -> String {
    match e {
        Expr::Literal(s) => s.clone(),
        Expr::Jsonata(j) => j.raw.clone(),
    }
}

fn rule(out: &mut String, r: &ChoiceRule, ind: &str) {
    let _ = write!(
        out,
        "{ind}{} => {}",
        condition(&r.condition, true),
        r.next.as_deref().unwrap_or("?")
    );
    let mut block = Vec::new();
    if let Some(a) = &r.assign {
        block.push(opt(K::Assign, template(&a.template)));
    }
    if let Some(o) = &r.output {
        block.push(opt(K::Output, template(o)));
    }
    if let Some(c) = &r.comment {
        block.push(opt(K::Comment, lit(c)));
    }
    if !block.is_empty() {
        let _ = write!(out, " {{ {} }}", block.join(" "));
    }
    out.push_str(",\n");
}

fn condition(c: &Condition, top: bool) -> String {
    let group = |s: String| if top { s } else { format!("({s})") };
    let list = |all: bool, cs: &[Condition]| {
        format!(
            "{}({})",
            if all { "all" } else { "any" },
            cs.iter()
                .map(|c| condition(c, true))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    match c {
        Condition::And(cs) if cs.len() < 2 => list(true, cs),
        Condition::Or(cs) if cs.len() < 2 => list(false, cs),
        Condition::And(cs) => group(
            cs.iter()
                .map(|c| condition(c, false))
                .collect::<Vec<_>>()
                .join(" && "),
        ),
        Condition::Or(cs) => group(
            cs.iter()
                .map(|c| condition(c, false))
                .collect::<Vec<_>>()
                .join(" || "),
        ),
        Condition::Not(c) => format!("!({})", condition(c, true)),
        Condition::Jsonata(j) => lit(&j.raw),
        Condition::Constant(b) => b.to_string(),
        Condition::Compare {
            variable,
            op,
            operand,
        } => {
            let var = lit(variable.as_str());
            let name = op.name();
            if op.is_type_test() {
                let what = &name[2..].to_lowercase();
                let yes = matches!(operand, Operand::Literal(Value::Bool(true)));
                return format!("{var} is {}{what}", if yes { "" } else { "not " });
            }
            if *op == Comparison::StringMatches {
                if let Operand::Literal(v) = operand {
                    return format!("{var} matches {}", json(v));
                }
            }
            let (family, sym) = split_op(name);
            let rhs = match operand {
                Operand::Literal(v) => match family {
                    "Timestamp" => format!("timestamp({})", json(v)),
                    "String" if !v.is_string() => format!("string({})", json(v)),
                    "Numeric" if !v.is_number() => format!("number({})", json(v)),
                    "Boolean" if !v.is_boolean() => format!("boolean({})", json(v)),
                    _ => json(v),
                },
                Operand::Path(p) => {
                    let p = format!("path({})", lit(p.as_str()));
                    match family {
                        "Numeric" => p,
                        "String" => format!("string({p})"),
                        "Timestamp" => format!("timestamp({p})"),
                        _ => format!("boolean({p})"),
                    }
                }
            };
            format!("{var} {sym} {rhs}")
        }
    }
}

fn split_op(name: &str) -> (&str, &str) {
    for family in ["String", "Numeric", "Boolean", "Timestamp"] {
        if let Some(rest) = name.strip_prefix(family) {
            let sym = match rest {
                "Equals" => "==",
                "LessThan" => "<",
                "LessThanEquals" => "<=",
                "GreaterThan" => ">",
                _ => ">=",
            };
            return (family, sym);
        }
    }
    ("Numeric", "==")
}
