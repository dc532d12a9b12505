//! Parallel states: branches run concurrently on one task, their outputs gathered in order; a
//! failed branch fails the state (Retry/Catch apply to the whole state).

#[allow(unused_imports)]
use super::*;

impl Exec<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn parallel(
        &self,
        s: StateAt<'_>,
        p: &Parallel,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let entered_at = at.entered;
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
        // A redrive re-enters the state keeping the checkpoints of its finished children.
        let mut redrive = matches!(at.resume, Some(Pos::Redrive));
        let mut resumed_started = match &at.resume {
            Some(Pos::Children { started, .. }) => Some(*started),
            _ => None,
        };
        let raw_input = &input;
        let frame = at.frame;
        let outcome = self
            .with_retry(
                &p.retry,
                &p.catch,
                &input,
                &ctx,
                jsonata,
                vars,
                self.park(
                    at.frame,
                    name,
                    history,
                    &prev_cell,
                    at.entered,
                    at.entered_time,
                ),
                at.resume.as_ref(),
                |rc, vars| {
                    let resumed = resumed_started.take();
                    let keep_children = std::mem::take(&mut redrive);
                    let rc = rc.clone();
                    let vars_now = park_ref.map(|_| vars.clone());
                    let env = Env {
                        context: &ctx,
                        vars,
                    };
                    let prepared = if jsonata {
                        self.jx_arguments(p.arguments.as_ref(), &input, &ctx, vars)
                    } else {
                        paths::input_path(st.input_path.as_ref(), &input, &env).and_then(|eff| {
                            match &p.parameters {
                                Some(t) => template::evaluate(t, &eff, &env),
                                None => Ok(eff.into_owned()),
                            }
                        })
                    };
                    let outer = Arc::new(vars.clone());
                    let prev_cell = &prev_cell;
                    async move {
                        let started = match resumed {
                            Some(started) => {
                                prev_cell.store(started, Relaxed);
                                started
                            }
                            None => {
                                if let (Some(park), false) = (park_ref, keep_children) {
                                    // A new attempt: the children of an earlier one are void.
                                    park.dur.remove_children(park.frame, name);
                                }
                                self.note_eval_failure(&prepared, history, prev_cell, name);
                                prepared.as_ref().map_err(Clone::clone)?;
                                let started = history.push(
                                    prev_cell.load(Relaxed),
                                    EventType::ParallelStateStarted,
                                    || self.clock.now_rfc3339(),
                                    || None,
                                );
                                prev_cell.store(started, Relaxed);
                                started
                            }
                        };
                        let eff = prepared?;
                        if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                            let pos = Pos::Children {
                                entered: park.entered,
                                entered_ms: park.entered_ms,
                                retry: rc,
                                started,
                            };
                            park.set(raw_input, vars, pos);
                        }
                        let branches = (0..p.branches.len()).map(|i| {
                            let branch = s.child(i);
                            let eff = eff.clone();
                            let outer = outer.clone();
                            let key = frame.map(|f| child_key(f, name, '@', i));
                            async move {
                                let dur = self.dur.as_deref();
                                let resume = match (dur, &key) {
                                    (Some(d), Some(k)) => d.take_resume(k),
                                    _ => None,
                                };
                                if let Some(r) = resume.as_ref().and_then(done_result) {
                                    return r;
                                }
                                let mut vars = Variables::child(outer);
                                let mut bprev = started;
                                let r = self
                                    .run_scope(
                                        branch?,
                                        None,
                                        eff,
                                        &mut vars,
                                        history,
                                        &mut bprev,
                                        key.as_deref(),
                                        resume,
                                    )
                                    .await;
                                // A failed branch's checkpoint (set by run_scope) says where.
                                if let (Some(d), Some(k), true) = (dur, &key, r.is_ok()) {
                                    d.set(k, &done_ck(&r));
                                }
                                r
                            }
                        });
                        futures::future::try_join_all(branches)
                            .await
                            .map(Value::Array)
                    }
                },
            )
            .await;
        // An uncaught failure keeps the children's checkpoints for a redrive.
        if let (Some(park), false) = (&park, outcome.is_err()) {
            park.dur.remove_children(park.frame, name);
        }
        *prev = history.len().max(prev_cell.load(Relaxed));
        let runtime_error = matches!(&outcome, Err(e) if e.error == names::RUNTIME);
        if matches!(outcome, Err(_) | Ok(Err(_))) && *prev > entered_at && !runtime_error {
            let detail = match &outcome {
                Err(e) => Some(("parallelStateFailedEventDetails", error_details(e))),
                _ => None,
            };
            *prev = history.push(
                *prev,
                EventType::ParallelStateFailed,
                || self.clock.now_rfc3339(),
                || detail,
            );
        }
        self.conclude_guarded(
            outcome?,
            s,
            (p.result_selector.as_ref(), p.result_path.as_ref()),
            input,
            &ctx,
            vars,
            (history, prev),
        )
    }
}
