//! The model back to ASL JSON, in definition order, with the exact ASL field names.

use crate::choice::ChoiceRule;
use crate::model::*;
use crate::template::Template;
use indexmap::IndexMap;
use serde_json::{Map, Value};

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn put<T>(m: &mut Map<String, Value>, key: &str, v: &Option<T>, f: impl FnOnce(&T) -> Value) {
    if let Some(v) = v {
        m.insert(key.to_string(), f(v));
    }
}

fn expr_u64(e: &Expr<u64>) -> Value {
    match e {
        Expr::Literal(n) => Value::from(*n),
        Expr::Jsonata(j) => s(&j.raw),
    }
}

/// `ItemBatcher` as ASL JSON.
pub(crate) fn item_batcher(b: &ItemBatcher) -> Value {
    let mut m = Map::new();
    put(&mut m, "MaxItemsPerBatch", &b.max_items_per_batch, expr_u64);
    put(
        &mut m,
        "MaxItemsPerBatchPath",
        &b.max_items_per_batch_path,
        |p| s(p.as_str()),
    );
    put(
        &mut m,
        "MaxInputBytesPerBatch",
        &b.max_input_bytes_per_batch,
        expr_u64,
    );
    put(
        &mut m,
        "MaxInputBytesPerBatchPath",
        &b.max_input_bytes_per_batch_path,
        |p| s(p.as_str()),
    );
    put(&mut m, "BatchInput", &b.batch_input, Template::to_json);
    Value::Object(m)
}

fn expr_str(e: &Expr<String>) -> Value {
    match e {
        Expr::Literal(v) => s(v),
        Expr::Jsonata(j) => s(&j.raw),
    }
}

fn io_path(p: &IoPath) -> Value {
    match p {
        IoPath::Null => Value::Null,
        IoPath::Path(p) => s(p.as_str()),
    }
}

fn result_path(p: &ResultPath) -> Value {
    match p {
        ResultPath::Discard => Value::Null,
        ResultPath::Path(p) => s(p.as_str()),
    }
}

fn transition(m: &mut Map<String, Value>, t: &Transition) {
    match t {
        Transition::Next(n) => {
            m.insert("Next".into(), s(n));
        }
        Transition::End => {
            m.insert("End".into(), Value::Bool(true));
        }
    }
}

fn retry(m: &mut Map<String, Value>, rs: &[Retrier]) {
    if rs.is_empty() {
        return;
    }
    let a = rs
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert(
                "ErrorEquals".into(),
                r.error_equals.iter().map(|e| s(e)).collect(),
            );
            put(&mut o, "IntervalSeconds", &r.interval_seconds, |v| {
                Value::from(*v)
            });
            put(&mut o, "MaxAttempts", &r.max_attempts, |v| Value::from(*v));
            put(&mut o, "BackoffRate", &r.backoff_rate, |v| {
                Value::Number(v.clone())
            });
            put(&mut o, "MaxDelaySeconds", &r.max_delay_seconds, |v| {
                Value::from(*v)
            });
            put(&mut o, "JitterStrategy", &r.jitter_strategy, |v| {
                s(match v {
                    JitterStrategy::Full => "FULL",
                    JitterStrategy::None => "NONE",
                })
            });
            put(&mut o, "Comment", &r.comment, |v| s(v));
            Value::Object(o)
        })
        .collect();
    m.insert("Retry".into(), Value::Array(a));
}

fn catch(m: &mut Map<String, Value>, cs: &[Catcher]) {
    if cs.is_empty() {
        return;
    }
    let a = cs
        .iter()
        .map(|c| {
            let mut o = Map::new();
            o.insert(
                "ErrorEquals".into(),
                c.error_equals.iter().map(|e| s(e)).collect(),
            );
            o.insert("Next".into(), s(&c.next));
            put(&mut o, "ResultPath", &c.result_path, result_path);
            put(&mut o, "Output", &c.output, Template::to_json);
            put(&mut o, "Assign", &c.assign, |a| a.template.to_json());
            put(&mut o, "Comment", &c.comment, |v| s(v));
            Value::Object(o)
        })
        .collect();
    m.insert("Catch".into(), Value::Array(a));
}

fn rule(r: &ChoiceRule) -> Value {
    let mut o = Map::new();
    r.condition.to_json_fields(&mut o);
    put(&mut o, "Next", &r.next, |v| s(v));
    put(&mut o, "Assign", &r.assign, |a| a.template.to_json());
    put(&mut o, "Output", &r.output, Template::to_json);
    put(&mut o, "Comment", &r.comment, |v| s(v));
    Value::Object(o)
}

fn states(states: &IndexMap<String, State>) -> Value {
    let mut m = Map::new();
    for (name, st) in states {
        m.insert(name.clone(), state(st));
    }
    Value::Object(m)
}

fn branch(b: &Branch) -> Value {
    let mut m = Map::new();
    put(&mut m, "Comment", &b.comment, |v| s(v));
    if let Some(pc) = &b.processor_config {
        let mut o = Map::new();
        put(&mut o, "Mode", &pc.mode, |m| {
            s(match m {
                MapMode::Inline => "INLINE",
                MapMode::Distributed => "DISTRIBUTED",
            })
        });
        put(&mut o, "ExecutionType", &pc.execution_type, |v| s(v));
        m.insert("ProcessorConfig".into(), Value::Object(o));
    }
    m.insert("StartAt".into(), s(&b.start_at));
    m.insert("States".into(), states(&b.states));
    Value::Object(m)
}

fn state(st: &State) -> Value {
    let mut m = Map::new();
    m.insert("Type".into(), s(st.kind.type_name()));
    put(&mut m, "Comment", &st.comment, |v| s(v));
    put(&mut m, "QueryLanguage", &st.query_language, |q| {
        s(q.as_str())
    });
    put(&mut m, "InputPath", &st.input_path, io_path);
    match &st.kind {
        StateKind::Pass(p) => {
            put(&mut m, "Parameters", &p.parameters, Template::to_json);
            put(&mut m, "Result", &p.result, Clone::clone);
            put(&mut m, "ResultPath", &p.result_path, result_path);
        }
        StateKind::Task(t) => {
            m.insert("Resource".into(), s(&t.resource));
            put(&mut m, "Parameters", &t.parameters, Template::to_json);
            put(&mut m, "Arguments", &t.arguments, Template::to_json);
            put(&mut m, "Credentials", &t.credentials, Template::to_json);
            put(&mut m, "TimeoutSeconds", &t.timeout_seconds, expr_u64);
            put(&mut m, "TimeoutSecondsPath", &t.timeout_seconds_path, |p| {
                s(p.as_str())
            });
            put(&mut m, "HeartbeatSeconds", &t.heartbeat_seconds, expr_u64);
            put(
                &mut m,
                "HeartbeatSecondsPath",
                &t.heartbeat_seconds_path,
                |p| s(p.as_str()),
            );
            put(
                &mut m,
                "ResultSelector",
                &t.result_selector,
                Template::to_json,
            );
            put(&mut m, "ResultPath", &t.result_path, result_path);
            retry(&mut m, &t.retry);
            catch(&mut m, &t.catch);
        }
        StateKind::Choice(c) => {
            m.insert(
                "Choices".into(),
                Value::Array(c.choices.iter().map(rule).collect()),
            );
            put(&mut m, "Default", &c.default, |v| s(v));
        }
        StateKind::Wait(w) => {
            put(&mut m, "Seconds", &w.seconds, expr_u64);
            put(&mut m, "Timestamp", &w.timestamp, expr_str);
            put(&mut m, "SecondsPath", &w.seconds_path, |p| s(p.as_str()));
            put(
                &mut m,
                "TimestampPath",
                &w.timestamp_path,
                |p| s(p.as_str()),
            );
        }
        StateKind::Succeed => {}
        StateKind::Fail(f) => {
            put(&mut m, "Error", &f.error, expr_str);
            put(&mut m, "ErrorPath", &f.error_path, Template::to_json);
            put(&mut m, "Cause", &f.cause, expr_str);
            put(&mut m, "CausePath", &f.cause_path, Template::to_json);
        }
        StateKind::Parallel(p) => {
            m.insert(
                "Branches".into(),
                Value::Array(p.branches.iter().map(branch).collect()),
            );
            put(&mut m, "Parameters", &p.parameters, Template::to_json);
            put(&mut m, "Arguments", &p.arguments, Template::to_json);
            put(
                &mut m,
                "ResultSelector",
                &p.result_selector,
                Template::to_json,
            );
            put(&mut m, "ResultPath", &p.result_path, result_path);
            retry(&mut m, &p.retry);
            catch(&mut m, &p.catch);
        }
        StateKind::Map(mp) => {
            let key = if mp.legacy_iterator {
                "Iterator"
            } else {
                "ItemProcessor"
            };
            m.insert(key.into(), branch(&mp.processor));
            put(&mut m, "ItemsPath", &mp.items_path, |p| s(p.as_str()));
            put(&mut m, "Items", &mp.items, Template::to_json);
            put(&mut m, "ItemSelector", &mp.item_selector, Template::to_json);
            put(&mut m, "Parameters", &mp.parameters, Template::to_json);
            put(&mut m, "ItemReader", &mp.item_reader, Clone::clone);
            put(&mut m, "ItemBatcher", &mp.item_batcher, item_batcher);
            put(&mut m, "ResultWriter", &mp.result_writer, Clone::clone);
            put(&mut m, "MaxConcurrency", &mp.max_concurrency, expr_u64);
            put(
                &mut m,
                "MaxConcurrencyPath",
                &mp.max_concurrency_path,
                |p| s(p.as_str()),
            );
            put(
                &mut m,
                "ToleratedFailureCount",
                &mp.tolerated_failure_count,
                expr_u64,
            );
            put(
                &mut m,
                "ToleratedFailureCountPath",
                &mp.tolerated_failure_count_path,
                |p| s(p.as_str()),
            );
            put(
                &mut m,
                "ToleratedFailurePercentage",
                &mp.tolerated_failure_percentage,
                |e| match e {
                    Expr::Literal(n) => Value::Number(n.clone()),
                    Expr::Jsonata(j) => s(&j.raw),
                },
            );
            put(
                &mut m,
                "ToleratedFailurePercentagePath",
                &mp.tolerated_failure_percentage_path,
                |p| s(p.as_str()),
            );
            put(&mut m, "Label", &mp.label, |v| s(v));
            put(
                &mut m,
                "ResultSelector",
                &mp.result_selector,
                Template::to_json,
            );
            put(&mut m, "ResultPath", &mp.result_path, result_path);
            retry(&mut m, &mp.retry);
            catch(&mut m, &mp.catch);
        }
    }
    put(&mut m, "OutputPath", &st.output_path, io_path);
    put(&mut m, "Output", &st.output, Template::to_json);
    put(&mut m, "Assign", &st.assign, |a| a.template.to_json());
    if let Some(t) = st.transition() {
        transition(&mut m, t);
    }
    Value::Object(m)
}

/// Serializes a whole machine.
pub fn machine(sm: &StateMachine) -> Value {
    let mut m = Map::new();
    put(&mut m, "Comment", &sm.comment, |v| s(v));
    put(&mut m, "QueryLanguage", &sm.query_language, |q| {
        s(q.as_str())
    });
    m.insert("StartAt".into(), s(&sm.start_at));
    put(&mut m, "Version", &sm.version, |v| s(v));
    put(&mut m, "TimeoutSeconds", &sm.timeout_seconds, |v| {
        Value::from(*v)
    });
    m.insert("States".into(), states(&sm.states));
    Value::Object(m)
}
