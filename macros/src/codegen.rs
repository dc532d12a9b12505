//! Phase 4, code generation (infallible): the workflow type, its ASL, its typed task handlers, and
//! hidden checks that make rustc verify handler shapes and the types flowing between states.

use crate::ast::{Kind, OptValue, Transition, Workflow};
use crate::lower::Lowered;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// Generates the items for one checked workflow.
pub fn workflow(w: &Workflow, lowered: &Lowered, sm: &stepfn_asl::StateMachine) -> TokenStream {
    let attrs = &w.attrs;
    let vis = &w.vis;
    let name = &w.name;
    let name_str = name.to_string();
    let asl_text = serde_json::to_string_pretty(&lowered.asl).unwrap_or_default();
    let value_ty = quote!(::stepfn::__private::serde_json::Value);
    let in_ty = w
        .input
        .as_ref()
        .map_or_else(|| value_ty.clone(), |t| quote!(#t));
    let out_ty = w
        .output
        .as_ref()
        .map_or_else(|| value_ty.clone(), |t| quote!(#t));
    let registrations = lowered.tasks.iter().map(|t| {
        let handler = &t.handler;
        let resource = &t.resource;
        quote_spanned! {handler.span()=>
            ::stepfn::__private::register_task(&mut registry, #resource, #handler);
        }
    });
    let flows = flow_checks(w);
    let handlers: std::collections::HashMap<String, syn::Path> = lowered
        .tasks
        .iter()
        .map(|t| (t.resource.clone(), t.handler.clone()))
        .collect();
    let (compiled_items, compiled_impl) = match crate::compile::not_compilable(sm, &handlers) {
        Some(why) => {
            let note = format!("not compiled: {why}; runs in the interpreter");
            (
                quote!(),
                quote! { #[doc = #note] const COMPILED: bool = false; },
            )
        }
        None => {
            let uses_context = sm.reads_context_object();
            let (fns, top, machine) = crate::compile::generate(name, sm, &handlers);
            let timeout = match sm.timeout_seconds {
                Some(t) => quote! {
                    match ::stepfn::__private::timeout(::std::time::Duration::from_secs(#t), #top(&cx, data, &mut prev)).await {
                        ::core::result::Result::Ok(r) => r,
                        ::core::result::Result::Err(_) => return cx.timed_out(),
                    }
                },
                None => quote!(#top(&cx, data, &mut prev).await),
            };
            let items = quote! {
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                static #machine: ::std::sync::LazyLock<::stepfn::asl::StateMachine> =
                    ::std::sync::LazyLock::new(|| ::stepfn::__private::asl_state_machine(#name::ASL));
                #fns
                impl #name {
                    /// Runs one execution of the compiled workflow.
                    pub async fn run_compiled(
                        data: ::stepfn::__private::compiled::Data,
                        options: ::stepfn::ExecutionOptions,
                    ) -> ::stepfn::ExecutionResult {
                        let (cx, mut prev, data) = ::stepfn::__private::compiled::Execution::start(#name_str, data, &options, #uses_context);
                        let data = match data {
                            ::core::result::Result::Ok(data) => data,
                            ::core::result::Result::Err(e) => return cx.finish(::core::result::Result::Err(e)),
                        };
                        let r = #timeout;
                        cx.finish(r)
                    }
                }
            };
            let imp = quote! {
                const COMPILED: bool = true;

                fn execute(
                    input: ::stepfn::__private::serde_json::Value,
                    options: ::stepfn::ExecutionOptions,
                ) -> ::stepfn::__private::BoxFuture<'static, ::stepfn::ExecutionResult> {
                    ::std::boxed::Box::pin(#name::run_compiled(::stepfn::__private::compiled::Data::Json(input), options))
                }

                fn execute_typed(
                    input: Self::Input,
                    options: ::stepfn::ExecutionOptions,
                ) -> ::stepfn::__private::BoxFuture<'static, ::stepfn::ExecutionResult> {
                    ::std::boxed::Box::pin(#name::run_compiled(::stepfn::__private::compiled::Data::typed(input), options))
                }
            };
            (items, imp)
        }
    };
    quote! {
        #(#attrs)*
        #vis struct #name;

        impl #name {
            /// The workflow's name (also its state machine's name).
            pub const NAME: &'static str = #name_str;
            /// The workflow as Amazon States Language JSON, ready to deploy to AWS Step Functions.
            pub const ASL: &'static str = #asl_text;

            /// The workflow's ASL as a JSON value.
            pub fn asl() -> #value_ty {
                ::stepfn::__private::asl_value(Self::ASL)
            }

            /// The workflow as the runtime's States Language model.
            pub fn state_machine() -> ::stepfn::asl::StateMachine {
                ::stepfn::__private::asl_state_machine(Self::ASL)
            }

            /// The Rust task handlers of this workflow, registered under their resources.
            pub fn tasks() -> ::stepfn::TaskRegistry {
                #[allow(unused_mut)]
                let mut registry = ::stepfn::TaskRegistry::new();
                #(#registrations)*
                registry
            }
        }

        impl ::stepfn::Workflow for #name {
            type Input = #in_ty;
            type Output = #out_ty;
            const NAME: &'static str = #name_str;
            const ASL: &'static str = #asl_text;

            fn state_machine() -> ::stepfn::asl::StateMachine {
                #name::state_machine()
            }

            fn tasks() -> ::stepfn::TaskRegistry {
                #name::tasks()
            }

            #compiled_impl
        }

        #compiled_items

        #flows
    }
}

/// Where a typed value flows straight from one state into the next (no path or template between
/// them), rustc must see the same type on both sides. The checks are never called.
fn flow_checks(w: &Workflow) -> TokenStream {
    let mut checks = Vec::new();
    let mut scopes = vec![&w.body];
    while let Some(scope) = scopes.pop() {
        let by_name: std::collections::HashMap<String, &crate::ast::StateDef> = scope
            .states
            .iter()
            .map(|s| (s.name.to_string(), s))
            .collect();
        for st in &scope.states {
            for o in &st.options {
                if let OptValue::Scope(s) = &o.value {
                    scopes.push(s);
                }
            }
            let Kind::Task {
                handler: Some(from),
                ..
            } = &st.kind
            else {
                continue;
            };
            if has_json_processing(st, &["result_selector", "result_path", "output_path"]) {
                continue;
            }
            let Some(Transition::Next(next)) = &st.transition else {
                continue;
            };
            let Some(to) = by_name.get(&next.to_string()) else {
                continue;
            };
            let Kind::Task {
                handler: Some(to_handler),
                ..
            } = &to.kind
            else {
                continue;
            };
            if let Some((fields, tokens)) = field_input_path(to) {
                // `$.a.b` selects a field of a typed value: rustc checks the field and its type.
                checks.push(quote_spanned! {tokens.span()=>
                    ::stepfn::__private::check_field_flow(&#from, |v| &v.#(#fields).*, &#to_handler);
                });
                continue;
            }
            if has_json_processing(to, &["input_path", "parameters"]) {
                continue;
            }
            checks.push(quote_spanned! {to_handler.span()=>
                ::stepfn::__private::check_flow(&#from, &#to_handler);
            });
        }
    }
    // The workflow's input type flows into its first state when that is a plain typed task.
    if let (Some(in_ty), Some(first)) = (&w.input, first_state(w)) {
        if let Kind::Task {
            handler: Some(h), ..
        } = &first.kind
        {
            if let Some((fields, tokens)) = field_input_path(first) {
                checks.push(quote_spanned! {tokens.span()=>
                    ::stepfn::__private::check_input_field::<#in_ty, _, _, _, _, _>(|v| &v.#(#fields).*, &#h);
                });
            } else if !has_json_processing(first, &["input_path", "parameters"]) {
                checks.push(quote_spanned! {h.span()=>
                    ::stepfn::__private::check_input::<#in_ty, _, _, _, _>(&#h);
                });
            }
        }
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #[allow(dead_code, clippy::all)]
            fn __stepfn_type_flow() {
                #(#checks)*
            }
        };
    }
}

/// A task's `input_path $.a.b` whose only JSON processing is that path, as Rust field names
/// (with the path's span), when every segment is a Rust identifier.
fn field_input_path(st: &crate::ast::StateDef) -> Option<(Vec<syn::Ident>, TokenStream)> {
    let mut path = None;
    for o in &st.options {
        match (o.key.name().as_str(), &o.value) {
            ("input_path", OptValue::Path(Some(p), tokens)) => {
                path = Some((p.text.clone(), tokens.clone()))
            }
            (
                "result_path" | "output_path" | "result_selector" | "retry" | "catch" | "timeout"
                | "comment",
                _,
            ) => {}
            _ => return None,
        }
    }
    let (text, tokens) = path?;
    let rest = text.strip_prefix("$.")?;
    // Written as tokens (`$.a.b`), each field keeps its own span; as a string, the string's.
    let idents: Vec<proc_macro2::Span> = tokens
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) => Some(i.span()),
            _ => None,
        })
        .collect();
    let fields = rest
        .split('.')
        .enumerate()
        .map(|(n, f)| {
            syn::parse_str::<syn::Ident>(f).ok().map(|mut i| {
                i.set_span(idents.get(n).copied().unwrap_or_else(|| tokens.span()));
                i
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((fields, tokens))
}

fn first_state(w: &Workflow) -> Option<&crate::ast::StateDef> {
    match &w.body.start {
        Some(s) => w.body.states.iter().find(|st| st.name == *s),
        None => w.body.states.first(),
    }
}

fn has_json_processing(st: &crate::ast::StateDef, keys: &[&str]) -> bool {
    st.options.iter().any(|o| {
        let n = o.key.name();
        keys.contains(&n.as_str())
            || matches!(
                n.as_str(),
                "InputPath"
                    | "Parameters"
                    | "ResultSelector"
                    | "ResultPath"
                    | "OutputPath"
                    | "Arguments"
                    | "Output"
            )
    })
}
