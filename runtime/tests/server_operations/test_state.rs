//! Part of `server_operations`: TestState.

use super::*;

pub(crate) async fn test_state() {
    let s = TestServer::start().await;
    let c = &s.client;
    // A Pass state alone: output and next state.
    let r = ok(
        "TestState",
        c.test_state()
            .definition(json!({"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, 1)"}, "Next": "After"}).to_string())
            .input("{\"a\": 41}")
            .send()
            .await,
    );
    assert_eq!(r.status(), Some(&TestExecutionStatus::Succeeded));
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"sum": 42})
    );
    assert_eq!(r.next_state(), Some("After"));
    assert!(r.inspection_data().is_none());
    // A Choice state picked from a whole definition.
    let def = json!({"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}});
    let r = c
        .test_state()
        .definition(def.to_string())
        .state_name("Pick")
        .input("{\"n\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.next_state(), Some("Small"));
    // A Task with a mocked result, at DEBUG: the data after Parameters and the result.
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
        "Next": "Done"});
    let r = c
        .test_state()
        .definition(task.to_string())
        .input("{\"k\": 1}")
        .inspection_level(InspectionLevel::Debug)
        .mock(
            MockInput::builder()
                .result("{\"Payload\": {\"ok\": true}}")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::Succeeded));
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"body": {"ok": true}})
    );
    assert_eq!(r.next_state(), Some("Done"));
    let data = r.inspection_data().unwrap();
    assert_eq!(data.input(), Some("{\"k\":1}"));
    let params: Value = serde_json::from_str(data.after_parameters().unwrap()).unwrap();
    assert_eq!(params, json!({"FunctionName": "f", "Payload": {"k": 1}}));
    assert!(data.result().unwrap().contains("\"ok\":true"));
    // Every processing step of the Task, then of a Pass state, at DEBUG and TRACE.
    let json_of =
        |t: Option<&str>| -> Value { serde_json::from_str(t.expect("field present")).unwrap() };
    let steps_task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "ResultPath": "$.reply",
        "OutputPath": "$.reply.body",
        "Next": "Done"});
    let input = json!({"order": {"id": 7}, "keep": 1});
    for level in [InspectionLevel::Debug, InspectionLevel::Trace] {
        let r = c
            .test_state()
            .definition(steps_task.to_string())
            .input(input.to_string())
            .inspection_level(level)
            .mock(
                MockInput::builder()
                    .result("{\"Payload\": {\"ok\": 7}}")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let d = r.inspection_data().unwrap();
        assert_eq!(json_of(d.input()), input);
        assert_eq!(json_of(d.after_input_path()), json!({"id": 7}));
        assert_eq!(
            json_of(d.after_parameters()),
            json!({"FunctionName": "f", "Payload": {"id": 7}})
        );
        assert_eq!(json_of(d.result()), json!({"Payload": {"ok": 7}}));
        assert_eq!(
            json_of(d.after_result_selector()),
            json!({"body": {"ok": 7}})
        );
        assert_eq!(
            json_of(d.after_result_path()),
            json!({"order": {"id": 7}, "keep": 1, "reply": {"body": {"ok": 7}}})
        );
        assert_eq!(json_of(r.output()), json!({"ok": 7}));
    }
    let pass_state = json!({"Type": "Pass", "InputPath": "$.a", "Parameters": {"sum.$": "States.MathAdd($.n, $step)"},
        "ResultPath": "$.a.total", "Next": "After"});
    let r = c
        .test_state()
        .definition(pass_state.to_string())
        .input("{\"a\": {\"n\": 1}, \"b\": 2}")
        .variables("{\"step\": 10}")
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .unwrap();
    let d = r.inspection_data().unwrap();
    assert_eq!(json_of(d.after_input_path()), json!({"n": 1}));
    assert_eq!(json_of(d.after_parameters()), json!({"sum": 11}));
    assert_eq!(json_of(d.result()), json!({"sum": 11}));
    assert_eq!(json_of(d.after_result_selector()), json!({"sum": 11}));
    assert_eq!(
        json_of(d.after_result_path()),
        json!({"a": {"n": 1, "total": {"sum": 11}}, "b": 2})
    );
    assert_eq!(json_of(r.output()), json_of(d.after_result_path()));
    // A mocked error a retrier matches: RETRIABLE, with the retrier and its backoff.
    let flaky = |count: i32| {
        c.test_state()
            .definition(task.to_string())
            .inspection_level(InspectionLevel::Debug)
            .mock(
                MockInput::builder()
                    .error_output(
                        MockErrorOutput::builder()
                            .error("Flaky")
                            .cause("try again")
                            .build(),
                    )
                    .build(),
            )
            .state_configuration(
                TestStateConfiguration::builder()
                    .retrier_retry_count(count)
                    .build(),
            )
            .send()
    };
    let r = flaky(0).await.unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::Retriable));
    assert_eq!(r.error(), Some("Flaky"));
    let details = r.inspection_data().unwrap().error_details().unwrap();
    assert_eq!(
        (
            details.retry_index(),
            details.retry_backoff_interval_seconds()
        ),
        (Some(0), Some(3))
    );
    // Retries used up: the Catch takes it.
    let r = flaky(2).await.unwrap();
    assert_eq!(r.status(), Some(&TestExecutionStatus::CaughtError));
    assert_eq!(r.next_state(), Some("Recover"));
    assert_eq!(r.error(), Some("Flaky"));
    // A Fail state.
    let r = c
        .test_state()
        .definition(json!({"Type": "Fail", "Error": "Nope", "Cause": "because"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status(), r.error(), r.cause()),
        (
            Some(&TestExecutionStatus::Failed),
            Some("Nope"),
            Some("because")
        )
    );
    // Variables are assigned first.
    let r = c
        .test_state()
        .definition(
            json!({"Type": "Pass", "Parameters": {"v.$": "$greeting"}, "End": true}).to_string(),
        )
        .variables("{\"greeting\": \"hi\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(r.output().unwrap()).unwrap(),
        json!({"v": "hi"})
    );
    // Invalid input.
    fails(
        "TestState",
        c.test_state()
            .definition("{\"Type\": \"Nope\"}")
            .send()
            .await,
        "InvalidDefinition",
    );
    fails(
        "TestState",
        c.test_state().definition("not json").send().await,
        "InvalidDefinition",
    );
    fails(
        "TestState",
        c.test_state()
            .definition(json!({"Type": "Pass", "End": true}).to_string())
            .input("{")
            .send()
            .await,
        "InvalidExecutionInput",
    );
    fails(
        "TestState",
        c.test_state()
            .definition(def.to_string())
            .state_name("Missing")
            .send()
            .await,
        "ValidationException",
    );
}
