//! Code generation of the compiled form: one `async fn` per scope (the workflow, each Parallel
//! branch, each Map processor) with an enum of its states and a dispatch loop. Each state calls the
//! runtime's shared state semantics (`stepfn::compiled`); typed task handlers are called directly.
//!
//! A workflow that uses something the compiled form does not cover yet (JSONata, variables,
//! distributed Maps, callbacks, tasks without a Rust handler, …) is not compiled: it runs in the
//! interpreter, and its `Workflow::COMPILED` is `false`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
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
    fn scope(
        &mut self,
        start: &str,
        states: &indexmap::IndexMap<String, State>,
        root: ScopeRoot,
    ) -> Ident {
        let fn_name = format_ident!("{}_scope_{}", self.prefix, self.counter);
        self.counter += 1;
        let machine = &self.machine_static;
        let states_expr = match &root {
            ScopeRoot::Top => quote!(&#machine.states),
            ScopeRoot::Branch { parent, index } => {
                quote!(::stepfn::compiled::branch_states(#parent, #index))
            }
            ScopeRoot::Processor { parent } => {
                quote!(::stepfn::compiled::processor_states(#parent))
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
            quote!(S::#v)
        };
        let after = |t: Option<&Transition>| -> TokenStream {
            match t {
                Some(Transition::Next(n)) => goto(n),
                _ => quote!(return ::core::result::Result::Ok(data)),
            }
        };
        let caught = |catch: &[Catcher]| -> Vec<TokenStream> {
            catch
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let to = goto(&c.next);
                    quote!(::stepfn::compiled::Next::Caught(#i) => #to,)
                })
                .collect()
        };
        let mut arms = Vec::new();
        for (i, (name, st)) in states.iter().enumerate() {
            let v = variant(i);
            let state_expr = quote!(::stepfn::compiled::state_at(states, #i));
            let enter = quote! {
                let run = cx.enter(prev, #name, #state_expr, &data);
            };
            let body = match &st.kind {
                StateKind::Pass(_) => {
                    let next = after(st.transition());
                    quote! { #enter data = run.pass(prev, data)?; #next }
                }
                StateKind::Succeed => quote! { #enter return run.succeed(prev, data); },
                StateKind::Fail(_) => {
                    quote! { #enter return ::core::result::Result::Err(run.fail_state(data)); }
                }
                StateKind::Wait(_) => {
                    let next = after(st.transition());
                    quote! { #enter data = run.wait(prev, data).await?; #next }
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
                        let (which, d) = run.choice(prev, data)?;
                        data = d;
                        match which { #(#rules)* #default }
                    }
                }
                StateKind::Task(t) => {
                    let handler = &self.handlers[&t.resource];
                    let next = after(st.transition());
                    let catches = caught(&t.catch);
                    quote! {
                        #enter
                        let (next, d) = run
                            .task(prev, data, |d: ::stepfn::compiled::Data, _attempt: u64| async move {
                                let input = d.into_typed()?;
                                match #handler(input).await {
                                    ::core::result::Result::Ok(out) => ::core::result::Result::Ok(::stepfn::compiled::Data::typed(out)),
                                    ::core::result::Result::Err(e) => ::core::result::Result::Err(::stepfn::StatesError::from(::core::convert::Into::<::stepfn::TaskError>::into(e))),
                                }
                            })
                            .await?;
                        data = d;
                        match next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
                StateKind::Parallel(p) => {
                    let parent = quote!(::stepfn::compiled::state_at(#states_expr, #i));
                    let branches: Vec<Ident> = p
                        .branches
                        .iter()
                        .enumerate()
                        .map(|(bi, b)| {
                            self.scope(
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
                        let (next, d) = run.parallel(prev, data, &[#(#branches as ::stepfn::compiled::Scope),*]).await?;
                        data = d;
                        match next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
                StateKind::Map(m) => {
                    let parent = quote!(::stepfn::compiled::state_at(#states_expr, #i));
                    let processor = self.scope(
                        &m.processor.start_at,
                        &m.processor.states,
                        ScopeRoot::Processor { parent },
                    );
                    let next = after(st.transition());
                    let catches = caught(&m.catch);
                    quote! {
                        #enter
                        let (next, d) = run.map(prev, data, #processor).await?;
                        data = d;
                        match next {
                            #(#catches)*
                            _ => { #next }
                        }
                    }
                }
            };
            arms.push(quote!(S::#v => { #body }));
        }
        let variants: Vec<Ident> = (0..states.len()).map(variant).collect();
        let start_v = variant(index.get(start).copied().unwrap_or(0));
        self.fns.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, unreachable_code, unused_variables, clippy::all)]
            fn #fn_name<'a>(
                cx: &'a ::stepfn::compiled::Execution,
                data: ::stepfn::compiled::Data,
                prev: &'a mut u64,
            ) -> ::stepfn::__private::BoxFuture<'a, ::core::result::Result<::stepfn::compiled::Data, ::stepfn::StatesError>> {
                ::std::boxed::Box::pin(async move {
                    #[derive(Clone, Copy)]
                    enum S { #(#variants),* }
                    let states: &'static ::stepfn::__private::IndexMap<::std::string::String, ::stepfn::asl::State> = #states_expr;
                    let mut data = data;
                    let mut s = S::#start_v;
                    loop {
                        s = match s {
                            #(#arms)*
                        };
                    }
                })
            }
        });
        let _ = Span::call_site();
        fn_name
    }
}
