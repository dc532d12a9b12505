//! Stop-gap conformance check for intrinsic functions, until the engine runs whole cases.
//!
//! Reads the recorded cases in `shared/conformance/cases/intrinsic` and, for each case whose
//! definition is a chain of plain Pass states whose `Parameters` use only `$` paths, literals
//! and intrinsic calls, evaluates the Parameters directly with `stepfn::__private::internals::intrinsics` and
//! compares the result with the output (or error) AWS recorded. Everything else is skipped.

use serde_json::{Map, Value};
use std::path::PathBuf;
use stepfn::__private::internals::intrinsics::evaluate;
use stepfn::StatesError;
use stepfn_asl::intrinsic::is_intrinsic_text;
use stepfn_asl::{IntrinsicArg, IntrinsicCall, Path, PathRoot};

/// A parsed `Parameters` template, restricted to what this test can evaluate.
enum Tpl {
    Literal(Value),
    Path(Path),
    Call(IntrinsicCall),
    Object(Vec<(String, Tpl)>),
    Array(Vec<Tpl>),
}

/// Why a case is not evaluated here.
type Skip = String;

fn input_path_only(p: &Path) -> Result<(), Skip> {
    match p.root() {
        PathRoot::Input => Ok(()),
        _ => Err(format!("path `{p}` reads the context object or a variable")),
    }
}

fn check_call(c: &IntrinsicCall) -> Result<(), Skip> {
    for a in &c.args {
        match a {
            IntrinsicArg::Literal(_) => {}
            IntrinsicArg::Path(p) => input_path_only(p)?,
            IntrinsicArg::Call(inner) => check_call(inner)?,
        }
    }
    Ok(())
}

fn template(v: &Value) -> Result<Tpl, Skip> {
    Ok(match v {
        Value::Object(m) => {
            let mut fields = Vec::new();
            for (k, val) in m {
                if let Some(key) = k.strip_suffix(".$") {
                    let Value::String(s) = val else {
                        return Err(format!("`{k}` is not a string"));
                    };
                    let t = if is_intrinsic_text(s) {
                        let call =
                            IntrinsicCall::parse(s).map_err(|e| format!("does not parse: {e}"))?;
                        check_call(&call)?;
                        Tpl::Call(call)
                    } else {
                        let p = Path::parse(s).map_err(|e| format!("bad path: {e}"))?;
                        input_path_only(&p)?;
                        Tpl::Path(p)
                    };
                    fields.push((key.to_string(), t));
                } else {
                    fields.push((k.clone(), template(val)?));
                }
            }
            Tpl::Object(fields)
        }
        Value::Array(items) => Tpl::Array(items.iter().map(template).collect::<Result<_, _>>()?),
        other => Tpl::Literal(other.clone()),
    })
}

fn apply(t: &Tpl, input: &Value) -> Result<Value, StatesError> {
    let mut resolve = |p: &Path| {
        p.select_value(input)
            .map(std::borrow::Cow::<Value>::Owned)
            .ok_or_else(|| {
                StatesError::new("States.Runtime", format!("the path `{p}` was not found"))
            })
    };
    Ok(match t {
        Tpl::Literal(v) => v.clone(),
        Tpl::Path(p) => resolve(p)?.into_owned(),
        Tpl::Call(c) => evaluate(c, &mut resolve)?,
        Tpl::Object(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), apply(v, input)?);
            }
            Value::Object(m)
        }
        Tpl::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| apply(i, input))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The states of the Pass chain, in execution order, each with its Parameters template.
fn pass_chain(definition: &Value) -> Result<Vec<Tpl>, Skip> {
    let states = definition
        .get("States")
        .and_then(Value::as_object)
        .ok_or("no States")?;
    let mut name = definition
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or("no StartAt")?
        .to_string();
    if definition.get("QueryLanguage").is_some() {
        return Err("sets QueryLanguage".into());
    }
    let mut chain = Vec::new();
    loop {
        if chain.len() > states.len() {
            return Err("the chain loops".into());
        }
        let state = states
            .get(&name)
            .and_then(Value::as_object)
            .ok_or_else(|| format!("no state `{name}`"))?;
        for (k, _) in state {
            if !matches!(
                k.as_str(),
                "Type" | "Parameters" | "Next" | "End" | "Comment"
            ) {
                return Err(format!("state `{name}` uses `{k}`"));
            }
        }
        if state.get("Type").and_then(Value::as_str) != Some("Pass") {
            return Err(format!("state `{name}` is not a Pass state"));
        }
        let params = state
            .get("Parameters")
            .ok_or_else(|| format!("state `{name}` has no Parameters"))?;
        chain.push(template(params)?);
        match state.get("Next").and_then(Value::as_str) {
            Some(next) => name = next.to_string(),
            None if state.get("End") == Some(&Value::Bool(true)) => return Ok(chain),
            None => return Err(format!("state `{name}` has neither Next nor End")),
        }
    }
}

enum Outcome {
    Pass,
    Skip(Skip),
    Fail(String),
}

fn run_case(case: &Value) -> Outcome {
    if case.get("ignore_paths").is_some() {
        return Outcome::Skip("has ignore_paths".into());
    }
    let Some(definition) = case.get("definition") else {
        return Outcome::Skip("no definition".into());
    };
    let chain = match pass_chain(definition) {
        Ok(c) => c,
        Err(why) => return Outcome::Skip(why),
    };
    let expected = &case["expected"];
    let mut value = case.get("input").cloned().unwrap_or(Value::Null);
    let mut result = Ok(());
    for t in &chain {
        match apply(t, &value) {
            Ok(v) => value = v,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    match (expected["status"].as_str(), result) {
        (Some("SUCCEEDED"), Ok(())) if expected.get("output") == Some(&value) => Outcome::Pass,
        (Some("SUCCEEDED"), Ok(())) => Outcome::Fail(format!(
            "expected output {}, got {value}",
            expected["output"]
        )),
        (Some("SUCCEEDED"), Err(e)) => Outcome::Fail(format!(
            "expected output {}, got error {e}",
            expected["output"]
        )),
        (Some("FAILED"), Err(e)) => {
            let error_ok = expected
                .get("error")
                .is_none_or(|x| x.as_str() == Some(e.error.as_str()));
            let cause_ok = expected
                .get("cause")
                .is_none_or(|x| x.as_str() == Some(e.cause.as_str()));
            if error_ok && cause_ok {
                Outcome::Pass
            } else {
                Outcome::Fail(format!(
                    "expected error {} / cause {}, got {e}",
                    expected["error"], expected["cause"]
                ))
            }
        }
        (Some("FAILED"), Ok(())) => Outcome::Fail(format!(
            "expected error {}, got output {value}",
            expected["error"]
        )),
        (status, _) => Outcome::Skip(format!("unexpected status {status:?}")),
    }
}

#[test]
fn recorded_intrinsic_cases() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cases/intrinsic");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "note: {} is absent; no recorded intrinsic cases to check",
            dir.display()
        );
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case: Value = match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        match run_case(&case) {
            Outcome::Pass => passed += 1,
            Outcome::Skip(why) => {
                skipped += 1;
                println!("skip {name}: {why}");
            }
            Outcome::Fail(why) => failures.push(format!("{name}: {why}")),
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "intrinsic cases: {passed} passed, {skipped} skipped, {} failed (of {})",
        failures.len(),
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} recorded intrinsic case(s) failed",
        failures.len()
    );
}
