//! What the macro emits when a workflow has errors: the errors, plus the workflow's type with the
//! same items as stubs, so one mistake gives one error and code using the type still type-checks.

use crate::ast::Workflow;
use proc_macro2::TokenStream;
use quote::quote;

/// The stub items for a workflow that failed to check.
pub fn workflow(w: &Workflow, error: syn::Error) -> TokenStream {
    let attrs = &w.attrs;
    let vis = &w.vis;
    let name = &w.name;
    let name_str = name.to_string();
    let value_ty = quote!(::stepfn::__private::serde_json::Value);
    let in_ty = w
        .input
        .as_ref()
        .map_or_else(|| value_ty.clone(), |t| quote!(#t));
    let out_ty = w
        .output
        .as_ref()
        .map_or_else(|| value_ty.clone(), |t| quote!(#t));
    let errors = error.into_compile_error();
    quote! {
        #errors

        #(#attrs)*
        #vis struct #name;

        #[allow(unreachable_code, clippy::all)]
        impl #name {
            /// The workflow's name.
            pub const NAME: &'static str = #name_str;
            /// Not available: the workflow has errors.
            pub const ASL: &'static str = "";
            /// Not available: the workflow has errors.
            pub fn asl() -> #value_ty { ::core::unreachable!() }
            /// Not available: the workflow has errors.
            pub fn state_machine() -> ::stepfn::asl::StateMachine { ::core::unreachable!() }
            /// Not available: the workflow has errors.
            pub fn tasks() -> ::stepfn::TaskRegistry { ::core::unreachable!() }
        }

        #[allow(unreachable_code, clippy::all)]
        impl ::stepfn::Workflow for #name {
            type Input = #in_ty;
            type Output = #out_ty;
            const NAME: &'static str = #name_str;
            const ASL: &'static str = "";
            fn state_machine() -> ::stepfn::asl::StateMachine { ::core::unreachable!() }
            fn tasks() -> ::stepfn::TaskRegistry { ::core::unreachable!() }
        }
    }
}
