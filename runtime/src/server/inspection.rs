//! TestState's `inspectionData` at DEBUG: the data after each processing step of a JSONPath
//! state (`afterInputPath`, `afterParameters`, `result`, `afterResultSelector`,
//! `afterResultPath`), made by the `io` functions the interpreter itself runs, in AWS's order.
//!
//! What only the run knows comes from the run: a Task's request (`TaskScheduled.parameters`)
//! and answer (`TaskSucceeded.output`). The state's `output` is the run's too.

use crate::error::StatesError;
use crate::io::context::ExecutionInfo;
use crate::io::{paths, template, Context, Env, Variables};
use serde_json::{json, Map, Value};
use stepfn_asl::model::{State, StateKind};

/// What the run showed of a Task: its effective parameters and its result.
#[derive(Debug, Default)]
pub(super) struct Observed {
    /// `TaskScheduled.parameters`.
    pub parameters: Option<Value>,
    /// `TaskSucceeded.output`.
    pub result: Option<Value>,
}

/// The JSON text the API carries data as.
fn text(v: &Value) -> Value {
    json!(v.to_string())
}

/// The steps of a JSONPath Pass or Task state named `name` given `input` and the `variables`
/// it could read; an empty map for other states, and from the step that failed on.
pub(super) fn jsonpath_steps(
    name: &str,
    state: &State,
    input: &Value,
    variables: Option<&Map<String, Value>>,
    observed: Observed,
) -> Map<String, Value> {
    let mut out = Map::new();
    let _ = steps(name, state, input, variables, observed, &mut out);
    out
}

fn steps(
    name: &str,
    state: &State,
    input: &Value,
    variables: Option<&Map<String, Value>>,
    observed: Observed,
    out: &mut Map<String, Value>,
) -> Result<(), StatesError> {
    let (parameters, fixed_result, selector, result_path) = match &state.kind {
        StateKind::Pass(p) => (
            p.parameters.as_ref(),
            p.result.clone(),
            None,
            &p.result_path,
        ),
        StateKind::Task(t) if t.arguments.is_none() => (
            t.parameters.as_ref(),
            None,
            t.result_selector.as_ref(),
            &t.result_path,
        ),
        _ => return Ok(()),
    };
    let info = ExecutionInfo {
        id: crate::runtime::execution_arn("TestState", "TestState"),
        name: "TestState".into(),
        start_time: format!("{:.3}", jiff::Timestamp::now()),
        input: input.clone(),
        role_arn: crate::arn::DEFAULT_ROLE_ARN.into(),
        redrive_count: 0,
        state_machine_id: crate::runtime::state_machine_arn("TestState"),
        state_machine_name: "TestState".into(),
    };
    let context = Context::for_state(&info, name, &state.kind, jiff::Timestamp::now());
    let mut vars = Variables::new();
    for (k, v) in variables.into_iter().flatten() {
        vars.set(k.clone(), v.clone());
    }
    let env = Env {
        context: &context,
        vars: &vars,
    };

    let after_input = paths::input_path(state.input_path.as_ref(), input, &env)?.into_owned();
    out.insert("afterInputPath".into(), text(&after_input));
    let after_parameters = match (observed.parameters, parameters) {
        (Some(seen), _) => seen,
        (None, Some(t)) => template::evaluate(t, &after_input, &env)?,
        (None, None) => after_input,
    };
    out.insert("afterParameters".into(), text(&after_parameters));
    let result = match (&state.kind, fixed_result, observed.result) {
        (StateKind::Pass(_), Some(r), _) => r,
        (StateKind::Pass(_), None, _) => after_parameters,
        (_, _, Some(r)) => r,
        // The Task failed: nothing after its request.
        (_, _, None) => return Ok(()),
    };
    out.insert("result".into(), text(&result));
    let selected = match selector {
        Some(t) => template::evaluate(t, &result, &env)?,
        None => result,
    };
    out.insert("afterResultSelector".into(), text(&selected));
    let placed = paths::apply_result_path(result_path.as_ref(), input.clone(), selected)?;
    out.insert("afterResultPath".into(), text(&placed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepfn_asl::StateMachine;

    fn state(def: Value) -> State {
        let m = json!({"StartAt": "S", "States": {"S": def, "N": {"Type": "Succeed"}}});
        let m = StateMachine::from_json_str(&m.to_string()).unwrap();
        m.states.get("S").unwrap().clone()
    }

    fn field(m: &Map<String, Value>, k: &str) -> Value {
        serde_json::from_str(m[k].as_str().unwrap()).unwrap()
    }

    #[test]
    fn pass_steps() {
        let s = state(json!({"Type": "Pass", "InputPath": "$.in",
            "Parameters": {"x.$": "$.v", "g.$": "$greeting"}, "ResultPath": "$.out", "Next": "N"}));
        let vars = json!({"greeting": "hi"});
        let input = json!({"in": {"v": 1}, "keep": true});
        let m = jsonpath_steps("S", &s, &input, vars.as_object(), Observed::default());
        assert_eq!(field(&m, "afterInputPath"), json!({"v": 1}));
        assert_eq!(field(&m, "afterParameters"), json!({"x": 1, "g": "hi"}));
        assert_eq!(field(&m, "result"), json!({"x": 1, "g": "hi"}));
        assert_eq!(
            field(&m, "afterResultPath"),
            json!({"in": {"v": 1}, "keep": true, "out": {"x": 1, "g": "hi"}})
        );
    }

    #[test]
    fn failed_task_stops_after_its_request() {
        let s = state(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"a.$": "$.a"}, "ResultSelector": {"b.$": "$.b"}, "Next": "N"}),
        );
        let m = jsonpath_steps("S", &s, &json!({"a": 1}), None, Observed::default());
        assert_eq!(field(&m, "afterParameters"), json!({"a": 1}));
        assert!(!m.contains_key("result"));
        // A path matching nothing ends the steps where it failed.
        let s = state(json!({"Type": "Pass", "InputPath": "$.missing", "Next": "N"}));
        assert!(jsonpath_steps("S", &s, &json!({}), None, Observed::default()).is_empty());
    }
}
