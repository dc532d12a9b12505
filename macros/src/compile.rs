//! Code generation of the compiled form: one `async fn` per scope (the workflow, each Parallel
//! branch, each Map processor) with an enum of its states and a dispatch loop. Each state calls the
//! runtime's shared state semantics (`stepfn::__private::compiled`); typed task handlers are called directly.
//! The top-level scope is awaited as it is; branches and processors are boxed once per run.
//!
//! A plain typed task (no Retry, Catch, paths, templates or timeout) awaits its handler in the
//! scope's own future, and a chain of them (each entered only from the previous one's `Next`) runs
//! in one arm: the typed value moves from handler to handler as a local, never boxed, and each
//! state's locals live in a block of their own, so the future holds one state's at a time.
//!
//! A workflow that uses something the compiled form does not cover yet (JSONata, variables,
//! distributed Maps, callbacks, tasks without a Rust handler, …) is not compiled: it runs in the
//! interpreter, and its `Workflow::COMPILED` is `false`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashMap;
use stepfn_asl::{
    Catcher, Condition, Expr, MapMode, QueryLanguage, State, StateKind, StateMachine, Transition,
};

/// Why a workflow is not compiled, or `None` when it is.
pub fn not_compilable(sm: &StateMachine, handlers: &HashMap<String, syn::Path>) -> Option<String> {
    if sm.query_language == Some(QueryLanguage::Jsonata) {
        return Some("it uses JSONata".into());
    }
    fn catchers_ok(c: &[Catcher]) -> bool {
        c.iter().all(|c| c.assign.is_none() && c.output.is_none())
    }
    fn cond_ok(c: &Condition) -> bool {
        match c {
            Condition::And(cs) | Condition::Or(cs) => cs.iter().all(cond_ok),
            Condition::Not(c) => cond_ok(c),
            Condition::Compare { .. } => true,
            Condition::Jsonata(_) | Condition::Constant(_) => false,
        }
    }
    fn scope(
        states: &indexmap::IndexMap<String, State>,
        handlers: &HashMap<String, syn::Path>,
    ) -> Option<String> {
        for (name, st) in states {
            if st.query_language == Some(QueryLanguage::Jsonata) {
                return Some(format!("`{name}` uses JSONata"));
            }
            if st.assign.is_some() || st.output.is_some() {
                return Some(format!("`{name}` assigns variables"));
            }
            match &st.kind {
                StateKind::Task(t) => {
                    if !handlers.contains_key(&t.resource) {
                        return Some(format!("the task `{name}` has no Rust handler"));
                    }
                    if t.timeout_seconds_path.is_some()
                        || t.heartbeat_seconds.is_some()
                        || t.heartbeat_seconds_path.is_some()
                        || t.credentials.is_some()
                        || t.arguments.is_some()
                        || matches!(t.timeout_seconds, Some(Expr::Jsonata(_)))
                        || !catchers_ok(&t.catch)
                    {
                        return Some(format!(
                            "the task `{name}` uses a field the compiled form does not cover yet"
                        ));
                    }
                }
                StateKind::Choice(c) => {
                    if !c
                        .choices
                        .iter()
                        .all(|r| r.assign.is_none() && r.output.is_none() && cond_ok(&r.condition))
                    {
                        return Some(format!("the choice `{name}` uses JSONata or variables"));
                    }
                }
                StateKind::Wait(w) => {
                    if matches!(w.seconds, Some(Expr::Jsonata(_)))
                        || matches!(w.timestamp, Some(Expr::Jsonata(_)))
                    {
                        return Some(format!("the wait `{name}` uses JSONata"));
                    }
                }
                StateKind::Fail(f) => {
                    if matches!(f.error, Some(Expr::Jsonata(_)))
                        || matches!(f.cause, Some(Expr::Jsonata(_)))
                    {
                        return Some(format!("the fail state `{name}` uses JSONata"));
                    }
                }
                StateKind::Parallel(p) => {
                    if p.arguments.is_some() || !catchers_ok(&p.catch) {
                        return Some(format!(
                            "the parallel state `{name}` uses JSONata or variables"
                        ));
                    }
                    for b in &p.branches {
                        if let Some(why) = scope(&b.states, handlers) {
                            return Some(why);
                        }
                    }
                }
                StateKind::Map(m) => {
                    if m.mode() == MapMode::Distributed
                        || m.items.is_some()
                        || m.max_concurrency_path.is_some()
                        || matches!(m.max_concurrency, Some(Expr::Jsonata(_)))
                        || m.tolerated_failure_count.is_some()
                        || m.tolerated_failure_count_path.is_some()
                        || m.tolerated_failure_percentage.is_some()
                        || m.tolerated_failure_percentage_path.is_some()
                        || m.item_reader.is_some()
                        || !catchers_ok(&m.catch)
                    {
                        return Some(format!(
                            "the map `{name}` uses a field the compiled form does not cover yet"
                        ));
                    }
                    if let Some(why) = scope(&m.processor.states, handlers) {
                        return Some(why);
                    }
                }
                StateKind::Pass(_) | StateKind::Succeed => {}
            }
        }
        None
    }
    scope(&sm.states, handlers)
}

/// A Task whose typed handler is called with nothing around it: no Retry, Catch, InputPath,
/// Parameters, ResultSelector, ResultPath, OutputPath or TimeoutSeconds.
/// A local of the generated code, with mixed-site hygiene: the handler paths (the only user
/// tokens in the generated functions) can never name it, whatever a handler is called.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn plain_task(st: &State, t: &stepfn_asl::Task) -> bool {
    t.retry.is_empty()
        && t.catch.is_empty()
        && t.parameters.is_none()
        && t.result_selector.is_none()
        && t.result_path.is_none()
        && t.timeout_seconds.is_none()
        && st.input_path.is_none()
        && st.output_path.is_none()
}

/// Where a scope's `States` are, as an expression of type `&'static IndexMap<String, State>`.
#[derive(Clone)]
enum ScopeRoot {
    Top,
    Branch { parent: TokenStream, index: usize },
    Processor { parent: TokenStream },
}

struct Gen<'a> {
    machine_static: Ident,
    prefix: String,
    handlers: &'a HashMap<String, syn::Path>,
    fns: Vec<TokenStream>,
    counter: usize,
}

/// Generates the compiled scopes and returns the name of the top-level scope function.
pub fn generate(
    workflow: &Ident,
    sm: &StateMachine,
    handlers: &HashMap<String, syn::Path>,
) -> (TokenStream, Ident, Ident) {
    let machine_static = format_ident!("__STEPFN_MACHINE_{}", workflow);
    let mut g = Gen {
        machine_static: machine_static.clone(),
        prefix: format!("__stepfn_{workflow}"),
        handlers,
        fns: Vec::new(),
        counter: 0,
    };
    let top = g.scope(&sm.start_at, &sm.states, ScopeRoot::Top);
    let fns = g.fns;
    (quote!(#(#fns)*), top, machine_static)
}

impl Gen<'_> {
    /// Generates a branch or Map processor: returns its
    /// [`Scope`](::stepfn::__private::compiled::Scope) function, which boxes the scope's `async fn`.
    fn scope_fn(
        &mut self,
        start: &str,
        states: &indexmap::IndexMap<String, State>,
        root: ScopeRoot,
    ) -> Ident {
        let run = self.scope(start, states, root);
        let fn_name = format_ident!("{}_boxed", run);
        let (h_cx, h_data, h_prev) = (local("cx"), local("data"), local("prev"));
        self.fns.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, clippy::all)]
            fn #fn_name<'a>(
                #h_cx: &'a ::stepfn::__private::compiled::Execution,
                #h_data: ::stepfn::__private::compiled::Data,
                #h_prev: &'a mut u64,
            ) -> ::stepfn::__private::BoxFuture<'a, ::core::result::Result<::stepfn::__private::compiled::Data, ::stepfn::StatesError>> {
                ::std::boxed::Box::pin(#run(#h_cx, #h_data, #h_prev))
            }
        });
        fn_name
    }

    /// Generates a scope's `async fn` and returns its name.
    fn scope(
        &mut self,
        start: &str,
        states: &indexmap::IndexMap<String, State>,
        root: ScopeRoot,
    ) -> Ident {
        let fn_name = format_ident!("{}_scope_{}", self.prefix, self.counter);
        self.counter += 1;
        let (h_cx, h_data, h_prev, h_states) =
            (local("cx"), local("data"), local("prev"), local("states"));
        let (h_s, h_state_enum, h_run, h_d) = (local("s"), local("S"), local("run"), local("d"));
        let (h_which, h_next, h_input, h_out, h_e, h_attempt) = (
            local("which"),
            local("next"),
            local("input"),
            local("out"),
            local("e"),
            local("_attempt"),
        );
        let machine = &self.machine_static;
        let states_expr = match &root {
            ScopeRoot::Top => quote!(&#machine.states),
            ScopeRoot::Branch { parent, index } => {
                quote!(::stepfn::__private::compiled::branch_states(#parent, #index))
            }
            ScopeRoot::Processor { parent } => {
                quote!(::stepfn::__private::compiled::processor_states(#parent))
            }
        };
        let index: HashMap<&str, usize> = states
            .keys()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let variant = |i: usize| format_ident!("S{}", i);
        let goto = |name: &str| -> TokenStream {
            let v = variant(index.get(name).copied().unwrap_or(0));
            quote!(#h_state_enum::#v)
        };
        let after = |t: Option<&Transition>| -> TokenStream {
            match t {
                Some(Transition::Next(n)) => goto(n),
                _ => quote!(return ::core::result::Result::Ok(#h_data)),
            }
        };
        let caught = |catch: &[Catcher]| -> Vec<TokenStream> {
            catch
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let to = goto(&c.next);
                    quote!(::stepfn::__private::compiled::Next::Caught(#i) => #to,)
                })
                .collect()
        };
        // A plain typed task entered only from the `Next` of a plain typed task is run right
        // after it, in its arm: the typed value passes between the two handlers as a local.
        let plain: Vec<bool> = states
            .values()
            .map(|st| matches!(&st.kind, StateKind::Task(t) if plain_task(st, t)))
            .collect();
        let mut incoming = vec![0usize; states.len()];
        if let Some(&i) = index.get(start) {
            incoming[i] += 1;
        }
        for st in states.values() {
            for (to, _) in st.successors() {
                if let Some(&i) = index.get(to) {
                    incoming[i] += 1;
                }
            }
        }
        // The state run right after state `i` in its arm, if any.
        let fused_next = |i: usize| -> Option<usize> {
            let (_, st) = states.get_index(i)?;
            let Some(Transition::Next(n)) = st.transition() else {
                return None;
            };
            let j = *index.get(n.as_str())?;
            (plain[i] && plain[j] && incoming[j] == 1 && j != i).then_some(j)
        };
        let fused: std::collections::HashSet<usize> =
            (0..states.len()).filter_map(fused_next).collect();
        let mut arms = Vec::new();
        for (i, (name, st)) in states.iter().enumerate() {
            if fused.contains(&i) {
                continue;
            }
            let v = variant(i);
            let state_expr = quote!(::stepfn::__private::compiled::state_at(#h_states, #i));
            let enter = quote! {
                let #h_run = #h_cx.enter(#h_prev, #name, #state_expr, &#h_data);
            };
            let body = match &st.kind {
                StateKind::Pass(_) => {
                    let next = after(st.transition());
                    quote! { #enter #h_data = #h_run.pass(#h_prev, #h_data)?; #next }
                }
                StateKind::Succeed => quote! { #enter return #h_run.succeed(#h_prev, #h_data); },
                StateKind::Fail(_) => {
                    quote! { #enter return ::core::result::Result::Err(#h_run.fail_state(#h_data)); }
                }
                StateKind::Wait(_) => {
                    let next = after(st.transition());
                    quote! { #enter #h_data = #h_run.wait(#h_prev, #h_data).await?; #next }
                }
                StateKind::Choice(c) => {
                    let rules = c.choices.iter().enumerate().map(|(ri, r)| {
                        let to = goto(r.next.as_deref().unwrap_or_default());
                        quote!(::core::option::Option::Some(#ri) => #to,)
                    });
                    let default = match &c.default {
                        Some(d) => {
                            let to = goto(d);
                            quote!(_ => #to,)
                        }
                        None => {
                            quote!(_ => ::core::unreachable!("a Choice without Default matched nothing"))
                        }
                    };
                    quote! {
                        #enter
                        let (#h_which, #h_d) = #h_run.choice(#h_prev, #h_data)?;
                        #h_data = #h_d;
                        match #h_which { #(#rules)* #default }
                    }
                }
                StateKind::Task(_) if plain[i] => {
                    // Nothing JSON-only around the handler and nothing to retry, catch or time:
                    // the handler's future is awaited right here, and so are those of the plain
                    // typed tasks fused after it.
                    let mut body = TokenStream::new();
                    // These locals are the macro's own (mixed-site hygiene): no handler path
                    // can name them.
                    let out = Ident::new("out", Span::mixed_site());
                    let result = Ident::new("result", Span::mixed_site());
                    let run = Ident::new("run", Span::mixed_site());
                    let input = Ident::new("input", Span::mixed_site());
                    let mut at = i;
                    let mut seen = std::collections::HashSet::new();
                    loop {
                        seen.insert(at);
                        let Some((at_name, at_state)) = states.get_index(at) else {
                            break;
                        };
                        let StateKind::Task(at_task) = &at_state.kind else {
                            break;
                        };
                        let handler = &self.handlers[&at_task.resource];
                        // A handler of the wrong shape is reported on the handler (the locals
                        // keep the macro's spans: only method names and `.await` take its span).
                        let span = syn::spanned::Spanned::span(handler);
                        let result_fn = Ident::new("task_result", span);
                        let await_kw = Ident::new("await", span);
                        // Every use of a handler is a `TaskFn` call spanned on it: a handler of
                        // the wrong shape gets one error (rustc merges the identical ones).
                        let call = quote_spanned!(span=> ::stepfn::__private::TaskFn::call_task);
                        let href = quote_spanned!(span=> &#handler);
                        let entered = Ident::new("entered", Span::mixed_site());
                        // Each state in its own block: its locals end with it, so the scope's
                        // future holds those of one state at a time. The result is bound by a
                        // `let … else`, not as the value of a `?` (whose early return would make
                        // its type a diverging one): a handler of the wrong shape then gets no
                        // error of type inference besides its own.
                        if at == i {
                            let input_fn = Ident::new("task_input", span);
                            body.extend(quote! {
                                let #out = {
                                    let #run = #h_cx.enter(#h_prev, #name, ::stepfn::__private::compiled::state_at(#h_states, #i), &#h_data);
                                    let #input = #run.#input_fn(#h_prev, #h_data, ::stepfn::__private::handler_name(#href));
                                    let ::core::result::Result::Ok(#input) = #input else {
                                        return ::core::result::Result::Err(::stepfn::__private::compiled::error_of(#input));
                                    };
                                    let #result = #run.#result_fn(#h_prev, #call(#href, #input).#await_kw);
                                    let ::core::result::Result::Ok(#out) = #result else {
                                        return ::core::result::Result::Err(::stepfn::__private::compiled::error_of(#result));
                                    };
                                    #out
                                };
                            });
                        } else {
                            let input_fn = Ident::new("enter_task", span);
                            body.extend(quote! {
                                let #out = {
                                    let #entered = #h_cx.#input_fn(#h_prev, #at_name, ::stepfn::__private::compiled::state_at(#h_states, #at), ::core::result::Result::Ok(#out));
                                    let ::core::result::Result::Ok((#run, #input)) = #entered else {
                                        return ::core::result::Result::Err(::stepfn::__private::compiled::error_of(#entered));
                                    };
                                    let #result = #run.#result_fn(#h_prev, #call(#href, #input).#await_kw);
                                    let ::core::result::Result::Ok(#out) = #result else {
                                        return ::core::result::Result::Err(::stepfn::__private::compiled::error_of(#result));
                                    };
                                    #out
                                };
                            });
                        }
                        match fused_next(at) {
                            Some(j) if !seen.contains(&j) => at = j,
                            _ => {
                                let next = after(at_state.transition());
                                body.extend(quote! {
                                    #h_data = ::stepfn::__private::compiled::Data::from_state(::core::result::Result::Ok(#out), #at_name)?;
                                    #next
                                });
                                break;
                            }
                        }
                    }
                    body
                }
                StateKind::Task(t) => {
                    let handler = &self.handlers[&t.resource];
                    let span = syn::spanned::Spanned::span(handler);
                    let call = quote_spanned!(span=> ::stepfn::__private::TaskFn::call_task);
                    let href = quote_spanned!(span=> &#handler);
                    let next = after(st.transition());
                    let catches = caught(&t.catch);
                    quote! {
                        #enter
                        let (#h_next, #h_d) = #h_run
                            .task(#h_prev, #h_data, |#h_d: ::stepfn::__private::compiled::Data, #h_attempt: u64| async move {
                                let #h_input = #h_d.into_typed(#name, ::stepfn::__private::handler_name(#href));
                                let ::core::result::Result::Ok(#h_input) = #h_input else {
                                    return ::core::result::Result::Err(::stepfn::__private::compiled::error_of(#h_input));
                                };
                                match #call(#href, #h_input).await {
                                    ::core::result::Result::Ok(#h_out) => ::core::result::Result::Ok(::stepfn::__private::compiled::Data::typed(#h_out)),
                                    ::core::result::Result::Err(#h_e) => ::core::result::Result::Err(::stepfn::StatesError::from(::core::convert::Into::<::stepfn::TaskError>::into(#h_e))),
                                }
                            })
                            .await?;
                        #h_data = #h_d;
                        match #h_next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
                StateKind::Parallel(p) => {
                    let parent = quote!(::stepfn::__private::compiled::state_at(#states_expr, #i));
                    let branches: Vec<Ident> = p
                        .branches
                        .iter()
                        .enumerate()
                        .map(|(bi, b)| {
                            self.scope_fn(
                                &b.start_at,
                                &b.states,
                                ScopeRoot::Branch {
                                    parent: parent.clone(),
                                    index: bi,
                                },
                            )
                        })
                        .collect();
                    let next = after(st.transition());
                    let catches = caught(&p.catch);
                    quote! {
                        #enter
                        let (#h_next, #h_d) = #h_run.parallel(#h_prev, #h_data, &[#(#branches as ::stepfn::__private::compiled::Scope),*]).await?;
                        #h_data = #h_d;
                        match #h_next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
                StateKind::Map(m) => {
                    let parent = quote!(::stepfn::__private::compiled::state_at(#states_expr, #i));
                    let processor = self.scope_fn(
                        &m.processor.start_at,
                        &m.processor.states,
                        ScopeRoot::Processor { parent },
                    );
                    let next = after(st.transition());
                    let catches = caught(&m.catch);
                    quote! {
                        #enter
                        let (#h_next, #h_d) = #h_run.map(#h_prev, #h_data, #processor).await?;
                        #h_data = #h_d;
                        match #h_next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
            };
            arms.push(quote!(#h_state_enum::#v => { #body }));
        }
        let variants: Vec<Ident> = (0..states.len())
            .filter(|i| !fused.contains(i))
            .map(variant)
            .collect();
        let start_v = variant(index.get(start).copied().unwrap_or(0));
        let begin = quote! {
            let mut #h_data = #h_data;
            let mut #h_s = #h_state_enum::#start_v;
        };
        self.fns.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, unreachable_code, unused_variables, dead_code, clippy::all)]
            async fn #fn_name(
                #h_cx: &::stepfn::__private::compiled::Execution,
                #h_data: ::stepfn::__private::compiled::Data,
                #h_prev: &mut u64,
            ) -> ::core::result::Result<::stepfn::__private::compiled::Data, ::stepfn::StatesError> {
                #[derive(Clone, Copy)]
                enum #h_state_enum { #(#variants),* }
                let #h_states: &'static ::stepfn::__private::IndexMap<::std::string::String, ::stepfn::asl::State> = #states_expr;
                #begin
                loop {
                    #h_s = match #h_s {
                        #(#arms)*
                    };
                }
            }
        });
        fn_name
    }
}
