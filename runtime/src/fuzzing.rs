//! Entry points for the fuzz targets (`fuzz/`, feature `fuzzing`): each takes arbitrary text and
//! drives one input surface the way the runtime does, returning nothing. A panic, an abort or a
//! hang in one of them is a bug; errors are the expected answer to bad input.
//!
//! Not a public API: it exists so the fuzz crate reaches internals through one module.

use crate::engine::tasks::MockResponses;
use crate::io::context::ExecutionInfo;
use crate::io::{Context, Env, Variables};
use crate::{ExecutionOptions, Interpreter, TaskRegistry};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::OnceLock;
use stepfn_asl::intrinsic::IntrinsicCall;
use stepfn_asl::path::Path;
use stepfn_asl::StateMachine;

/// Splits fuzz text at its first newline: an expression, then the JSON input it reads
/// (`{}` when absent or not JSON).
pub fn split_input(text: &str) -> (&str, Value) {
    let (head, rest) = text.split_once('\n').unwrap_or((text, ""));
    (
        head,
        crate::quotas::read_json(rest).unwrap_or_else(|_| json!({})),
    )
}

fn tokio_rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
    })
}

/// Reads and validates a definition given as text; a valid one is serialized and must read
/// back as the same definition.
pub fn definition_text(text: &str) {
    if let Ok(sm) = StateMachine::from_json_str(text) {
        round_trip(&sm);
    }
}

/// [`definition_text`] for a definition already JSON.
pub fn definition_json(v: &Value) {
    if let Ok(sm) = StateMachine::from_json(v) {
        round_trip(&sm);
    }
}

fn round_trip(sm: &StateMachine) {
    let out = sm.to_json();
    match StateMachine::from_json(&out) {
        Ok(again) => assert_eq!(
            again.to_json(),
            out,
            "the serialized form reads back changed"
        ),
        Err(d) => panic!("a valid definition serialized to an invalid one: {d:?}\n{out}"),
    }
}

/// Runs `definition` on `input` in the interpreter (history kept) and checks the
/// history's shape: ids 1..n, every event's predecessor earlier.
pub fn run_definition(definition: &Value, input: Value) {
    let Ok(sm) = StateMachine::from_json(definition) else {
        return;
    };
    let it = Interpreter::new(sm, "Fuzz", TaskRegistry::new());
    let r = tokio_rt().block_on(it.execute(input, ExecutionOptions::default()));
    for (i, e) in r.history.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1, "history ids are 1..n");
        assert!(
            e.previous_event_id < e.id,
            "an event follows an earlier one"
        );
    }
}

/// A path (JSONPath and reference path) applied to `input`: selected, and used as a ResultPath.
pub fn path(text: &str, input: &Value) {
    let info = execution_info();
    let ctx = Context::new(&info, "State", jiff::Timestamp::UNIX_EPOCH, Some(0));
    let vars = Variables::new();
    let env = Env {
        context: &ctx,
        vars: &vars,
    };
    if let Ok(p) = Path::parse(text) {
        let _ = crate::io::paths::select(&p, input, &env);
        let _ = p.select_value(input);
    }
    if let Ok(p) = Path::parse_reference(text) {
        let _ = crate::io::paths::place(&p, input.clone(), json!({"placed": true}));
    }
    for field in ["InputPath", "OutputPath", "ResultPath"] {
        let def =
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", field: text, "End": true}}});
        run_definition(&def, input.clone());
    }
}

/// An intrinsic call parsed and evaluated against `input` (paths read `input`).
pub fn intrinsic(text: &str, input: &Value) {
    if let Ok(call) = IntrinsicCall::parse(text) {
        let mut resolve = |p: &Path| -> Result<Cow<'_, Value>, crate::StatesError> {
            Ok(Cow::Owned(p.select_value(input).unwrap_or(Value::Null)))
        };
        let _ = crate::io::intrinsics::evaluate(&call, &mut resolve);
    }
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"r.$": text}, "End": true}}});
    run_definition(&def, input.clone());
}

/// A payload template (any JSON) as a Pass state's Parameters and a Task-less ResultSelector.
pub fn template(template: &Value, input: Value) {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": template, "End": true}}});
    run_definition(&def, input);
}

/// A JSONata expression as a Pass state's Output and an Assign (the `$states` binding included).
pub fn jsonata(expr: &str, input: Value) {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Assign": {"v": format!("{{% {expr} %}}")}, "Next": "Q"},
        "Q": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}});
    run_definition(&def, input);
}

/// A Choice rule (any JSON) in a Choice state, in both query languages.
pub fn choice(rule: &Value, input: Value) {
    for ql in ["JSONPath", "JSONata"] {
        let mut rule = rule.clone();
        if let Some(m) = rule.as_object_mut() {
            m.insert("Next".into(), json!("Yes"));
        }
        let def = json!({"QueryLanguage": ql, "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
            "Yes": {"Type": "Succeed"}, "No": {"Type": "Fail", "Error": "No"}}});
        run_definition(&def, input.clone());
    }
}

/// A Step Functions Local mock configuration read, and its first test case answering a Task.
pub fn mock_config(config: &Value, test_case: &str) {
    if let Ok(m) = MockResponses::from_config(config, None, test_case) {
        let mut tasks = TaskRegistry::new();
        tasks.set_fallback(m.into_handler());
        let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
        let Ok(sm) = StateMachine::from_json(&def) else {
            return;
        };
        let it = Interpreter::new(sm, "Fuzz", tasks);
        let _ = tokio_rt().block_on(it.execute(json!({}), ExecutionOptions::default()));
    }
}

/// One AWS JSON 1.0 request: `X-Amz-Target`, `Content-Type` and body.
#[cfg(feature = "server")]
pub fn request(target: &[u8], content_type: &[u8], body: &[u8]) {
    if let Ok((_, req)) = crate::server::protocol::decode(Some(target), Some(content_type), body) {
        for field in ["name", "definition", "input", "maxResults", "nextToken"] {
            let _ = req.opt_str(field);
            let _ = req.opt_int(field, 1, 1000);
            let _ = req.opt_bool(field);
        }
        let _ = req.page_size(100);
        if let Ok(Some(t)) = req.opt_str("nextToken") {
            let _ = crate::server::protocol::decode_token("executions", t);
        }
    }
}

/// SigV4 verification of a request whose headers are `name: value` lines.
#[cfg(feature = "server")]
pub fn sigv4(headers: &str, body: &[u8]) {
    use axum::http::{HeaderMap, HeaderName, HeaderValue};
    let mut map = HeaderMap::new();
    for line in headers.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            ) {
                map.append(k, v);
            }
        }
    }
    let creds = crate::server::Credentials {
        access_key_id: "AKIDFUZZ".into(),
        secret_access_key: "fuzz-secret".into(),
    };
    let now = jiff::Timestamp::from_second(1_764_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let _ = crate::server::sigv4::verify(&creds, "POST", "/", "", &map, body, now);
}

fn execution_info() -> ExecutionInfo {
    ExecutionInfo {
        id: "arn:aws:states:us-east-1:123456789012:execution:Fuzz:e".into(),
        name: "e".into(),
        start_time: "2026-01-01T00:00:00.000Z".into(),
        input: json!({}),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        redrive_count: 0,
        state_machine_id: "arn:aws:states:us-east-1:123456789012:stateMachine:Fuzz".into(),
        state_machine_name: "Fuzz".into(),
    }
}
