//! Map states: items selected and shaped (ItemsPath/ItemSelector), iterations run with
//! MaxConcurrency, tolerated failures, and the Map run events of distributed mode.

#[allow(unused_imports)]
use super::*;

impl Exec<'_> {
    /// Reads an integer-valued `…Path` field of a Map, with AWS's error texts.
    pub(super) fn map_int(
        &self,
        p: &stepfn_asl::Path,
        field: &str,
        input: &Value,
        env: &Env<'_>,
    ) -> Result<i64, StatesError> {
        let v =
            paths::select(p, input, env)?.ok_or_else(|| paths::path_not_found(p, field, input))?;
        // AWS also takes a string holding an integer.
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        match n {
            Some(n) => Ok(n),
            None => Err(StatesError::runtime(format!(
                "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                match &v {
                    Value::String(s) => s.clone(),
                    other => to_text(other),
                },
                p.as_str()
            ))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn map(
        &self,
        s: StateAt<'_>,
        m: &MapState,
        input: Value,
        ctx: Context<'_>,
        vars: &mut Variables,
        history: &History,
        prev: &mut u64,
        at: At<'_>,
    ) -> Result<Step, StatesError> {
        let (name, st) = (s.name, s.state);
        let processor = s.child(0)?;
        let prev_cell = AtomicU64::new(*prev);
        let started = std::sync::atomic::AtomicBool::new(false);
        let distributed = m.mode() == MapMode::Distributed;
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
        let mut input = input;
        let taken = if jsonata || park.is_some() {
            None
        } else {
            take_items(st, m, &mut input)
        };
        let taken = std::sync::Mutex::new(taken);
        let raw_input = &input;
        let frame = at.frame;
        let outcome = self
            .with_retry(&m.retry, &m.catch, &input, &ctx, jsonata, vars, self.park(at.frame, name, history, &prev_cell, at.entered, at.entered_time), at.resume.as_ref(), |rc, vars| {
                let resumed = resumed_started.take();
                    let keep_children = std::mem::take(&mut redrive);
                let rc = rc.clone();
                let vars_now = park_ref.map(|_| vars.clone());
                let env = Env { context: &ctx, vars };
                let prepared = if let Some(e) = unsupported(m) {
                    Err(e)
                } else if jsonata {
                    self.jx_map_prepare(m, &input, &ctx, vars)
                        .map(|(eff, items, c, t)| (Cow::Owned(eff), Cow::Owned(items), c, t))
                } else {
                    self.map_prepare(st, m, raw_input, &env).map(|(eff, items, c, t)| {
                        match taken.lock().unwrap_or_else(|p| p.into_inner()).take() {
                            Some(owned) => (eff, Cow::Owned(owned), c, t),
                            None => (eff, items, c, t),
                        }
                    })
                };
                // With an ItemBatcher, each iteration's input is a batch of selected items.
                let prepared = match (prepared, &m.item_batcher) {
                    (Ok((eff, items, c, t)), Some(b)) => self
                        .batch_items(b, m, &eff, items, &ctx, vars, jsonata)
                        .map(|batches| (eff, Cow::Owned(batches), c, t)),
                    (prepared, _) => prepared,
                };
                let outer = Arc::new(vars.clone());
                let prev_cell = &prev_cell;
                let started_flag = &started;
                let ctx = &ctx;
                async move {
                    if resumed.is_none() {
                        if let (Some(park), false) = (park_ref, keep_children) {
                            // A new attempt: the iterations of an earlier one are void.
                            park.dur.remove_children(park.frame, name);
                        }
                    }
                    if resumed.is_none() && self.note_eval_failure(&prepared, history, prev_cell, name) {
                        // AWS closes the Map with MapStateFailed even though it never started.
                        started_flag.store(true, Relaxed);
                    }
                    let (eff, items, max_concurrency, tolerated) = prepared?;
                    started_flag.store(true, Relaxed);
                    let eff: &Value = &eff;
                    let (run_prev, tolerated) = match resumed {
                        Some(run_prev) => {
                            prev_cell.store(run_prev, Relaxed);
                            (run_prev, tolerated?)
                        }
                        None => {
                            let started = history.push(prev_cell.load(Relaxed), EventType::MapStateStarted, || self.clock.now_rfc3339(), || {
                                Some(("mapStateStartedEventDetails", json!({"length": items.len()})))
                            });
                            prev_cell.store(started, Relaxed);
                            // Tolerated failures are validated after MapStateStarted, as AWS does.
                            let tolerated = tolerated?;
                            let run_prev = if distributed {
                                history.push(started, EventType::MapRunStarted, || self.clock.now_rfc3339(), || {
                                    Some(("mapRunStartedEventDetails", json!({"mapRunArn": format!("{}/{}", self.info.id.replace(":execution:", ":mapRun:"), new_uuid())})))
                                })
                            } else {
                                started
                            };
                            (run_prev, tolerated)
                        }
                    };
                    if let (Some(park), Some(vars)) = (park_ref, &vars_now) {
                        let pos = Pos::Children {
                            entered: park.entered,
                            entered_ms: park.entered_ms,
                            retry: rc,
                            started: run_prev,
                        };
                        park.set(raw_input, vars, pos);
                    }
                    let limit = if max_concurrency == 0 { 40 } else { max_concurrency.min(40) as usize };
                    // Items the Map owns are moved into their iterations and dropped as those end;
                    // borrowed ones are copied when their iteration starts (`buffered` pulls
                    // lazily). Either way at most `limit` items are held by iterations.
                    let len = items.len();
                    let items: Box<dyn Iterator<Item = Value> + Send + '_> = match items {
                        Cow::Owned(v) => Box::new(v.into_iter()),
                        Cow::Borrowed(s) => Box::new(s.iter().cloned()),
                    };
                    // A Distributed Map's item counts, live (DescribeMapRun).
                    let progress = distributed
                        .then(|| super::map_progress::start(&self.info.id, run_prev, len as u64))
                        .flatten();
                    let iterations = items.enumerate().map(|(index, item)| {
                        let outer = outer.clone();
                        let key = frame.map(|f| child_key(f, name, '#', index));
                        let progress = progress.clone();
                        async move {
                            if let Some(p) = &progress {
                                p.item_started();
                            }
                            let r = async {
                            let dur = self.dur.as_deref();
                            let resume = match (dur, &key) {
                                (Some(d), Some(k)) => d.take_resume(k),
                                _ => None,
                            };
                            if let Some(r) = resume.as_ref().and_then(done_result) {
                                return r;
                            }
                            let env = Env { context: ctx, vars: &outer };
                            // Batches were shaped by ItemSelector when they were made.
                            let selector = match &m.item_batcher {
                                Some(_) => None,
                                None => m.item_selector.as_ref().or(m.parameters.as_ref()),
                            };
                            let item_input = match selector {
                                Some(t) => self.select_item(t, eff, ctx, index, item, env.vars, jsonata)?,
                                None => item,
                            };
                            let own_history;
                            let h = if distributed {
                                own_history = History::new(false);
                                &own_history
                            } else {
                                history
                            };
                            let mut iprev = if distributed || resume.is_some() {
                                0
                            } else {
                                h.push(run_prev, EventType::MapIterationStarted, || self.clock.now_rfc3339(), || {
                                    Some(("mapIterationStartedEventDetails", json!({"name": name, "index": index})))
                                })
                            };
                            let mut ivars = Variables::child(outer.clone());
                            let r = self
                                .run_scope(processor, None, item_input, &mut ivars, h, &mut iprev, key.as_deref(), resume)
                                .await;
                            if !distributed {
                                let kind = if r.is_ok() { EventType::MapIterationSucceeded } else { EventType::MapIterationFailed };
                                h.push(iprev, kind, || self.clock.now_rfc3339(), || {
                                    Some((
                                        if r.is_ok() { "mapIterationSucceededEventDetails" } else { "mapIterationFailedEventDetails" },
                                        json!({"name": name, "index": index}),
                                    ))
                                });
                            }
                            // A failed iteration's checkpoint (set by run_scope) says where.
                            if let (Some(d), Some(k), true) = (dur, &key, r.is_ok()) {
                                d.set(k, &done_ck(&r));
                            }
                            r
                            }
                            .await;
                            if let Some(p) = &progress {
                                p.item_ended(&r);
                            }
                            r
                        }
                    });
                    let mut stream = futures::stream::iter(iterations).buffered(limit);
                    let mut results = Vec::with_capacity(len);
                    let mut failures = 0u64;
                    let mut first_error = None;
                    while let Some(r) = stream.next().await {
                        match r {
                            Ok(v) => results.push(v),
                            Err(e) => {
                                failures += 1;
                                let allowed = distributed && tolerated.is_some_and(|(count, pct)| {
                                    failures <= count && (failures as f64) * 100.0 / (len.max(1) as f64) <= pct
                                });
                                if allowed {
                                    results.push(json!({"Error": e.error, "Cause": e.cause}));
                                } else {
                                    first_error = Some(e);
                                    break;
                                }
                            }
                        }
                    }
                    drop(stream);
                    if let Some(mut e) = first_error {
                        if distributed && tolerated.is_some() && failures > 0 && e.error != names::RUNTIME {
                            e = StatesError::new(
                                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                "The specified tolerated failure threshold was exceeded",
                            );
                        }
                        if distributed {
                            let p = history.push(history.len(), EventType::MapRunFailed, || self.clock.now_rfc3339(), || {
                                Some(("mapRunFailedEventDetails", error_details(&e)))
                            });
                            prev_cell.store(p, Relaxed);
                        }
                        return Err(e);
                    }
                    if distributed {
                        history.push(history.len(), EventType::MapRunSucceeded, || self.clock.now_rfc3339(), || None);
                    }
                    let p = history.push(history.len(), EventType::MapStateSucceeded, || self.clock.now_rfc3339(), || None);
                    prev_cell.store(p, Relaxed);
                    Ok(Value::Array(results))
                }
            })
            .await;
        // An uncaught failure keeps the children's checkpoints for a redrive.
        if let (Some(park), false) = (&park, outcome.is_err()) {
            park.dur.remove_children(park.frame, name);
        }
        *prev = history.len().max(prev_cell.load(Relaxed));
        // A `States.Runtime` error ends the execution at once, without a MapStateFailed event.
        let runtime_error = matches!(&outcome, Err(e) if e.error == names::RUNTIME);
        if matches!(outcome, Err(_) | Ok(Err(_))) && started.load(Relaxed) && !runtime_error {
            *prev = history.push(
                *prev,
                EventType::MapStateFailed,
                || self.clock.now_rfc3339(),
                || None,
            );
        }
        self.conclude_guarded(
            outcome?,
            s,
            (m.result_selector.as_ref(), m.result_path.as_ref()),
            input,
            &ctx,
            vars,
            (history, prev),
        )
    }

    /// One iteration's input shaped by `ItemSelector` (or the legacy `Parameters`): `$` is the
    /// Map's effective input `eff`, the item is `$$.Map.Item.Value` at `$$.Map.Item.Index`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn select_item(
        &self,
        selector: &Template,
        eff: &Value,
        ctx: &Context<'_>,
        index: usize,
        item: Value,
        vars: &Variables,
        jsonata: bool,
    ) -> Result<Value, StatesError> {
        let ictx = ctx.with_map_item(index, item);
        if jsonata {
            self.jx_item(selector, eff, &ictx, vars)
        } else {
            template::evaluate(
                selector,
                eff,
                &Env {
                    context: &ictx,
                    vars,
                },
            )
        }
    }

    /// Items, MaxConcurrency and tolerated failures of a Map, in AWS's order of checks.
    #[allow(clippy::type_complexity)]
    ///
    /// The effective input and the items are borrowed from `input` where paths select them from
    /// it (the usual case), so a large item array is not copied whole.
    #[allow(clippy::type_complexity)]
    pub(super) fn map_prepare<'a>(
        &self,
        st: &State,
        m: &MapState,
        input: &'a Value,
        env: &Env<'_>,
    ) -> Result<
        (
            Cow<'a, Value>,
            Cow<'a, [Value]>,
            u64,
            Result<Option<(u64, f64)>, StatesError>,
        ),
        StatesError,
    > {
        let eff: Cow<'a, Value> = match borrowed_selection(st.input_path.as_ref(), input) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(paths::input_path(st.input_path.as_ref(), input, env)?.into_owned()),
        };
        let max_concurrency = match (&m.max_concurrency, &m.max_concurrency_path) {
            (Some(Expr::Literal(n)), _) => *n,
            (_, Some(p)) => {
                let n = self.map_int(p, "MaxConcurrencyPath", &eff, env)?;
                u64::try_from(n)
                    .map_err(|_| StatesError::runtime("MaxConcurrency cannot be negative."))?
            }
            _ => 0,
        };
        let not_array = |other: &Value| {
            StatesError::runtime(format!(
                "Map state input must be an array but was: {}",
                to_text(other)
            ))
        };
        let borrowed_items = match (&eff, &m.items_path) {
            (Cow::Borrowed(e), None) => Some(Some(*e)),
            (Cow::Borrowed(e), Some(p))
                if p.is_definite() && matches!(p.root(), PathRoot::Input) =>
            {
                match p.select(e) {
                    Selected::One(v) => Some(Some(v)),
                    _ => Some(None),
                }
            }
            _ => None,
        };
        let items: Cow<'a, [Value]> = match borrowed_items {
            Some(Some(Value::Array(a))) => Cow::Borrowed(a.as_slice()),
            Some(Some(other)) => return Err(not_array(other)),
            Some(None) | None => {
                let items = match &m.items_path {
                    Some(p) => paths::select(p, &eff, env)?
                        .ok_or_else(|| paths::path_not_found(p, "ItemsPath", &eff))?,
                    None => eff.as_ref().clone(),
                };
                match items {
                    Value::Array(a) => Cow::Owned(a),
                    other => return Err(not_array(&other)),
                }
            }
        };
        let tolerated = (|| {
            let count = match (&m.tolerated_failure_count, &m.tolerated_failure_count_path) {
                (Some(Expr::Literal(n)), _) => Some(*n),
                (_, Some(p)) => {
                    let n = self.map_int(p, "ToleratedFailureCountPath", input, env)?;
                    if n < 0 {
                        return Err(StatesError::runtime(
                            "ToleratedFailureCount cannot be negative.",
                        ));
                    }
                    Some(n as u64)
                }
                _ => None,
            };
            let pct = match (
                &m.tolerated_failure_percentage,
                &m.tolerated_failure_percentage_path,
            ) {
                (Some(Expr::Literal(n)), _) => n.as_f64(),
                (_, Some(p)) => {
                    let v = paths::select(p, input, env)?.ok_or_else(|| {
                        paths::path_not_found(p, "ToleratedFailurePercentagePath", input)
                    })?;
                    let f = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(|| {
                        StatesError::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            match &v {
                                Value::String(s) => s.clone(),
                                other => to_text(other),
                            },
                            p.as_str()
                        ))
                    })?;
                    if !(0.0..=100.0).contains(&f) {
                        return Err(StatesError::runtime(
                            "ToleratedFailurePercentage must be between 0 and 100.",
                        ));
                    }
                    Some(f)
                }
                _ => None,
            };
            Ok(match (count, pct) {
                (None, None) => None,
                (c, p) => Some((c.unwrap_or(u64::MAX), p.unwrap_or(100.0))),
            })
        })();
        Ok((eff, items, max_concurrency, tolerated))
    }
}

/// A Distributed Map field this runtime does not run, as the error the Map fails with:
/// `ItemReader` and `ResultWriter` read and write Amazon S3, which a local run does not reach.
/// Failing says so; running the Map without the field would give a different result than AWS
/// without a word.
fn unsupported(m: &MapState) -> Option<StatesError> {
    let field = [
        ("ItemReader", m.item_reader.is_some()),
        ("ResultWriter", m.result_writer.is_some()),
    ]
    .into_iter()
    .find_map(|(f, present)| present.then_some(f))?;
    Some(StatesError::runtime(format!(
        "The Map state's `{field}` is not supported by stepfn's runtime (it runs Distributed Maps \
         over items in the state's input only)"
    )))
}

/// The items of a JSONPath Map moved out of its raw input (an empty array is left in their place)
/// when nothing will read them there again, so each item is freed once its iteration ends instead
/// of living until the Map does: no Retry or Catch (a new attempt or the error output needs the
/// input), a ResultPath that replaces the input, no ItemSelector or ItemBatcher (they read the
/// effective input),
/// no Assign, no `…Path` count fields, and InputPath and ItemsPath definite paths into the input.
pub(super) fn take_items(st: &State, m: &MapState, input: &mut Value) -> Option<Vec<Value>> {
    let replaces = match &m.result_path {
        None => true,
        Some(ResultPath::Path(p)) => p.is_root(),
        Some(ResultPath::Discard) => false,
    };
    if !replaces
        || !m.retry.is_empty()
        || !m.catch.is_empty()
        || m.item_selector.is_some()
        || m.parameters.is_some()
        || m.item_batcher.is_some()
        || st.assign.is_some()
        || m.max_concurrency_path.is_some()
        || m.tolerated_failure_count_path.is_some()
        || m.tolerated_failure_percentage_path.is_some()
    {
        return None;
    }
    let into_input = |p: &stepfn_asl::Path| p.is_definite() && matches!(p.root(), PathRoot::Input);
    let input_path = match &st.input_path {
        None => None,
        Some(IoPath::Path(p)) if into_input(p) => Some(p),
        Some(_) => return None,
    };
    let items_path = match &m.items_path {
        Some(p) if !into_input(p) => return None,
        p => p.as_ref(),
    };
    let mut cur = input;
    for seg in input_path
        .into_iter()
        .chain(items_path)
        .flat_map(|p| p.segments())
    {
        cur = match (seg, cur) {
            (stepfn_asl::path::PathSegment::Field(f), Value::Object(o)) => {
                stepfn_asl::object::get_mut(o, f)?
            }
            (stepfn_asl::path::PathSegment::Index(i), Value::Array(a)) => {
                a.get_mut(usize::try_from(*i).ok()?)?
            }
            _ => return None,
        };
    }
    match cur {
        Value::Array(a) => Some(std::mem::take(a)),
        _ => None,
    }
}

/// The value an InputPath selects from `input`, borrowed, when it is `input` itself or a definite
/// path into it; `None` otherwise (`null`, `$$`, a variable, an indefinite or unmatched path).
pub(super) fn borrowed_selection<'a>(p: Option<&IoPath>, input: &'a Value) -> Option<&'a Value> {
    match p {
        None => Some(input),
        Some(IoPath::Path(path))
            if path.is_definite() && matches!(path.root(), PathRoot::Input) =>
        {
            match path.select(input) {
                Selected::One(v) => Some(v),
                _ => None,
            }
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_state(extra: Value) -> State {
        let mut def = json!({
            "StartAt": "M",
            "States": {"M": {"Type": "Map", "ItemsPath": "$.in.items", "End": true,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}
        });
        if let (Some(m), Some(extra)) = (def["States"]["M"].as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        let machine = StateMachine::from_json(&def).expect("valid");
        machine.states["M"].clone()
    }

    #[test]
    fn map_items_are_taken_only_when_nothing_reads_the_input_again() {
        let input = json!({"in": {"items": [1, 2, 3]}, "keep": true});
        let take = |extra: Value| {
            let st = map_state(extra);
            let StateKind::Map(m) = &st.kind else {
                panic!("a Map")
            };
            let mut v = input.clone();
            (take_items(&st, m, &mut v), v)
        };
        let (items, left) = take(json!({}));
        assert_eq!(items, Some(vec![json!(1), json!(2), json!(3)]));
        assert_eq!(left, json!({"in": {"items": []}, "keep": true}));
        for blocker in [
            json!({"ResultPath": "$.out"}),
            json!({"ResultPath": null}),
            json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]}),
            json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "M"}]}),
            json!({"ItemSelector": {"v.$": "$$.Map.Item.Value"}}),
            json!({"MaxConcurrencyPath": "$.keep"}),
            json!({"InputPath": "$$.Execution.Input"}),
        ] {
            let (items, left) = take(blocker.clone());
            assert_eq!(items, None, "{blocker}");
            assert_eq!(left, input, "{blocker}");
        }
    }
}
