//! Task states: the handler call with Retry, timeouts and heartbeats, Catch, and the Task's events
//! (Lambda resources record `LambdaFunction…` events).

#[allow(unused_imports)]
use super::*;

impl Exec<'_> {
    /// Runs `attempt` under the state's Retry and Catch. On a caught error, returns the catcher
    /// and the error output placed into the raw input.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn with_retry<F, Fut>(
        &self,
        retry: &[Retrier],
        catch: &[Catcher],
        raw_input: &Value,
        ctx: &Context<'_>,
        jsonata: bool,
        vars: &mut Variables,
        park: Option<Park<'_>>,
        resume: Option<&Pos>,
        mut attempt: F,
    ) -> Result<Result<Value, (usize, Value)>, StatesError>
    where
        F: FnMut(&RetryCk, &Variables) -> Fut,
        Fut: std::future::Future<Output = Result<Value, StatesError>>,
    {
        let mut rc = RetryCk {
            counters: vec![0u64; retry.len()],
            retry_count: 0,
        };
        match resume {
            Some(Pos::Task { retry: r, .. }) | Some(Pos::Children { retry: r, .. }) => {
                rc = r.clone();
            }
            Some(Pos::Backoff {
                retry: r, until_ms, ..
            }) => {
                rc = r.clone();
                tokio::time::sleep(durable::until(&self.clock, *until_ms)).await;
            }
            _ => {}
        }
        rc.counters.resize(retry.len(), 0);
        loop {
            match attempt(&rc, vars).await {
                Ok(v) => return Ok(Ok(v)),
                Err(e) => {
                    if let Some(i) = retry::find_retrier(retry, &e.error) {
                        let r = &retry[i];
                        if rc.counters[i] < r.attempts() {
                            rc.counters[i] += 1;
                            rc.retry_count += 1;
                            let d = retry::delay(r, rc.counters[i], fastrand::f64());
                            trace::retry(
                                &tracing::Span::current(),
                                ctx.state_name,
                                rc.retry_count,
                                d,
                                &e,
                            );
                            if !d.is_zero() {
                                if let Some(p) = &park {
                                    let until_ms =
                                        self.clock.now().as_millisecond() + d.as_millis() as i64;
                                    let pos = Pos::Backoff {
                                        entered: p.entered,
                                        entered_ms: p.entered_ms,
                                        retry: rc.clone(),
                                        until_ms,
                                    };
                                    p.commit(raw_input, vars, pos).await?;
                                }
                                tokio::time::sleep(d).await;
                            }
                            continue;
                        }
                    }
                    if let Some(i) = retry::find_catcher(catch, &e.error) {
                        let c = &catch[i];
                        trace::catch(&tracing::Span::current(), ctx.state_name, &e, &c.next);
                        let error_output = json!({"Error": e.error, "Cause": e.cause});
                        if jsonata {
                            let out = self.jx_catch(c, raw_input, error_output, ctx, vars)?;
                            return Ok(Err((i, out)));
                        }
                        let env = Env { context: ctx, vars };
                        if let Some(a) = &c.assign {
                            let assigned = Self::eval_assign(&a.template, &error_output, &env)?;
                            for (k, v) in assigned {
                                vars.set(k, v);
                            }
                        }
                        let out = paths::apply_result_path(
                            c.result_path.as_ref(),
                            raw_input.clone(),
                            error_output,
                        )?;
                        return Ok(Err((i, out)));
                    }
                    return Err(e);
                }
            }
        }
    }

    /// The common tail of Task, Parallel and Map: ResultSelector → Assign → ResultPath → OutputPath.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish(
        &self,
        st: &State,
        result_selector: Option<&Template>,
        result_path: Option<&stepfn_asl::ResultPath>,
        raw_input: Value,
        result: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<Value, StatesError> {
        let env = Env { context: ctx, vars };
        let result = match result_selector {
            Some(t) => template::evaluate(t, &result, &env)?,
            None => result,
        };
        let assigned = self.assign(st, &result, &env)?;
        let out = paths::apply_result_path(result_path, raw_input, result)?;
        let out = paths::apply_io_path(st.output_path.as_ref(), out, &env)?;
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn task(
        &self,
        s: StateAt<'_>,
        t: &Task,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let (resource_type, resource) = resource_parts(&t.resource);
        let lambda = t.resource.starts_with("arn:aws:lambda:");
        let ev = |task: EventType, lambda_name: EventType| if lambda { lambda_name } else { task };
        let timeout = match &t.timeout_seconds {
            Some(Expr::Literal(s)) => Some(*s),
            _ => None,
        };
        let prev_cell = AtomicU64::new(*prev);
        let jsonata = s.planned.jsonata;
        let park = self.park(
            at.frame,
            name,
            history,
            &prev_cell,
            at.entered,
            at.entered_time,
        );
        let park_ref = park.as_ref();
        let mut in_flight = match &at.resume {
            Some(Pos::Task {
                params,
                timeout_ms,
                key,
                heartbeat_s,
                token,
                started,
                submitted,
                ..
            }) => Some(callbacks::InFlight {
                params: params.clone(),
                timeout_ms: *timeout_ms,
                heartbeat_s: *heartbeat_s,
                token: token.clone(),
                key: key.clone(),
                started: *started,
                submitted: *submitted,
            }),
            _ => None,
        };
        let raw_input = &input;
        let outcome = self
            .with_retry(&t.retry, &t.catch, &input, &ctx, jsonata, vars, self.park(at.frame, name, history, &prev_cell, at.entered, at.entered_time), at.resume.as_ref(), |rc, vars| {
                let attempt = rc.retry_count;
                let resumed = in_flight.take();
                // Activities and `.waitForTaskToken` tasks of durable executions wait for an
                // answer to a token, which `$$.Task.Token` holds while Parameters are evaluated.
                let mode = self.task_mode(&t.resource);
                let waits = park_ref.is_some()
                    && match &resumed {
                        Some(r) => r.token.is_some(),
                        None => matches!(mode, callbacks::Mode::Wait(_)),
                    };
                let wait_handler = match mode {
                    callbacks::Mode::Wait(h) => h,
                    callbacks::Mode::Direct => None,
                };
                let token = waits.then(|| {
                    resumed
                        .as_ref()
                        .and_then(|r| r.token.clone())
                        .unwrap_or_else(|| callbacks::new_token(&self.info.id))
                });
                // `$$.State.RetryCount` and `$$.Task.Token` of this attempt.
                let tctx = (token.is_some() || attempt > 0).then(|| {
                    let c = ctx.on_retry(attempt);
                    match &token {
                        Some(tok) => c.with_task_token(tok.clone()),
                        None => c,
                    }
                });
                let ectx = tctx.as_ref().unwrap_or(&ctx);
                let env = Env { context: ectx, vars };
                let prepared = if jsonata {
                    self.jx_task_args(t, &input, ectx, vars)
                } else { paths::input_path(st.input_path.as_ref(), &input, &env).and_then(|eff| {
                    let timeout = match &t.timeout_seconds_path {
                        Some(p) => paths::select(p, &eff, &env)?.and_then(|v| v.as_u64()).or(timeout),
                        None => timeout,
                    };
                    let heartbeat = match (&t.heartbeat_seconds, &t.heartbeat_seconds_path) {
                        (Some(Expr::Literal(s)), _) => Some(*s),
                        (_, Some(p)) => paths::select(p, &eff, &env)?.and_then(|v| v.as_u64()),
                        _ => None,
                    };
                    match &t.parameters {
                        Some(tpl) => template::evaluate(tpl, &eff, &env).map(|v| (v, timeout, heartbeat)),
                        None => Ok((eff.into_owned(), timeout, heartbeat)),
                    }
                }) };
                drop(tctx);
                let handler = self.tasks.get(&t.resource).cloned();
                // Stable across a crash: the execution, the frame, the visit (its entered event
                // id, committed before any handler sees the key) and the attempt.
                let idempotency_key = format!(
                    "{}/{}{}/{}/{}",
                    self.info.id,
                    at.frame.unwrap_or(""),
                    name,
                    at.entered,
                    attempt
                );
                let prev_cell = &prev_cell;
                let resource_type = resource_type.clone();
                let resource = resource.clone();
                let vars_now = park_ref.map(|_| vars.clone());
                let rc = rc.clone();
                async move {
                    if let (Some(token), Some(park), Some(vars)) = (token, park_ref, &vars_now) {
                        let call = callbacks::Call {
                            name,
                            resource: &t.resource,
                            resource_type: resource_type.clone(),
                            resource_short: resource.clone(),
                            activity: callbacks::is_activity(&t.resource),
                            handler: wait_handler,
                            attempt,
                        };
                        let fresh = match resumed {
                            Some(_) => None,
                            None => {
                                self.note_eval_failure(&prepared, history, prev_cell, name);
                                Some(prepared)
                            }
                        };
                        return self
                            .wait_attempt(call, token, fresh, resumed, idempotency_key, park, vars, raw_input, rc, history, prev_cell)
                            .await;
                    }
                    let details = |extra: Value| {
                        let mut m = json!({"resourceType": resource_type, "resource": resource});
                        if let (Some(m), Value::Object(x)) = (m.as_object_mut(), extra) {
                            m.extend(x);
                        }
                        m
                    };
                    let (params, timeout, idempotency_key) = match resumed {
                        // Restarting an attempt that was in flight: invoke it again, same key.
                        Some(fl) => {
                            let left = fl.timeout_ms.map(|ms| durable::until(&self.clock, ms));
                            (fl.params, left, fl.key)
                        }
                        None => {
                            self.note_eval_failure(&prepared, history, prev_cell, name);
                            let (params, timeout, _heartbeat) = prepared?;
                            self.check_size(&params, name)?;
                            let p = history.push(prev_cell.load(Relaxed), ev(EventType::TaskScheduled, EventType::LambdaFunctionScheduled), || self.clock.now_rfc3339(), || {
                                let mut d = details(json!({"region": REGION, "parameters": to_text(&params)}));
                                if let (Some(t), Some(m)) = (timeout, d.as_object_mut()) {
                                    m.insert("timeoutInSeconds".into(), json!(t));
                                }
                                Some((if lambda { "lambdaFunctionScheduledEventDetails" } else { "taskScheduledEventDetails" }, d))
                            });
                            let p = history.push(p, ev(EventType::TaskStarted, EventType::LambdaFunctionStarted), || self.clock.now_rfc3339(), || {
                                Some((if lambda { "lambdaFunctionStartedEventDetails" } else { "taskStartedEventDetails" }, details(json!({}))))
                            });
                            prev_cell.store(p, Relaxed);
                            if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                                let timeout_ms = timeout.map(|s| self.clock.now().as_millisecond() + s as i64 * 1000);
                                let pos = Pos::Task {
                                    entered: park.entered,
                                    entered_ms: park.entered_ms,
                                    retry: rc,
                                    params: params.clone(),
                                    timeout_ms,
                                    heartbeat_s: None,
                                    token: None,
                                    key: idempotency_key.clone(),
                                    started: false,
                                    submitted: false,
                                };
                                park.commit(raw_input, vars, pos).await?;
                            }
                            (params, timeout.map(Duration::from_secs), idempotency_key)
                        }
                    };
                    let Some(handler) = handler else {
                        let e = StatesError::new(
                            names::TASK_FAILED,
                            format!("no task handler is registered for the resource `{}`", t.resource),
                        );
                        let p = history.push(prev_cell.load(Relaxed), ev(EventType::TaskFailed, EventType::LambdaFunctionFailed), || self.clock.now_rfc3339(), || {
                            Some(("taskFailedEventDetails", details(error_details(&e))))
                        });
                        prev_cell.store(p, Relaxed);
                        return Err(e);
                    };
                    let fut = handler.invoke(TaskRequest {
                        state_name: name.to_string(),
                        resource: t.resource.clone(),
                        input: params,
                        attempt,
                        idempotency_key,
                        task_token: None,
                    });
                    let r = match timeout {
                        Some(s) => match tokio::time::timeout(s, fut).await {
                            Ok(r) => r,
                            Err(_) => {
                                let e = StatesError::new(names::TIMEOUT, "Task timed out.");
                                let p = history.push(prev_cell.load(Relaxed), ev(EventType::TaskTimedOut, EventType::LambdaFunctionTimedOut), || self.clock.now_rfc3339(), || {
                                    Some(("taskTimedOutEventDetails", details(error_details(&e))))
                                });
                                prev_cell.store(p, Relaxed);
                                return Err(e);
                            }
                        },
                        None => fut.await,
                    };
                    match r {
                        Ok(v) => {
                            self.check_size(&v, name)?;
                            let p = history.push(prev_cell.load(Relaxed), ev(EventType::TaskSucceeded, EventType::LambdaFunctionSucceeded), || self.clock.now_rfc3339(), || {
                                Some((
                                    if lambda { "lambdaFunctionSucceededEventDetails" } else { "taskSucceededEventDetails" },
                                    details(json!({"output": to_text(&v), "outputDetails": {"truncated": false}})),
                                ))
                            });
                            prev_cell.store(p, Relaxed);
                            Ok(v)
                        }
                        Err(e) => {
                            let p = history.push(prev_cell.load(Relaxed), ev(EventType::TaskFailed, EventType::LambdaFunctionFailed), || self.clock.now_rfc3339(), || {
                                Some((
                                    if lambda { "lambdaFunctionFailedEventDetails" } else { "taskFailedEventDetails" },
                                    details(error_details(&e)),
                                ))
                            });
                            prev_cell.store(p, Relaxed);
                            Err(e)
                        }
                    }
                }
            })
            .await;
        *prev = prev_cell.load(Relaxed);
        self.conclude_guarded(
            outcome?,
            s,
            (t.result_selector.as_ref(), t.result_path.as_ref()),
            input,
            &ctx,
            vars,
            (history, prev),
        )
    }
}

/// Splits a Resource ARN into the `resourceType` and `resource` of task events.
pub(crate) fn resource_parts(arn: &str) -> (String, String) {
    if let Some(rest) = arn.strip_prefix("arn:aws:states:::") {
        if let Some((service, action)) = rest.split_once(':') {
            return (service.to_string(), action.to_string());
        }
    }
    if arn.starts_with("arn:aws:lambda:") {
        return ("lambda".into(), arn.to_string());
    }
    if arn.contains(":activity:") {
        return ("activity".into(), arn.to_string());
    }
    ("custom".into(), arn.to_string())
}
