//! `W::mock()`: a test run of the workflow with handlers replaced by closures, each named by its
//! function item (`W::mock().handler(charge, |order| async move { … })`, see `stepfn::Mock`).

use crate::lower::Lowered;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// The `mock()` constructor of workflow `w`, listing each handler once.
pub fn items(w: &crate::ast::Workflow, lowered: &Lowered) -> TokenStream {
    let name = &w.name;
    let mut seen = std::collections::HashSet::new();
    let entries = lowered
        .tasks
        .iter()
        .filter(|t| seen.insert(t.resource.clone()))
        .map(|t| {
            let handler = &t.handler;
            let resource = &t.resource;
            let path = handler.to_token_stream().to_string().replace(' ', "");
            quote! { ::stepfn::__private::mock_entry(&#handler, #resource, #path) }
        });
    quote! {
        impl #name {
            /// A test run of this workflow with some handlers replaced by closures: see
            /// [`stepfn::Mock`].
            #[allow(dead_code)]
            pub fn mock() -> ::stepfn::Mock<Self> {
                ::stepfn::Mock::new(::std::vec![#(#entries),*])
            }
        }
    }
}
