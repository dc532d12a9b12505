//! Phase 4, code generation (infallible): the workflow type, its ASL, its typed task handlers, and
//! hidden checks that make rustc verify handler shapes and the types flowing between states.

use crate::ast::Workflow;
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
            ::stepfn::__private::TaskFn::register_task(#handler, &mut registry, #resource);
        }
    });
    let flows = crate::flow::checks(w);
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
