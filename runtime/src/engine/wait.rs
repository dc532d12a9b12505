//! Wait states: the delay from Seconds, SecondsPath, Timestamp or TimestampPath, and the
//! durable wait that parks an execution until its deadline.

#[allow(unused_imports)]
use super::*;

impl Exec<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn wait_state(
        &self,
        s: StateAt<'_>,
        w: &Wait,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let At {
            frame,
            resume,
            entered,
            entered_time,
        } = at;
        if let Some(Pos::Wait {
            until_ms, output, ..
        }) = resume
        {
            tokio::time::sleep(durable::until(&self.clock, until_ms)).await;
            return Ok(Step::normal(output));
        }
        let (delay, next) = if s.planned.jsonata {
            self.jx_wait(st, w, input, ctx, vars)?
        } else {
            self.wait(st, w, input, ctx, vars)?
        };
        if delay.is_zero() {
            return Ok(next);
        }
        let cell = AtomicU64::new(*prev);
        if let Some(park) = self.park(frame, name, history, &cell, entered, entered_time) {
            let output = next.output.clone();
            let until_ms = self.clock.now().as_millisecond() + delay.as_millis() as i64;
            let pos = Pos::Wait {
                entered,
                entered_ms: entered_time.as_millisecond(),
                until_ms,
                output,
            };
            park.commit(&Value::Null, vars, pos).await?;
        }
        tokio::time::sleep(delay).await;
        Ok(next)
    }

    /// A Wait: its delay and where it goes after (variables already assigned: nothing can read
    /// them while it sleeps).
    pub(super) fn wait(
        &self,
        st: &State,
        w: &Wait,
        input: Value,
        ctx: &Context<'_>,
        vars: &mut Variables,
    ) -> Result<(Duration, Step), StatesError> {
        let (delay, out, assigned) = {
            let env = Env { context: ctx, vars };
            let effective = paths::apply_io_path(st.input_path.as_ref(), input, &env)?;
            let delay = self.wait_duration(w, &effective, &env)?;
            let assigned = self.assign(st, &effective, &env)?;
            let out = paths::apply_io_path(st.output_path.as_ref(), effective, &env)?;
            (delay, out, assigned)
        };
        if let Some(a) = assigned {
            for (k, v) in a {
                vars.set(k, v);
            }
        }
        Ok((delay, Step::normal(out)))
    }

    pub(super) fn wait_duration(
        &self,
        w: &Wait,
        input: &Value,
        env: &Env<'_>,
    ) -> Result<Duration, StatesError> {
        wait_duration(w, input, env, &self.clock)
    }
}

/// How long a Wait state waits (shared by the interpreter and the compiled form).
pub(crate) fn wait_duration(
    w: &Wait,
    input: &Value,
    env: &Env<'_>,
    clock: &Clock,
) -> Result<Duration, StatesError> {
    if let Some(Expr::Literal(s)) = &w.seconds {
        return Ok(Duration::from_secs(*s));
    }
    if let Some(p) = &w.seconds_path {
        let v = paths::select(p, input, env)?
            .ok_or_else(|| paths::path_not_found(p, "SecondsPath", input))?;
        return match v.as_i64() {
            Some(n) if n >= 0 => Ok(Duration::from_secs(n as u64)),
            Some(n) => Err(StatesError::runtime(format!(
                "The SecondsPath parameter references a negative value: {} == {n}",
                p.as_str()
            ))),
            None => Err(StatesError::runtime(format!(
                "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                p.as_str(),
                to_text(&v)
            ))),
        };
    }
    let (ts, path) = if let Some(Expr::Literal(s)) = &w.timestamp {
        (s.clone(), None)
    } else if let Some(p) = &w.timestamp_path {
        let v = paths::select(p, input, env)?
            .ok_or_else(|| paths::path_not_found(p, "TimestampPath", input))?;
        match v {
            Value::String(s) => (s, Some(p)),
            other => {
                return Err(StatesError::runtime(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                    p.as_str(),
                    to_text(&other)
                )))
            }
        }
    } else {
        return Err(StatesError::runtime(
            "a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath",
        ));
    };
    let Some(at) = stepfn_asl::timestamp::parse(&ts) else {
        // A literal Timestamp was validated with the definition; only a path's value gets here.
        let at = path
            .map(|p| format!("{} == ", p.as_str()))
            .unwrap_or_default();
        return Err(StatesError::runtime(format!(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {at}{ts}"
        )));
    };
    // Step Functions keeps whole seconds.
    let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
    let now = clock.now();
    let d = now.duration_until(at);
    Ok(Duration::try_from(d).unwrap_or(Duration::ZERO))
}
