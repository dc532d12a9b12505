//! Task states in the compiled form: a typed handler called with Retry, Catch and timeouts,
//! its events recorded as the interpreter records them.

#[allow(unused_imports)]
use super::*;

impl StateRun<'_> {
    /// The Task definition of this state.
    pub(super) fn task_def(&self) -> &'static Task {
        match &self.state.kind {
            StateKind::Task(t) => t,
            other => unreachable!("task on a {}", other.type_name()),
        }
    }

    /// Records `TaskFailed` for `e` and fails the state (a plain typed task).
    #[cold]
    pub(super) fn task_failed(&self, prev: &mut u64, e: StatesError) -> StatesError {
        let arn = self.task_def().resource.as_str();
        self.cx.record(prev, EventType::TaskFailed, || {
            Some((
                "taskFailedEventDetails",
                task_details(arn, error_details(&e)),
            ))
        });
        // A failed Task records nothing more (`on_failed`).
        self.fail(e)
    }

    /// Records `TaskScheduled` and `TaskStarted` of a plain typed Task; `input` is the text of
    /// its input (kept events only).
    #[inline(always)]
    pub(super) fn task_started(&self, prev: &mut u64, input: impl FnOnce() -> String) {
        let cx = self.cx;
        if cx.keep {
            self.task_started_kept(prev, input());
        } else {
            cx.count();
            *prev = cx.count();
        }
    }

    /// Records kept `TaskScheduled` and `TaskStarted` with the input's text.
    #[inline(never)]
    pub(super) fn task_started_kept(&self, prev: &mut u64, input: String) {
        let cx = self.cx;
        let arn = self.task_def().resource.as_str();
        cx.record(prev, EventType::TaskScheduled, || {
            Some((
                "taskScheduledEventDetails",
                task_details(arn, json!({"region": REGION, "parameters": input})),
            ))
        });
        cx.record(prev, EventType::TaskStarted, || {
            Some(("taskStartedEventDetails", task_details(arn, json!({}))))
        });
    }

    /// Records `TaskFailed` for a handler's error and fails the state.
    #[cold]
    pub(super) fn task_error<E: Into<TaskError>>(&self, prev: &mut u64, e: E) -> StatesError {
        self.task_failed(prev, StatesError::from(e.into()))
    }

    /// Records kept `TaskSucceeded` and `TaskStateExited` of a plain typed task whose result is
    /// `result` as JSON (`None`: it could not be serialized). Kept events carry the result as
    /// text: it is measured as the interpreter measures a task result (the state output is the
    /// same value).
    #[inline(never)]
    pub(super) fn task_succeeded_kept(
        &self,
        prev: &mut u64,
        result: Option<Value>,
    ) -> Result<(), StatesError> {
        let cx = self.cx;
        let text = match result {
            Some(j) => {
                cx.check_size(&j, self.name).map_err(|e| self.fail(e))?;
                to_text(&j)
            }
            None => String::new(),
        };
        let arn = self.task_def().resource.as_str();
        cx.record(prev, EventType::TaskSucceeded, || {
            Some((
                "taskSucceededEventDetails",
                task_details(
                    arn,
                    json!({"output": text, "outputDetails": {"truncated": false}}),
                ),
            ))
        });
        self.exited(prev, text);
        Ok(())
    }

    /// A Task state whose work is `call` (a typed handler), with what a plain typed task does
    /// not have: Retry, Catch, paths, templates, a timeout.
    pub async fn task<F, Fut>(
        &self,
        prev: &mut u64,
        input: Data,
        call: F,
    ) -> Result<(Next, Data), StatesError>
    where
        F: Fn(Data, u64) -> Fut,
        Fut: Future<Output = Result<Data, StatesError>>,
    {
        let t = self.task_def();
        let timeout = match &t.timeout_seconds {
            Some(Expr::Literal(s)) => Some(*s),
            _ => None,
        };
        let cx = self.cx;
        let call = &call;
        let arn = t.resource.as_str();
        let name = self.name;
        // Without JSON processing a typed result stays typed; else it becomes JSON in the
        // attempt, measured there (an oversized result is then retried and caught as in the
        // interpreter).
        let plain = self.plain(
            &t.retry,
            &t.catch,
            t.parameters.as_ref(),
            t.result_selector.as_ref(),
            t.result_path.as_ref(),
        );
        self.guarded(prev, input, &t.retry, &t.catch, t.parameters.as_ref(), t.result_selector.as_ref(), t.result_path.as_ref(), |data, attempt, mut p| async move {
            // Event details are built only when the history is kept.
            cx.record(&mut p, EventType::TaskScheduled, || {
                let mut d = task_details(arn, json!({"region": REGION, "parameters": data.text()}));
                if let (Some(t), Some(m)) = (timeout, d.as_object_mut()) {
                    m.insert("timeoutInSeconds".into(), json!(t));
                }
                Some(("taskScheduledEventDetails", d))
            });
            cx.record(&mut p, EventType::TaskStarted, || Some(("taskStartedEventDetails", task_details(arn, json!({})))));
            let fut = call(data, attempt);
            let r = match timeout {
                Some(s) => match tokio::time::timeout(Duration::from_secs(s), fut).await {
                    Ok(r) => r,
                    Err(_) => {
                        let e = StatesError::new(names::TIMEOUT, "Task timed out.");
                        cx.record(&mut p, EventType::TaskTimedOut, || Some(("taskTimedOutEventDetails", task_details(arn, error_details(&e)))));
                        return (p, Err(e));
                    }
                },
                None => fut.await,
            };
            let v = match r {
                Ok(v) => v,
                Err(e) => {
                    cx.record(&mut p, EventType::TaskFailed, || Some(("taskFailedEventDetails", task_details(arn, error_details(&e)))));
                    return (p, Err(e));
                }
            };
            // The result's size (an oversized result fails the attempt without `TaskFailed`).
            let v = match v {
                Data::Typed(t, _) if !plain => cx.json(Data::Typed(t, Some(name))).map(Data::Json),
                Data::Typed(t, _) => {
                    let over = match (cx.keep, t.to_json()) {
                        (true, Ok(j)) => cx.check_size(&j, name).err(),
                        _ => None,
                    };
                    match over {
                        Some(e) => Err(e),
                        None => Ok(Data::Typed(t, Some(name))),
                    }
                }
                Data::Json(j) | Data::Bounded(j, _) => {
                    cx.check_size(&j, name).map(|()| Data::Json(j))
                }
            };
            match v {
                Ok(v) => {
                    cx.record(&mut p, EventType::TaskSucceeded, || {
                        Some(("taskSucceededEventDetails", task_details(arn, json!({"output": v.text(), "outputDetails": {"truncated": false}}))))
                    });
                    (p, Ok(v))
                }
                Err(e) => {
                    // A result that cannot be serialized fails like a handler's error.
                    if e.error != names::DATA_LIMIT_EXCEEDED {
                        cx.record(&mut p, EventType::TaskFailed, || Some(("taskFailedEventDetails", task_details(arn, error_details(&e)))));
                    }
                    (p, Err(e))
                }
            }
        })
        .await
    }
}

/// The details of a task event: the resource and `extra`'s fields (kept events only).
pub(super) fn task_details(arn: &str, extra: Value) -> Value {
    let (resource_type, resource) = resource_parts(arn);
    let mut m = json!({"resourceType": resource_type, "resource": resource});
    if let (Some(m), Value::Object(x)) = (m.as_object_mut(), extra) {
        m.extend(x);
    }
    m
}
