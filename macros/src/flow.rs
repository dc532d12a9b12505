//! Type checks that follow the data (part of phase 4, code generation).
//!
//! The macro cannot see Rust types, so it works out which typed value reaches which state and
//! writes rustc a function that is never called, in which each fact is a call of
//! `stepfn::__private` (spanned on the user's token):
//!
//! - a typed handler's input is exactly the type that reaches it: the workflow's input, the
//!   previous handler's output (through `Next`, every Choice target and Default, plain Pass and
//!   Wait states), a field of it (`input_path $.a.b`), or one item of the array a Map iterates;
//! - a Choice condition's `$.a.b` is a field of the typed value, of a type the comparison fits;
//! - what a path's last state outputs is the workflow's declared `-> Output`;
//! - after a `result_path`/`result_selector` merge the next handler opts into JSON
//!   (`serde_json::Value` or `stepfn::JsonInput`), since its input has no Rust type.
//!
//! Where JSON processing (a template, an `output_path`, a catcher's merge, …) reshapes the data,
//! nothing is known and nothing is checked.

use crate::ast::{Cond, Kind, Operand, OptValue, Scope, StateDef, Transition, Workflow};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use std::collections::HashMap;
use syn::spanned::Spanned;

/// Where a value whose Rust type is known comes from.
#[derive(Clone)]
enum Source<'a> {
    /// The workflow's declared input.
    Input(&'a syn::Type),
    /// The output of a typed handler.
    Handler(&'a syn::Path),
    /// One item of an array: the value of a source, or a field of it.
    Item(Box<Source<'a>>, Vec<syn::Ident>),
    /// JSON that a `result_path`/`result_selector` merge assembled in the named state.
    Merged(String),
}

impl Source<'_> {
    /// Tells sources apart (a state reached twice from one source is checked once).
    fn key(&self) -> String {
        match self {
            Source::Input(_) => "input".into(),
            Source::Handler(h) => format!("handler {}", quote!(#h)),
            Source::Item(s, f) => format!("item of {}.{}", s.key(), quote!(#(#f).*)),
            Source::Merged(s) => format!("merged {s}"),
        }
    }

    /// An expression of the source's type, for the checks (never evaluated).
    fn value(&self) -> Option<TokenStream> {
        match self {
            Source::Input(t) => Some(quote!(::stepfn::__private::value_of::<#t>())),
            Source::Handler(h) => {
                Some(quote_spanned!(h.span()=> ::stepfn::__private::TaskFn::output_of(&#h)))
            }
            Source::Item(s, fields) => {
                let v = s.value()?;
                Some(quote!(::stepfn::__private::item_of(&(#v)#(.#fields)*)))
            }
            Source::Merged(_) => None,
        }
    }
}

/// The checks of one workflow: an item that rustc checks, or nothing.
pub fn checks(w: &Workflow) -> TokenStream {
    let mut out = Vec::new();
    let entry: Vec<Source> = w.input.iter().map(Source::Input).collect();
    scope(w, &w.body, entry, true, &mut out);
    if out.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #[allow(dead_code, unreachable_code, unused_variables, clippy::all)]
            fn __stepfn_type_flow() {
                #(#out)*
            }
        };
    }
}

/// Propagates the typed values of a scope from its start to a fixed point, then writes the checks.
fn scope<'a>(
    w: &'a Workflow,
    sc: &'a Scope,
    entry: Vec<Source<'a>>,
    top: bool,
    out: &mut Vec<TokenStream>,
) {
    let index: HashMap<String, usize> = sc
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.to_string(), i))
        .collect();
    let start = match &sc.start {
        Some(s) => index.get(&s.to_string()).copied(),
        None => (!sc.states.is_empty()).then_some(0),
    };
    // What reaches each state, without repeats.
    let mut incoming: Vec<Vec<Source<'a>>> = vec![Vec::new(); sc.states.len()];
    let add = |incoming: &mut Vec<Vec<Source<'a>>>, i: usize, s: Source<'a>| -> bool {
        if incoming[i].iter().any(|o| o.key() == s.key()) {
            return false;
        }
        incoming[i].push(s);
        true
    };
    if let Some(start) = start {
        for s in entry {
            add(&mut incoming, start, s);
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for (i, st) in sc.states.iter().enumerate() {
            let produced = outgoing(st, &incoming[i]);
            for next in successors(st) {
                let Some(&j) = index.get(&next) else { continue };
                for s in &produced {
                    changed |= add(&mut incoming, j, s.clone());
                }
            }
        }
    }
    for (i, st) in sc.states.iter().enumerate() {
        state_checks(w, st, &incoming[i], top, out);
        // Nested scopes: branches get the Parallel's input, a processor one item of the array
        // (nothing typed when JSON processing reshapes it).
        let nested = nested_entry(st, &incoming[i]).unwrap_or_default();
        for o in &st.options {
            if let OptValue::Scope(s) = &o.value {
                scope(w, s, nested.clone(), false, out);
            }
        }
    }
}

/// The states a state continues to with its value unchanged (`Next`, Choice targets, Default).
/// A catcher's target gets an error merged in: nothing typed reaches it from here.
fn successors(st: &StateDef) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(Transition::Next(n)) = &st.transition {
        v.push(n.to_string());
    }
    if let Kind::Choice { rules, default, .. } = &st.kind {
        // A rule with `output {…}` reshapes the value.
        v.extend(
            rules
                .iter()
                .filter(|r| r.options.iter().all(|o| o.key.name() != "output"))
                .map(|r| r.next.to_string()),
        );
        v.extend(default.iter().map(ToString::to_string));
    }
    v
}

/// The names of a state's options that may reshape the data (not `comment`, `retry`, `catch`,
/// `timeout`, `heartbeat` or `resource`).
fn data_options(st: &StateDef) -> Vec<String> {
    st.options
        .iter()
        .map(|o| o.key.name())
        .filter(|n| {
            !matches!(
                n.as_str(),
                "comment" | "retry" | "catch" | "timeout" | "heartbeat" | "resource"
            )
        })
        .collect()
}

/// What a state passes on, given what reaches it.
fn outgoing<'a>(st: &'a StateDef, incoming: &[Source<'a>]) -> Vec<Source<'a>> {
    let opts = data_options(st);
    match &st.kind {
        Kind::Task {
            handler: Some(h), ..
        } => {
            let mut result_path = None;
            for o in &st.options {
                if o.key.name() == "result_path" {
                    result_path = Some(&o.value);
                }
            }
            let rest: Vec<&String> = opts
                .iter()
                .filter(|n| !matches!(n.as_str(), "input_path" | "parameters" | "result_path"))
                .collect();
            let name = st.name.to_string();
            match (result_path, rest.as_slice()) {
                (None, []) => vec![Source::Handler(h)],
                (Some(OptValue::Path(Some(p), _)), []) if p.text == "$" => {
                    vec![Source::Handler(h)]
                }
                // `result_path null`: the state's input goes on, the result is dropped.
                (Some(OptValue::Path(None, _)), []) => incoming.to_vec(),
                (Some(_), []) => vec![Source::Merged(name)],
                (_, [only]) if only.as_str() == "result_selector" => vec![Source::Merged(name)],
                _ => Vec::new(),
            }
        }
        Kind::Choice { .. } | Kind::Pass(_) | Kind::Wait { .. } if opts.is_empty() => {
            incoming.to_vec()
        }
        _ => Vec::new(),
    }
}

/// What the nested scopes of a Parallel or Map state start with.
fn nested_entry<'a>(st: &'a StateDef, incoming: &[Source<'a>]) -> Option<Vec<Source<'a>>> {
    let opts = data_options(st);
    let only = |allowed: &[&str]| opts.iter().all(|n| allowed.contains(&n.as_str()));
    match &st.kind {
        Kind::Parallel(_) if only(&["branch", "result_path", "result_selector", "output_path"]) => {
            Some(incoming.to_vec())
        }
        Kind::Map { items, .. } => {
            let allowed = [
                "processor",
                "iterator",
                "items",
                "mode",
                "execution_type",
                "max_concurrency",
                "result_path",
                "result_selector",
                "output_path",
                "label",
            ];
            if !only(&allowed) {
                return None;
            }
            // `map $.a { … }` or `items $.a;` (a JSONata `items` is not a path: nothing known).
            let path = match st.options.iter().find(|o| o.key.name() == "items") {
                Some(o) => match &o.value {
                    OptValue::Path(Some(p), _) => Some(p.clone()),
                    _ => return None,
                },
                None => items.clone(),
            };
            let fields = match &path {
                None => Vec::new(),
                Some(p) => fields(&p.text, &p.tokens)?,
            };
            Some(
                incoming
                    .iter()
                    .filter(|s| !matches!(s, Source::Merged(_)))
                    .map(|s| Source::Item(Box::new(s.clone()), fields.clone()))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The checks of one state, for each value that reaches it.
fn state_checks(
    w: &Workflow,
    st: &StateDef,
    incoming: &[Source],
    top: bool,
    out: &mut Vec<TokenStream>,
) {
    match &st.kind {
        Kind::Task {
            handler: Some(to), ..
        } => {
            let field_path = field_input_path(st);
            let reshaped = data_options(st)
                .iter()
                .any(|n| n == "input_path" || n == "parameters");
            for src in incoming {
                if let Source::Merged(_) = src {
                    if !reshaped {
                        out.push(quote_spanned! {to.span()=>
                            ::stepfn::__private::TaskFn::takes_json(&#to);
                        });
                    }
                    continue;
                }
                let Some(v) = src.value() else { continue };
                // The value is bound to a name with the span where a mismatch is reported: the
                // path of `input_path $.a.b` (a field of the typed value: rustc checks it and its
                // type), else the handler.
                let (value, span) = match &field_path {
                    Some((fields, tokens)) => (quote!(&(#v)#(.#fields)*), tokens.span()),
                    None if !reshaped => (quote!(&#v), to.span()),
                    None => continue,
                };
                let bound = syn::Ident::new("__stepfn_value", span);
                out.push(quote_spanned! {to.span()=>
                    let #bound = #value;
                    ::stepfn::__private::TaskFn::takes(&#to, #bound);
                });
            }
        }
        Kind::Choice { rules, .. } if !data_options(st).iter().any(|n| n == "input_path") => {
            for src in incoming {
                let Some(v) = src.value() else { continue };
                for r in rules {
                    condition(&r.cond, &v, out);
                }
            }
        }
        _ => {}
    }
    if top {
        end_checks(w, st, incoming, out);
    }
}

/// Each comparison of a Choice condition reads a field of the typed value, of a fitting type.
fn condition(c: &Cond, v: &TokenStream, out: &mut Vec<TokenStream>) {
    match c {
        Cond::And(cs) | Cond::Or(cs) | Cond::List { items: cs, .. } => {
            for c in cs {
                condition(c, v, out);
            }
        }
        Cond::Not(c) => condition(c, v, out),
        Cond::Compare { var, op, rhs, .. } => {
            let check = match op.as_str() {
                o if o.starts_with("Numeric") => "compared_as_number",
                o if o.starts_with("String") => "compared_as_text",
                o if o.starts_with("Boolean") => "compared_as_boolean",
                _ => "read",
            };
            let mut paths = vec![var];
            if let Operand::Path(p) = rhs {
                paths.push(p);
            }
            for p in paths {
                let Some(fields) = fields(&p.text, &p.tokens) else {
                    continue;
                };
                let check = syn::Ident::new(check, p.tokens.span());
                out.push(quote_spanned! {p.tokens.span()=>
                    ::stepfn::__private::#check(&(#v)#(.#fields)*);
                });
            }
        }
        Cond::Jsonata(_) | Cond::Constant(_) => {}
    }
}

/// A last state of the workflow outputs its declared `-> Output`.
fn end_checks(w: &Workflow, st: &StateDef, incoming: &[Source], out: &mut Vec<TokenStream>) {
    // The output is read from JSON: `-> Value` takes whatever the last state outputs.
    let Some(out_ty) = w.output.as_ref().filter(|t| !is_json_value(t)) else {
        return;
    };
    let ends =
        matches!(st.transition, Some(Transition::End(_))) || matches!(st.kind, Kind::Succeed(_));
    if !ends {
        return;
    }
    let (outputs, span) = match &st.kind {
        Kind::Task {
            handler: Some(h), ..
        } => (outgoing(st, incoming), h.span()),
        Kind::Succeed(kw) | Kind::Pass(kw) => (outgoing_or_same(st, incoming), kw.span()),
        Kind::Wait { kw, .. } => (outgoing_or_same(st, incoming), kw.span()),
        _ => return,
    };
    for src in outputs {
        let Some(v) = src.value() else { continue };
        let bound = syn::Ident::new("__stepfn_output", span);
        out.push(quote_spanned! {span=>
            let #bound = &#v;
            ::stepfn::__private::is_output::<#out_ty, _>(#bound);
        });
    }
}

/// A Succeed passes its input on (unless paths reshape it); a Pass or Wait as [`outgoing`].
fn outgoing_or_same<'a>(st: &'a StateDef, incoming: &[Source<'a>]) -> Vec<Source<'a>> {
    match &st.kind {
        Kind::Succeed(_) if data_options(st).is_empty() => incoming.to_vec(),
        _ => outgoing(st, incoming),
    }
}

/// A task's `input_path $.a.b` whose only JSON processing is that path, as Rust field names
/// (with the path's span), when every segment is a Rust identifier.
fn field_input_path(st: &StateDef) -> Option<(Vec<syn::Ident>, TokenStream)> {
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
    Some((fields(&text, &tokens)?, tokens))
}

/// `$.a.b` as Rust field names (`$`: none), each with its own token's span when written as
/// tokens, the string's when written as a string; `None` when a segment is not an identifier.
fn fields(text: &str, tokens: &TokenStream) -> Option<Vec<syn::Ident>> {
    if text == "$" {
        return Some(Vec::new());
    }
    let rest = text.strip_prefix("$.")?;
    let spans: Vec<Span> = tokens
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) => Some(i.span()),
            _ => None,
        })
        .collect();
    rest.split('.')
        .enumerate()
        .map(|(n, f)| {
            syn::parse_str::<syn::Ident>(f).ok().map(|mut i| {
                i.set_span(spans.get(n).copied().unwrap_or_else(|| tokens.span()));
                i
            })
        })
        .collect()
}

/// `Value` or `serde_json::Value` (any path ending in `serde_json::Value`).
fn is_json_value(t: &syn::Type) -> bool {
    let syn::Type::Path(p) = t else { return false };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(segs.as_slice(), [.., v] if v == "Value")
        && (segs.len() == 1 || segs[segs.len() - 2] == "serde_json")
}
