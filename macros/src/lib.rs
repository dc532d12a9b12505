//! The `workflow!` macro of stepfn. Not yet implemented: it reports a clear error.

use proc_macro::TokenStream;

/// Defines a workflow. Not implemented yet: expands to a compile error saying so.
#[proc_macro]
pub fn workflow(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    syn::Error::new_spanned(
        input,
        "`workflow!` is not implemented yet in this version of stepfn",
    )
    .into_compile_error()
    .into()
}
