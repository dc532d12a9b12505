//! Parallel and Map states in the compiled form: generated scopes run as branches or
//! iterations, their outputs gathered as the interpreter gathers them.

#[allow(unused_imports)]
use super::*;

impl StateRun<'_> {
    /// A Parallel state whose branches are compiled scopes.
    pub async fn parallel(
        &self,
        prev: &mut u64,
        input: Data,
        branches: &[Scope],
    ) -> Result<(Next, Data), StatesError> {
        let StateKind::Parallel(p) = &self.state.kind else {
            unreachable!("parallel on a {}", self.state.kind.type_name())
        };
        let p: &Parallel = p;
        let cx = self.cx;
        self.guarded(
            prev,
            input,
            &p.retry,
            &p.catch,
            p.parameters.as_ref(),
            p.result_selector.as_ref(),
            p.result_path.as_ref(),
            |data, _attempt, mut pv| async move {
                cx.record(&mut pv, EventType::ParallelStateStarted, || None);
                let started = pv;
                let eff = match cx.json(data) {
                    Ok(v) => v,
                    Err(e) => return (pv, Err(e)),
                };
                let runs = branches.iter().map(|b| {
                    let eff = eff.clone();
                    async move {
                        let mut bprev = started;
                        b(cx, Data::Json(eff), &mut bprev)
                            .await
                            .and_then(|d| cx.json(d))
                    }
                });
                let r = futures::future::try_join_all(runs)
                    .await
                    .map(|v| Data::Json(Value::Array(v)));
                (cx.events().max(pv), r)
            },
        )
        .await
    }

    /// An inline Map state whose processor is a compiled scope.
    pub async fn map(
        &self,
        prev: &mut u64,
        input: Data,
        processor: Scope,
    ) -> Result<(Next, Data), StatesError> {
        let StateKind::Map(m) = &self.state.kind else {
            unreachable!("map on a {}", self.state.kind.type_name())
        };
        let m: &MapState = m;
        let cx = self.cx;
        let name = self.name;
        let ctx = self.context();
        let ctx = &ctx;
        // Items, concurrency and ItemSelector read the Map's effective input (Parameters is the
        // legacy ItemSelector here, so it is not applied as a template before the work).
        self.guarded(
            prev,
            input,
            &m.retry,
            &m.catch,
            None,
            m.result_selector.as_ref(),
            m.result_path.as_ref(),
            |data, _attempt, mut pv| async move {
                let env = Env {
                    context: ctx,
                    vars: &NO_VARIABLES,
                };
                let prepared = (|| {
                    let eff = cx.json(data)?;
                    let limit = match &m.max_concurrency {
                        Some(Expr::Literal(n)) => *n,
                        _ => 0,
                    };
                    let items = match &m.items_path {
                        Some(p) => paths::select(p, &eff, &env)?
                            .ok_or_else(|| paths::path_not_found(p, "ItemsPath", &eff))?,
                        None => eff.clone(),
                    };
                    match items {
                        Value::Array(a) => Ok((eff, a, limit)),
                        other => Err(StatesError::runtime(format!(
                            "Map state input must be an array but was: {}",
                            to_text(&other)
                        ))),
                    }
                })();
                let (eff, items, limit) = match prepared {
                    Ok(x) => x,
                    Err(e) => return (pv, Err(e)),
                };
                cx.record(&mut pv, EventType::MapStateStarted, || {
                    Some((
                        "mapStateStartedEventDetails",
                        json!({"length": items.len()}),
                    ))
                });
                let started = pv;
                let limit = if limit == 0 {
                    40
                } else {
                    limit.min(40) as usize
                };
                let selector = m.item_selector.as_ref().or(m.parameters.as_ref());
                let eff = &eff;
                let iterations = items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| async move {
                        let item_input = match selector {
                            Some(t) => {
                                let ictx = ctx.with_map_item(index, item);
                                let ienv = Env {
                                    context: &ictx,
                                    vars: &NO_VARIABLES,
                                };
                                template::evaluate(t, eff, &ienv)?
                            }
                            None => item,
                        };
                        let mut ip = started;
                        cx.record(&mut ip, EventType::MapIterationStarted, || {
                            Some((
                                "mapIterationStartedEventDetails",
                                json!({"name": name, "index": index}),
                            ))
                        });
                        let r = processor(cx, Data::Json(item_input), &mut ip)
                            .await
                            .and_then(|d| cx.json(d));
                        let (kind, key) = if r.is_ok() {
                            (
                                EventType::MapIterationSucceeded,
                                "mapIterationSucceededEventDetails",
                            )
                        } else {
                            (
                                EventType::MapIterationFailed,
                                "mapIterationFailedEventDetails",
                            )
                        };
                        cx.record(&mut ip, kind, || {
                            Some((key, json!({"name": name, "index": index})))
                        });
                        r
                    });
                let mut stream = futures::stream::iter(iterations).buffered(limit);
                let mut results = Vec::new();
                while let Some(r) = stream.next().await {
                    match r {
                        Ok(v) => results.push(v),
                        Err(e) => return (cx.events().max(pv), Err(e)),
                    }
                }
                drop(stream);
                let mut p = cx.events().max(pv);
                cx.record(&mut p, EventType::MapStateSucceeded, || None);
                (p, Ok(Data::Json(Value::Array(results))))
            },
        )
        .await
    }
}
