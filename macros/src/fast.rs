//! Code generation of the specialized path of the top-level scope (see `stepfn::compiled::fast`
//! for what it is and when it runs).
//!
//! The Pass, Choice, Succeed and Fail states are evaluated symbolically: each state's data is a
//! [`Sym`], whose parts are constants, integers in Rust locals, JSON values in Rust locals, or
//! objects whose members are known. A *node* is a state entered with data of one shape (the
//! same structure, constants and kinds of locals); the entry nodes are the start state and the
//! states the general form resumes at ([`resume_points`]), each with the input as one JSON local.
//! Each node becomes one arm of a `loop { match }` over node numbers, so a loop of states becomes
//! a loop of arms. Locals of a node live in numbered registers (`fi0`… integers, `fv0`… JSON
//! values with their size bounds `fb0`…) declared before the loop. A Parallel branch or Map
//! processor made of such states becomes a function of its own ([`Mode::Sub`]).
//!
//! Anything the symbolic evaluation does not cover makes its node a deoptimization: the arm
//! hands the state's input, as JSON, to the general form of the scope (the runtime builds it
//! from the node's shape, [`shape_text`]). Checks that can only be made at run time (a value's
//! type, a missing field, the payload limit) leave the arm's labeled block to that same
//! deoptimization when they fail.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;
use std::collections::HashMap;
use stepfn_asl::intrinsic::{split_format_template, FormatPart};
use stepfn_asl::path::PathSegment;
use stepfn_asl::{
    Condition, Expr, IntrinsicArg, IntrinsicCall, IntrinsicFunction, Operand, Path, PathRoot,
    ResultPath, State, StateKind, Template, Transition,
};

/// At most this many nodes are generated; a state reached with a shape past them deoptimizes.
const MAX_NODES: usize = 512;

/// The size bound of an integer made by an intrinsic (an `i64`'s longest text).
const INT_BOUND: usize = 20;

/// A local of the generated code (mixed-site hygiene: user tokens can never name it).
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// A state's data, symbolically.
#[derive(Clone)]
enum Sym {
    /// A constant.
    Const(Value),
    /// An integer held in an `i64` local.
    Int(Ident),
    /// A JSON value held in a local, with the local holding its size bound.
    Val(Ident, Ident),
    /// The borrowed input of a branch or processor (`&Value`), with its size bound.
    Ref(Ident, Ident),
    /// An object whose members are known, in order.
    Obj(Vec<(String, Sym)>),
    /// A JSON object held in a local (checked to be an object), with members set over it: each
    /// replaces the object's member of that name or is appended, as `ResultPath` does.
    Overlay(Ident, Ident, Vec<(String, Sym)>),
}

/// What a path reads from a [`Sym`].
enum Got {
    /// A part known symbolically.
    Sym(Sym),
    /// A part read at run time: an expression of type `Option<&Value>`, and the bound of the
    /// value it reads from (a bound of the part too).
    Dyn(TokenStream, Ident),
    /// Nothing: the path selects nothing (an error where a value is required).
    Missing,
}

/// The symbolic evaluation gave up on this state (the general form runs it).
struct Static;

/// The shape of a [`Sym`] with its locals in canonical registers.
struct Canon {
    sig: String,
    ints: Vec<Ident>,
    vals: Vec<(Ident, Ident)>,
}

fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

fn key_len(k: &str) -> usize {
    json_len(&Value::String(k.to_string()))
}

/// The code of a constant JSON value: scalars are made in place; arrays and objects are built
/// once, in a static, and cloned (a clone of an object copies its hash table: no key is hashed).
fn const_expr(v: &Value) -> TokenStream {
    match v {
        Value::Array(_) | Value::Object(_) => {
            let build = build_const(v);
            quote!({
                static C: ::std::sync::LazyLock<::stepfn::__private::serde_json::Value> =
                    ::std::sync::LazyLock::new(|| #build);
                ::core::clone::Clone::clone(&*C)
            })
        }
        _ => build_const(v),
    }
}

/// The code that builds a constant JSON value.
fn build_const(v: &Value) -> TokenStream {
    let value = quote!(::stepfn::__private::serde_json::Value);
    match v {
        Value::Null => quote!(#value::Null),
        Value::Bool(b) => quote!(#value::Bool(#b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                quote!(#value::from(#i))
            } else if let Some(u) = n.as_u64() {
                quote!(#value::from(#u))
            } else {
                let f = n.as_f64().unwrap_or_default();
                quote!(#value::from(#f))
            }
        }
        Value::String(s) => quote!(#value::String(::std::string::String::from(#s))),
        Value::Array(items) => {
            let items = items.iter().map(build_const);
            quote!(#value::Array(::std::vec![#(#items),*]))
        }
        Value::Object(m) => {
            let n = m.len();
            let inserts = m.iter().map(|(k, v)| {
                let v = build_const(v);
                quote!(m.insert(::std::string::String::from(#k), #v);)
            });
            quote!({
                let mut m = ::stepfn::compiled::fast::object(#n);
                #(#inserts)*
                #value::Object(m)
            })
        }
    }
}

/// Which kind of scope a specialized path is made for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The workflow's top level: owns its input; deoptimizes to the general form.
    Top,
    /// A Parallel branch or Map processor run by a specialized Parallel or Map: borrows its
    /// input; gives up ([`Sub::Bail`](stepfn::compiled::fast::Sub)) where the top level would
    /// deoptimize, and the Parallel or Map state deoptimizes as a whole.
    Sub,
}

/// The nodes of the specialized path and the code of their arms.
struct Gen<'a> {
    mode: Mode,
    /// The function's name; branch and processor functions are named after it.
    name: Ident,
    states: &'a indexmap::IndexMap<String, State>,
    index: HashMap<&'a str, usize>,
    /// (state, shape signature) → node.
    nodes: HashMap<(usize, String), usize>,
    /// Each node's state and input.
    pending: Vec<(usize, Sym)>,
    arms: Vec<TokenStream>,
    max_ints: usize,
    max_vals: usize,
    temps: usize,
    /// The functions of specialized branches and processors.
    subs: Vec<TokenStream>,
    /// (state, branch) → its specialized function, or `None` when it has none.
    sub_fns: HashMap<(usize, usize), Option<Ident>>,
}

/// The specialized path of a scope.
#[cfg_attr(not(test), allow(dead_code))] // The statistics are read by the tests.
pub struct Plan {
    /// The function, and those of the branches and processors it runs.
    pub code: TokenStream,
    /// How many nodes (state entered with a shape of data) it has.
    pub nodes: usize,
    /// The states of the nodes that deoptimize as soon as they are entered, in node order.
    pub deopts: Vec<String>,
    /// True when it covers the start state (the scope begins with it).
    pub starts: bool,
    /// The states it can be entered at (`at`): the start when it covers it, and the resume
    /// points it covers.
    pub entries: Vec<usize>,
}

/// The states at which the general form resumes the specialized path: those it may cover,
/// entered from a state it never covers (Task, Wait) or may hand over (Parallel, Map).
pub fn resume_points(states: &indexmap::IndexMap<String, State>) -> Vec<usize> {
    let coverable = |st: &State| {
        matches!(
            st.kind,
            StateKind::Pass(_)
                | StateKind::Choice(_)
                | StateKind::Succeed
                | StateKind::Fail(_)
                | StateKind::Parallel(_)
                | StateKind::Map(_)
        )
    };
    let mut points: Vec<usize> = states
        .values()
        .filter(|st| {
            matches!(
                st.kind,
                StateKind::Task(_)
                    | StateKind::Wait(_)
                    | StateKind::Parallel(_)
                    | StateKind::Map(_)
            )
        })
        .flat_map(|st| st.successors())
        .filter_map(|(to, _)| states.get_full(to))
        .filter(|(_, _, st)| coverable(st))
        .map(|(i, _, _)| i)
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Generates the specialized path of the top-level scope as a function named `name`, entered at
/// `start` or at one of `resume` (state indexes), or `None` when it covers none of them (it
/// would only deoptimize).
pub fn generate(
    name: &Ident,
    start: &str,
    states: &indexmap::IndexMap<String, State>,
    resume: &[usize],
) -> Option<Plan> {
    generate_scope(Mode::Top, name, start, states, resume)
}

fn generate_scope(
    mode: Mode,
    name: &Ident,
    start: &str,
    states: &indexmap::IndexMap<String, State>,
    resume: &[usize],
) -> Option<Plan> {
    let index: HashMap<&str, usize> = states
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let start_i = *index.get(start)?;
    let mut g = Gen {
        mode,
        name: name.clone(),
        states,
        index,
        nodes: HashMap::new(),
        pending: Vec::new(),
        arms: Vec::new(),
        max_ints: 0,
        max_vals: 0,
        temps: 0,
        subs: Vec::new(),
        sub_fns: HashMap::new(),
    };
    let input = match mode {
        Mode::Top => Sym::Val(local("fv0"), local("fb0")),
        Mode::Sub => Sym::Ref(local("input"), local("input_bound")),
    };
    // Entry nodes: the start, then each resume point, all with the input as one JSON local.
    let mut entries: Vec<(usize, usize)> = Vec::new();
    for state in std::iter::once(start_i).chain(resume.iter().copied()) {
        if let Some((node, _)) = g.node(state, &input) {
            if !entries.iter().any(|&(s, _)| s == state) {
                entries.push((state, node));
            }
        }
    }
    let mut n = 0;
    let mut covered = Vec::new();
    let mut deopts = Vec::new();
    while n < g.pending.len() {
        let (state, sym) = g.pending[n].clone();
        let arm = match g.step(state, &sym) {
            Ok(code) => {
                covered.push(n);
                let deopt = g.deopt_node(state, &sym);
                quote! {
                    'fail: {
                        #code
                    }
                    #deopt;
                }
            }
            Err(Static) => {
                let deopt = g.deopt_node(state, &sym);
                deopts.push(
                    states
                        .get_index(state)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default(),
                );
                quote!(#deopt)
            }
        };
        let n_lit = n as u32;
        g.arms.push(quote!(#n_lit => { #arm }));
        n += 1;
    }
    entries.retain(|(_, node)| covered.contains(node));
    if entries.is_empty() {
        return None;
    }
    let starts = entries.iter().any(|&(state, _)| state == start_i);
    let first_val = usize::from(mode == Mode::Top);
    let ints = (0..g.max_ints).map(|k| {
        let r = local(&format!("fi{k}"));
        quote!(let mut #r: i64 = 0;)
    });
    let vals = (first_val..g.max_vals).map(|k| {
        let (v, b) = (local(&format!("fv{k}")), local(&format!("fb{k}")));
        quote! {
            let mut #v = ::stepfn::__private::serde_json::Value::Null;
            let mut #b: usize = 0;
        }
    });
    let arms = &g.arms;
    let (cx, prev, data, limit, node) = (
        local("cx"),
        local("prev"),
        local("data"),
        local("limit"),
        local("node"),
    );
    let (fv0, fb0) = (local("fv0"), local("fb0"));
    let (input, input_bound) = (local("input"), local("input_bound"));
    let body = quote! {
        let #limit: ::core::option::Option<usize> = ::stepfn::compiled::fast::limit(#cx);
        #(#ints)*
        #(#vals)*
        'nodes: loop {
            match #node {
                #(#arms)*
                _ => ::core::unreachable!("no such node"),
            }
        }
    };
    let subs = &g.subs;
    let at = local("at");
    let entry_arms = entries.iter().map(|&(state, node)| {
        let node = node as u32;
        quote!(#state => #node,)
    });
    let code = match mode {
        Mode::Top => quote! {
            #(#subs)*
            #[doc(hidden)]
            #[allow(non_snake_case, unused_mut, unused_variables, unused_labels, unreachable_code, clippy::all)]
            fn #name(
                #cx: &::stepfn::compiled::Execution,
                #data: ::stepfn::compiled::Data,
                #prev: &mut u64,
                #at: usize,
            ) -> ::stepfn::compiled::fast::Exit {
                let mut #node: u32 = match #at {
                    #(#entry_arms)*
                    _ => return ::stepfn::compiled::fast::Exit::Deopt(#at, #data),
                };
                let (mut #fv0, mut #fb0) = match ::stepfn::compiled::fast::entry(#cx, #at, #data) {
                    ::core::result::Result::Ok(x) => x,
                    ::core::result::Result::Err(exit) => return exit,
                };
                #body
            }
        },
        Mode::Sub => quote! {
            #(#subs)*
            #[doc(hidden)]
            #[allow(non_snake_case, unused_mut, unused_variables, unused_labels, unreachable_code, clippy::all)]
            fn #name(
                #cx: &::stepfn::compiled::Execution,
                #input: &::stepfn::__private::serde_json::Value,
                #input_bound: usize,
                #prev: &mut u64,
            ) -> ::stepfn::compiled::fast::Sub {
                let mut #node: u32 = 0;
                #body
            }
        },
    };
    Some(Plan {
        code,
        nodes: g.pending.len(),
        deopts,
        starts,
        entries: entries.iter().map(|&(state, _)| state).collect(),
    })
}

/// The JSON of `sym`, moving its locals.
fn materialize(sym: &Sym) -> TokenStream {
    materialize_as(sym, true)
}

/// [`materialize`]: `hot`, objects are cloned from prebuilt ones (fast, more code); otherwise
/// built member by member (for the cold path of a deoptimization: less code).
fn materialize_as(sym: &Sym, hot: bool) -> TokenStream {
    match sym {
        Sym::Const(v) if hot => const_expr(v),
        Sym::Const(v) => build_const(v),
        Sym::Obj(fields) if !hot => {
            let n = fields.len();
            let inserts = fields.iter().map(|(k, s)| {
                let v = materialize_as(s, false);
                quote!(m.insert(::std::string::String::from(#k), #v);)
            });
            quote!({
                let mut m = ::stepfn::compiled::fast::object(#n);
                #(#inserts)*
                ::stepfn::__private::serde_json::Value::Object(m)
            })
        }
        Sym::Int(x) => quote!(::stepfn::__private::serde_json::Value::from(#x)),
        Sym::Val(v, _) => quote!(#v),
        Sym::Ref(r, _) => quote!(::core::clone::Clone::clone(#r)),
        Sym::Obj(fields) => {
            // A prebuilt object with every key in place and the constant members filled in is
            // cloned (no key hashed), then the other members are set in order.
            let skeleton: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, s)| match s {
                    Sym::Const(v) => (k.clone(), v.clone()),
                    _ => (k.clone(), Value::Null),
                })
                .collect();
            let build = build_const(&Value::Object(skeleton));
            let mut last = None;
            let sets = fields.iter().enumerate().filter_map(|(at, (_, s))| {
                if matches!(s, Sym::Const(_)) {
                    return None;
                }
                let skip = at - last.map_or(0, |l: usize| l + 1);
                last = Some(at);
                let v = materialize(s);
                Some(quote! {
                    if let ::core::option::Option::Some(slot) = it.nth(#skip) {
                        *slot = #v;
                    }
                })
            });
            let sets: Vec<TokenStream> = sets.collect();
            quote!({
                static SKELETON: ::std::sync::LazyLock<::stepfn::__private::serde_json::Value> =
                    ::std::sync::LazyLock::new(|| #build);
                let mut m = ::core::clone::Clone::clone(&*SKELETON);
                if let ::stepfn::__private::serde_json::Value::Object(o) = &mut m {
                    let mut it = o.values_mut();
                    #(#sets)*
                }
                m
            })
        }
        Sym::Overlay(base, _, fields) => {
            let sets = fields.iter().map(|(k, s)| {
                let v = materialize_as(s, hot);
                quote!(::stepfn::compiled::fast::set_field(&mut t, #k, #v);)
            });
            quote!({
                let mut t = #base;
                #(#sets)*
                t
            })
        }
    }
}

/// An upper bound of the length of `sym`'s JSON text (an expression of type `usize`).
fn bound(sym: &Sym) -> TokenStream {
    let mut fixed = 0usize;
    let mut dynamic = Vec::new();
    bound_parts(sym, &mut fixed, &mut dynamic);
    quote!(#fixed #(+ #dynamic)*)
}

fn bound_parts(sym: &Sym, fixed: &mut usize, dynamic: &mut Vec<Ident>) {
    match sym {
        Sym::Const(v) => *fixed += json_len(v),
        Sym::Int(_) => *fixed += INT_BOUND,
        Sym::Val(_, b) | Sym::Ref(_, b) => dynamic.push(b.clone()),
        Sym::Obj(fields) => {
            // Braces, commas, each quoted key and its colon.
            *fixed += 2 + fields.len().saturating_sub(1);
            for (k, s) in fields {
                *fixed += key_len(k) + 1;
                bound_parts(s, fixed, dynamic);
            }
        }
        Sym::Overlay(_, b, fields) => {
            // The object's own bound, and for each member set over it a comma, its key and colon
            // (a replaced member's old value stays counted: still an upper bound).
            dynamic.push(b.clone());
            for (k, s) in fields {
                *fixed += 1 + key_len(k) + 1;
                bound_parts(s, fixed, dynamic);
            }
        }
    }
}

/// The text of a canonical `sym`'s shape as `stepfn::compiled::fast::Shape::parse` reads it
/// (locals numbered in the order [`canon`] gives them); `None` for a borrowed input.
fn shape_text(sym: &Sym) -> Option<String> {
    fn walk(sym: &Sym, ints: &mut usize, vals: &mut usize) -> Option<Value> {
        let members = |fields: &[(String, Sym)], ints: &mut usize, vals: &mut usize| {
            fields
                .iter()
                .map(|(k, s)| Some(serde_json::json!([k, walk(s, ints, vals)?])))
                .collect::<Option<Vec<_>>>()
        };
        Some(match sym {
            Sym::Const(v) => serde_json::json!(["c", v]),
            Sym::Int(_) => {
                *ints += 1;
                serde_json::json!(["i", *ints - 1])
            }
            Sym::Val(..) => {
                *vals += 1;
                serde_json::json!(["v", *vals - 1])
            }
            Sym::Ref(..) => return None,
            Sym::Obj(fields) => serde_json::json!(["o", members(fields, ints, vals)?]),
            Sym::Overlay(_, _, fields) => {
                *vals += 1;
                let k = *vals - 1;
                serde_json::json!(["l", k, members(fields, ints, vals)?])
            }
        })
    }
    walk(sym, &mut 0, &mut 0).map(|v| v.to_string())
}

/// `sym`'s shape, and its locals in the order of the canonical registers.
fn canon(sym: &Sym) -> (Canon, Sym) {
    fn walk(sym: &Sym, c: &mut Canon) -> Sym {
        match sym {
            Sym::Const(v) => {
                c.sig.push('C');
                c.sig
                    .push_str(&serde_json::to_string(v).unwrap_or_default());
                Sym::Const(v.clone())
            }
            Sym::Int(x) => {
                c.sig.push('I');
                let r = local(&format!("fi{}", c.ints.len()));
                c.ints.push(x.clone());
                Sym::Int(r)
            }
            Sym::Val(v, b) => {
                c.sig.push('V');
                let k = c.vals.len();
                c.vals.push((v.clone(), b.clone()));
                Sym::Val(local(&format!("fv{k}")), local(&format!("fb{k}")))
            }
            Sym::Ref(..) => {
                c.sig.push('R');
                sym.clone()
            }
            Sym::Obj(fields) => {
                c.sig.push_str("O{");
                let fields = walk_fields(fields, c);
                c.sig.push('}');
                Sym::Obj(fields)
            }
            Sym::Overlay(v, b, fields) => {
                c.sig.push_str("L{");
                let k = c.vals.len();
                c.vals.push((v.clone(), b.clone()));
                let fields = walk_fields(fields, c);
                c.sig.push('}');
                Sym::Overlay(local(&format!("fv{k}")), local(&format!("fb{k}")), fields)
            }
        }
    }
    fn walk_fields(fields: &[(String, Sym)], c: &mut Canon) -> Vec<(String, Sym)> {
        fields
            .iter()
            .map(|(k, s)| {
                c.sig
                    .push_str(&serde_json::to_string(k).unwrap_or_default());
                c.sig.push(':');
                let s = walk(s, c);
                c.sig.push(',');
                (k.clone(), s)
            })
            .collect()
    }
    let mut c = Canon {
        sig: String::new(),
        ints: Vec::new(),
        vals: Vec::new(),
    };
    let s = walk(sym, &mut c);
    (c, s)
}

impl Gen<'_> {
    /// Leaves the specialized path at `state` with input `sym` (an expression that returns):
    /// the top level deoptimizes, a branch or processor gives up.
    fn deopt(&self, state: usize, sym: &Sym) -> TokenStream {
        match self.mode {
            Mode::Top => {
                let cx = local("cx");
                let v = materialize_as(sym, false);
                let b = bound(sym);
                quote!(return ::stepfn::compiled::fast::deopt(#cx, #state, #v, #b))
            }
            Mode::Sub => quote!(return ::stepfn::compiled::fast::Sub::Bail),
        }
    }

    /// [`Self::deopt`] of a node's input (`sym` canonical: its locals are the registers in
    /// order): its JSON is built by the runtime from the shape's text, which takes far less
    /// code than building it here.
    fn deopt_node(&self, state: usize, sym: &Sym) -> TokenStream {
        let Some(text) = (self.mode == Mode::Top).then(|| shape_text(sym)).flatten() else {
            return self.deopt(state, sym);
        };
        let cx = local("cx");
        let (c, _) = canon(sym);
        let ints = (0..c.ints.len()).map(|k| local(&format!("fi{k}")));
        let vals = (0..c.vals.len()).map(|k| local(&format!("fv{k}")));
        let b = bound(sym);
        quote!(return ::stepfn::compiled::fast::deopt_shape(
            #cx,
            #state,
            {
                static SHAPE: ::std::sync::LazyLock<::core::option::Option<::stepfn::compiled::fast::Shape>> =
                    ::std::sync::LazyLock::new(|| ::stepfn::compiled::fast::Shape::parse(#text));
                ::core::option::Option::as_ref(&*SHAPE)
            },
            &[#(#ints),*],
            [#(#vals),*],
            #b,
        ))
    }

    /// Ends the scope with output `sym` of bound `b` (a statement that returns).
    fn done(&self, sym: &Sym, b: &TokenStream) -> TokenStream {
        let v = materialize(sym);
        match self.mode {
            Mode::Top => {
                let cx = local("cx");
                quote!(return ::stepfn::compiled::fast::done(#cx, #v, #b);)
            }
            Mode::Sub => quote!(return ::stepfn::compiled::fast::Sub::Done(#v, #b);),
        }
    }

    fn temp(&mut self, kind: &str) -> Ident {
        self.temps += 1;
        local(&format!("t{kind}{}", self.temps))
    }

    /// The node of `state` entered with `sym` (made if new), or `None` past [`MAX_NODES`].
    fn node(&mut self, state: usize, sym: &Sym) -> Option<(usize, Canon)> {
        let (c, canonical) = canon(sym);
        let key = (state, c.sig.clone());
        if let Some(&n) = self.nodes.get(&key) {
            return Some((n, c));
        }
        if self.pending.len() >= MAX_NODES {
            return None;
        }
        let n = self.pending.len();
        self.max_ints = self.max_ints.max(c.ints.len());
        self.max_vals = self.max_vals.max(c.vals.len());
        self.nodes.insert(key, n);
        self.pending.push((state, canonical));
        Some((n, c))
    }

    /// The code that continues at `state` with `out` (the current state done): moves into the
    /// registers of its node and jumps, or deoptimizes there past [`MAX_NODES`].
    fn goto(&mut self, state: usize, out: &Sym) -> TokenStream {
        let Some((n, c)) = self.node(state, out) else {
            return self.deopt(state, out);
        };
        let mut binds = Vec::new();
        let mut sets = Vec::new();
        for (k, src) in c.ints.iter().enumerate() {
            let dst = local(&format!("fi{k}"));
            if *src == dst {
                continue;
            }
            let m = local(&format!("mi{k}"));
            binds.push(quote!(let #m: i64 = #src;));
            sets.push(quote!(#dst = #m;));
        }
        for (k, (v, b)) in c.vals.iter().enumerate() {
            let (dv, db) = (local(&format!("fv{k}")), local(&format!("fb{k}")));
            if *v == dv {
                continue;
            }
            let (mv, mb) = (local(&format!("mv{k}")), local(&format!("mb{k}")));
            binds.push(quote! {
                let #mv = ::core::mem::take(&mut #v);
                let #mb: usize = #b;
            });
            sets.push(quote!(#dv = #mv; #db = #mb;));
        }
        let n = n as u32;
        let node = local("node");
        quote! {
            #(#binds)*
            #(#sets)*
            #node = #n;
            continue 'nodes;
        }
    }

    /// The code of one node's arm.
    fn step(&mut self, i: usize, inp: &Sym) -> Result<TokenStream, Static> {
        let (_, st) = self.states.get_index(i).ok_or(Static)?;
        if st.input_path.is_some() || st.output_path.is_some() || st.assign.is_some() {
            return Err(Static);
        }
        let (cx, prev, limit) = (local("cx"), local("prev"), local("limit"));
        let count = quote! {
            ::stepfn::compiled::fast::count(#cx, #prev);
            ::stepfn::compiled::fast::count(#cx, #prev);
        };
        // Every check that fails leaves the arm's labeled block, after which the arm
        // deoptimizes (one copy of that code per arm).
        let fail = quote!(break 'fail);
        match &st.kind {
            StateKind::Pass(p) => {
                let mut pre = Vec::new();
                let result = match (&p.result, &p.parameters) {
                    (Some(r), _) => Sym::Const(r.clone()),
                    (None, Some(t)) => self.template(t, inp, &fail, &mut pre)?,
                    (None, None) => match &p.result_path {
                        None | Some(ResultPath::Discard) => inp.clone(),
                        Some(ResultPath::Path(_)) => self.dup(inp, &mut pre),
                    },
                };
                let tail = self.tail(
                    inp,
                    result,
                    p.result_path.as_ref(),
                    &p.transition,
                    &fail,
                    &mut pre,
                    &count,
                )?;
                Ok(quote! {
                    #(#pre)*
                    #tail
                })
            }
            StateKind::Fail(f) if self.mode == Mode::Top => {
                let text = |lit: &Option<Expr<String>>, path: &Option<Template>| match (lit, path) {
                    (Some(Expr::Literal(s)), _) => Ok(s.clone()),
                    (None, None) => Ok(String::new()),
                    _ => Err(Static),
                };
                let error = text(&f.error, &f.error_path)?;
                let cause = text(&f.cause, &f.cause_path)?;
                Ok(quote! {
                    ::stepfn::compiled::fast::count(#cx, #prev);
                    return ::stepfn::compiled::fast::failed(#error, #cause);
                })
            }
            StateKind::Parallel(par) => {
                if par.parameters.is_some()
                    || par.result_selector.is_some()
                    || !par.retry.is_empty()
                    || !par.catch.is_empty()
                {
                    return Err(Static);
                }
                let mut branches = Vec::new();
                for (bi, b) in par.branches.iter().enumerate() {
                    branches.push(self.sub_scope(i, bi, &b.start_at, &b.states)?);
                }
                let mut pre = Vec::new();
                let (pin, pin_bound) = self.input_ref(inp, &mut pre);
                let g = Gather::new();
                let n = branches.len();
                let (started, undo) = (&g.started, g.undo(&fail));
                let runs = branches.iter().map(|f| {
                    let push = g.push(quote!(#f(#cx, #pin, #pin_bound, &mut bprev)), &undo);
                    quote!({
                        let mut bprev = #started;
                        #push
                    })
                });
                let body = quote!(#(#runs)*);
                // ParallelStateEntered, ParallelStateStarted, the branches, ParallelStateExited.
                self.gather(
                    inp,
                    pre,
                    &g,
                    (quote!(#n), body, quote!()),
                    (par.result_path.as_ref(), &par.transition),
                    &fail,
                )
            }
            StateKind::Map(m) => {
                // What the compiled form covers at all is checked before (`compile.rs`).
                if m.item_selector.is_some()
                    || m.parameters.is_some()
                    || m.result_selector.is_some()
                    || !m.retry.is_empty()
                    || !m.catch.is_empty()
                {
                    return Err(Static);
                }
                let processor = self.sub_scope(i, 0, &m.processor.start_at, &m.processor.states)?;
                let mut pre = Vec::new();
                let got = match &m.items_path {
                    Some(p) => self.read(inp, p)?,
                    None => Got::Sym(inp.clone()),
                };
                let items_expr = match got {
                    Got::Dyn(e, _) => e,
                    Got::Sym(Sym::Val(v, _)) => quote!(::core::option::Option::Some(&#v)),
                    Got::Sym(Sym::Ref(r, _)) => quote!(::core::option::Option::Some(#r)),
                    Got::Sym(Sym::Const(v @ Value::Array(_))) => {
                        let t = self.temp("c");
                        let v = const_expr(&v);
                        pre.push(quote!(let #t = #v;));
                        quote!(::core::option::Option::Some(&#t))
                    }
                    _ => return Err(Static),
                };
                let items = local("items");
                pre.push(quote! {
                    let #items: &::std::vec::Vec<::stepfn::__private::serde_json::Value> = match #items_expr {
                        ::core::option::Option::Some(::stepfn::__private::serde_json::Value::Array(a)) => a,
                        _ => #fail,
                    };
                });
                let g = Gather::new();
                let (started, undo) = (&g.started, g.undo(&fail));
                let push = g.push(quote!(#processor(#cx, item, item_bound, &mut iprev)), &undo);
                let body = quote! {
                    for item in #items {
                        let item_bound = match #limit {
                            ::core::option::Option::Some(l) => ::stepfn::compiled::fast::value_bound(item, l),
                            ::core::option::Option::None => 0,
                        };
                        // MapIterationStarted, the processor's events, MapIterationSucceeded.
                        let mut iprev = #started;
                        ::stepfn::compiled::fast::count(#cx, &mut iprev);
                        #push
                        ::stepfn::compiled::fast::count(#cx, &mut iprev);
                    }
                };
                // MapStateEntered, MapStateStarted, the iterations, MapStateSucceeded,
                // MapStateExited.
                let succeeded = quote!(::stepfn::compiled::fast::count(#cx, #prev););
                self.gather(
                    inp,
                    pre,
                    &g,
                    (quote!(#items.len()), body, succeeded),
                    (m.result_path.as_ref(), &m.transition),
                    &fail,
                )
            }
            StateKind::Succeed => {
                let done = self.done(inp, &bound(inp));
                Ok(quote! {
                    #count
                    #done
                })
            }
            StateKind::Choice(c) => {
                let mut pre = Vec::new();
                let mut branches = Vec::new();
                for rule in &c.choices {
                    let test = self.condition(&rule.condition, inp, &fail, &mut pre)?;
                    let j = *self
                        .index
                        .get(rule.next.as_deref().unwrap_or_default())
                        .ok_or(Static)?;
                    let to = self.goto(j, inp);
                    branches.push((test, to));
                }
                let default = match &c.default {
                    Some(d) => {
                        let j = *self.index.get(d.as_str()).ok_or(Static)?;
                        self.goto(j, inp)
                    }
                    None => quote!(#fail;),
                };
                // The matching rule is found before anything is counted: a rule that would
                // raise an error deoptimizes with nothing of this state done.
                let which = local("which");
                let tests = branches.iter().enumerate().map(|(k, (t, _))| {
                    let k = k as u32;
                    quote!(if #t { #k } else)
                });
                let n = branches.len() as u32;
                let arms = branches.iter().enumerate().map(|(k, (_, to))| {
                    let k = k as u32;
                    quote!(#k => { #to })
                });
                Ok(quote! {
                    #(#pre)*
                    let #which: u32 = #(#tests)* { #n };
                    #count
                    match #which {
                        #(#arms)*
                        _ => { #default }
                    }
                })
            }
            _ => Err(Static),
        }
    }

    /// The specialized function of branch `k` of the Parallel (or the processor of the Map) at
    /// state `i`: made once per state, whatever the shapes it is entered with.
    fn sub_scope(
        &mut self,
        i: usize,
        k: usize,
        start: &str,
        states: &indexmap::IndexMap<String, State>,
    ) -> Result<Ident, Static> {
        let name = Ident::new(&format!("{}_s{i}_{k}", self.name), self.name.span());
        if let Some(known) = self.sub_fns.get(&(i, k)) {
            return known.clone().ok_or(Static);
        }
        let made = generate_scope(Mode::Sub, &name, start, states, &[]).map(|plan| {
            self.subs.push(plan.code);
            name
        });
        self.sub_fns.insert((i, k), made.clone());
        made.ok_or(Static)
    }

    /// `sym` as a `&Value` for a branch or processor to borrow, and its bound.
    fn input_ref(&mut self, sym: &Sym, pre: &mut Vec<TokenStream>) -> (TokenStream, TokenStream) {
        match sym {
            Sym::Val(v, b) => (quote!(&#v), quote!(#b)),
            Sym::Ref(r, b) => (quote!(#r), quote!(#b)),
            other => {
                let b = bound(other);
                let copy = self.dup(other, pre);
                let v = materialize(&copy);
                let (t, tb) = (self.temp("c"), self.temp("b"));
                pre.push(quote! {
                    let #tb: usize = #b;
                    let #t = #v;
                });
                (quote!(&#t), quote!(#tb))
            }
        }
    }

    /// A Parallel or Map state: the events before its work (`…StateEntered`, `…StateStarted`),
    /// `body` (which pushes each output with [`Gather::push`]; `capacity` outputs), `after` (the
    /// events after it), then the array of outputs placed by `ResultPath`, with its
    /// `…StateExited`. Whatever fails after the work has started takes back its events.
    #[allow(clippy::type_complexity)]
    fn gather(
        &mut self,
        inp: &Sym,
        mut pre: Vec<TokenStream>,
        g: &Gather,
        (capacity, body, after): (TokenStream, TokenStream, TokenStream),
        (result_path, transition): (Option<&ResultPath>, &Transition),
        fail: &TokenStream,
    ) -> Result<TokenStream, Static> {
        let (cx, prev) = (local("cx"), local("prev"));
        let Gather {
            saved,
            started,
            outs,
            outs_bound,
        } = g;
        pre.push(quote! {
            let #saved = ::stepfn::compiled::fast::mark(#cx, *#prev);
            ::stepfn::compiled::fast::count(#cx, #prev);
            ::stepfn::compiled::fast::count(#cx, #prev);
            let #started = *#prev;
            let mut #outs = ::std::vec::Vec::with_capacity(#capacity);
            let mut #outs_bound: usize = 2 + (#capacity).saturating_sub(1);
            #body
            ::stepfn::compiled::fast::caught_up(#cx, #prev);
            #after
        });
        let result = self.array_result(outs.clone(), outs_bound.clone(), &mut pre);
        let exited = quote!(::stepfn::compiled::fast::count(#cx, #prev););
        let undo = g.undo(fail);
        let tail = self.tail(
            inp,
            result,
            result_path,
            transition,
            &undo,
            &mut pre,
            &exited,
        )?;
        Ok(quote! {
            #(#pre)*
            #tail
        })
    }

    /// The array of a Parallel's or Map's outputs, held in local `outs` with bound `bound`.
    fn array_result(&mut self, outs: Ident, bound: Ident, pre: &mut Vec<TokenStream>) -> Sym {
        let (t, tb) = (self.temp("v"), self.temp("b"));
        pre.push(quote! {
            let mut #t = ::stepfn::__private::serde_json::Value::Array(#outs);
            let #tb: usize = #bound;
        });
        Sym::Val(t, tb)
    }

    /// The end of a state that produced `result`: `ResultPath`, the output's size check, the
    /// state's remaining events (`count`), and the jump to the next state (or the scope's end).
    #[allow(clippy::too_many_arguments)]
    fn tail(
        &mut self,
        inp: &Sym,
        result: Sym,
        result_path: Option<&ResultPath>,
        transition: &Transition,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
        count: &TokenStream,
    ) -> Result<TokenStream, Static> {
        let out = match result_path {
            None => result,
            Some(ResultPath::Discard) => inp.clone(),
            Some(ResultPath::Path(path)) => {
                if *path.root() != PathRoot::Input {
                    return Err(Static);
                }
                self.place(inp.clone(), path.segments(), 0, result, fail, pre)?
            }
        };
        let b = bound(&out);
        let (out_bound, limit) = (local("out_bound"), local("limit"));
        let then = match transition {
            Transition::Next(next) => {
                let j = *self.index.get(next.as_str()).ok_or(Static)?;
                self.goto(j, &out)
            }
            Transition::End => self.done(&out, &quote!(#out_bound)),
        };
        Ok(quote! {
            let #out_bound: usize = #b;
            if let ::core::option::Option::Some(l) = #limit {
                if #out_bound > l { #fail; }
            }
            #count
            #then
        })
    }

    /// A copy of `sym`: JSON locals cloned.
    fn dup(&mut self, sym: &Sym, pre: &mut Vec<TokenStream>) -> Sym {
        match sym {
            Sym::Const(_) | Sym::Int(_) => sym.clone(),
            Sym::Val(v, b) => {
                let t = self.temp("v");
                pre.push(quote!(let mut #t = ::core::clone::Clone::clone(&#v);));
                Sym::Val(t, b.clone())
            }
            Sym::Ref(r, b) => {
                let t = self.temp("v");
                pre.push(quote!(let mut #t = ::core::clone::Clone::clone(#r);));
                Sym::Val(t, b.clone())
            }
            Sym::Obj(fields) => Sym::Obj(
                fields
                    .iter()
                    .map(|(k, s)| (k.clone(), self.dup(s, pre)))
                    .collect(),
            ),
            Sym::Overlay(v, b, fields) => {
                let t = self.temp("v");
                pre.push(quote!(let mut #t = ::core::clone::Clone::clone(&#v);));
                Sym::Overlay(
                    t,
                    b.clone(),
                    fields
                        .iter()
                        .map(|(k, s)| (k.clone(), self.dup(s, pre)))
                        .collect(),
                )
            }
        }
    }

    /// What a definite `$` path reads from `sym`.
    fn read(&self, sym: &Sym, path: &Path) -> Result<Got, Static> {
        if *path.root() != PathRoot::Input || !path.is_definite() {
            return Err(Static);
        }
        for seg in path.segments() {
            match seg {
                PathSegment::Field(_) => {}
                PathSegment::Index(i) if *i >= 0 => {}
                _ => return Err(Static),
            }
        }
        Ok(read_segments(sym, path.segments()))
    }

    /// A path's value as data of its own (copied).
    fn own(
        &mut self,
        got: Got,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        match got {
            Got::Sym(s) => Ok(self.dup(&s, pre)),
            Got::Dyn(e, b) => {
                let t = self.temp("v");
                pre.push(quote! {
                    let mut #t = match #e {
                        ::core::option::Option::Some(v) => ::core::clone::Clone::clone(v),
                        ::core::option::Option::None => #fail,
                    };
                });
                Ok(Sym::Val(t, b))
            }
            Got::Missing => Err(Static),
        }
    }

    /// A Parameters template evaluated against `inp`.
    fn template(
        &mut self,
        t: &Template,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        match t {
            Template::Literal(v) => Ok(Sym::Const(v.clone())),
            Template::Object(o) => {
                let mut fields = Vec::with_capacity(o.fields().len());
                for f in o.fields() {
                    fields.push((f.key.clone(), self.template(&f.value, inp, fail, pre)?));
                }
                Ok(Sym::Obj(fields))
            }
            Template::Path(p) => {
                let got = self.read(inp, p)?;
                self.own(got, fail, pre)
            }
            Template::Intrinsic(call) => self.intrinsic(call, inp, fail, pre),
            Template::Array(_) | Template::Jsonata(_) => Err(Static),
        }
    }

    /// An intrinsic call: made here for `States.MathAdd` and `States.Format`, by the runtime's
    /// evaluation for the others.
    fn intrinsic(
        &mut self,
        call: &IntrinsicCall,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        let before = pre.len();
        match self.specialized_intrinsic(call, inp, fail, pre) {
            Ok(sym) => Ok(sym),
            Err(Static) => {
                pre.truncate(before);
                self.generic_intrinsic(call, inp, fail, pre)
            }
        }
    }

    /// Any intrinsic call, by the runtime's own evaluation, its path arguments read here: the
    /// result is a JSON local.
    fn generic_intrinsic(
        &mut self,
        call: &IntrinsicCall,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        fn paths<'c>(call: &'c IntrinsicCall, out: &mut Vec<&'c Path>) {
            for arg in &call.args {
                match arg {
                    IntrinsicArg::Path(p) => out.push(p),
                    IntrinsicArg::Call(inner) => paths(inner, out),
                    IntrinsicArg::Literal(_) => {}
                }
            }
        }
        let mut found = Vec::new();
        paths(call, &mut found);
        let value = quote!(::stepfn::__private::serde_json::Value);
        let mut args = Vec::new();
        for p in found {
            let read = match self.read(inp, p)? {
                Got::Dyn(e, _) => e,
                Got::Sym(Sym::Val(v, _)) => quote!(::core::option::Option::Some(&#v)),
                Got::Sym(Sym::Ref(r, _)) => quote!(::core::option::Option::Some(#r)),
                Got::Missing => quote!(::core::option::Option::None::<&#value>),
                Got::Sym(other) => {
                    let copy = self.dup(&other, pre);
                    let v = materialize(&copy);
                    let t = self.temp("c");
                    pre.push(quote!(let #t: #value = #v;));
                    quote!(::core::option::Option::Some(&#t))
                }
            };
            let text = p.as_str();
            args.push(quote!((#text, #read)));
        }
        let text = &call.text;
        let (t, tb, limit) = (self.temp("v"), self.temp("b"), local("limit"));
        pre.push(quote! {
            let mut #t: #value = match ::stepfn::compiled::fast::intrinsic(
                {
                    static CALL: ::std::sync::LazyLock<::core::option::Option<::stepfn::asl::IntrinsicCall>> =
                        ::std::sync::LazyLock::new(|| ::stepfn::asl::IntrinsicCall::parse(#text).ok());
                    ::core::option::Option::as_ref(&*CALL)
                },
                &[#(#args),*],
            ) {
                ::core::option::Option::Some(v) => v,
                ::core::option::Option::None => #fail,
            };
            let #tb: usize = match #limit {
                ::core::option::Option::Some(l) => ::stepfn::compiled::fast::value_bound(&#t, l),
                ::core::option::Option::None => 0,
            };
        });
        Ok(Sym::Val(t, tb))
    }

    /// `States.MathAdd` and `States.Format` made here (an integer local; a string built in
    /// place); [`Static`] for any other call, or arguments they do not take that way.
    fn specialized_intrinsic(
        &mut self,
        call: &IntrinsicCall,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        match call.function {
            IntrinsicFunction::MathAdd if call.args.len() == 2 => {
                let a = self.number_arg(&call.args[0], inp)?;
                let b = self.number_arg(&call.args[1], inp)?;
                let t = self.temp("i");
                pre.push(quote! {
                    let #t: i64 = match (#a, #b) {
                        (::core::option::Option::Some(a), ::core::option::Option::Some(b)) => {
                            match ::stepfn::compiled::fast::math_add(a, b) {
                                ::core::option::Option::Some(x) => x,
                                ::core::option::Option::None => #fail,
                            }
                        }
                        _ => #fail,
                    };
                });
                Ok(Sym::Int(t))
            }
            IntrinsicFunction::Format if !call.args.is_empty() => {
                let Some(IntrinsicArg::Literal(Value::String(template))) = call.args.first() else {
                    return Err(Static);
                };
                let parts = split_format_template(template);
                let placeholders = parts
                    .iter()
                    .filter(|p| matches!(p, FormatPart::Placeholder))
                    .count();
                if placeholders != call.args.len() - 1 {
                    return Err(Static);
                }
                let mut args = Vec::new();
                for arg in &call.args[1..] {
                    args.push(self.value_arg(arg, inp, fail, pre)?);
                }
                let s = local("s");
                // The text, and room for short arguments.
                let capacity: usize = parts
                    .iter()
                    .map(|p| match p {
                        FormatPart::Text(t) => t.len(),
                        FormatPart::Placeholder => 16,
                    })
                    .sum();
                let mut args = args.into_iter();
                let pushes = parts.iter().map(|p| match p {
                    FormatPart::Text(text) => quote!(#s.push_str(#text);),
                    FormatPart::Placeholder => {
                        let a = args.next().unwrap_or_else(|| {
                            quote!(&::stepfn::__private::serde_json::Value::Null)
                        });
                        quote!(::stepfn::compiled::fast::format_arg(&mut #s, #a);)
                    }
                });
                let (t, tb) = (self.temp("v"), self.temp("b"));
                pre.push(quote! {
                    let (mut #t, #tb) = {
                        let mut #s = ::std::string::String::with_capacity(#capacity);
                        #(#pushes)*
                        let b = ::stepfn::compiled::fast::string_bound(&#s);
                        (::stepfn::__private::serde_json::Value::String(#s), b)
                    };
                });
                Ok(Sym::Val(t, tb))
            }
            _ => Err(Static),
        }
    }

    /// A numeric argument: an expression of type `Option<&Number>`.
    fn number_arg(&self, arg: &IntrinsicArg, inp: &Sym) -> Result<TokenStream, Static> {
        let number = quote!(::stepfn::__private::serde_json::Number);
        let of_const = |v: &Value| match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(quote!(::core::option::Option::Some(&#number::from(#i))))
                } else if let Some(u) = n.as_u64() {
                    Ok(quote!(::core::option::Option::Some(&#number::from(#u))))
                } else {
                    let f = n.as_f64().ok_or(Static)?;
                    Ok(quote!(#number::from_f64(#f).as_ref()))
                }
            }
            _ => Err(Static),
        };
        match arg {
            IntrinsicArg::Literal(v) => of_const(v),
            IntrinsicArg::Path(p) => match self.read(inp, p)? {
                Got::Sym(Sym::Const(v)) => of_const(&v),
                Got::Sym(Sym::Int(x)) => {
                    Ok(quote!(::core::option::Option::Some(&#number::from(#x))))
                }
                Got::Sym(Sym::Val(v, _)) => Ok(quote!(::stepfn::compiled::fast::number(&#v))),
                Got::Sym(Sym::Ref(r, _)) => Ok(quote!(::stepfn::compiled::fast::number(#r))),
                Got::Dyn(e, _) => Ok(quote!(#e.and_then(::stepfn::compiled::fast::number))),
                Got::Sym(_) | Got::Missing => Err(Static),
            },
            IntrinsicArg::Call(_) => Err(Static),
        }
    }

    /// An argument as a value: an expression of type `&Value` (its statements in `pre`).
    fn value_arg(
        &mut self,
        arg: &IntrinsicArg,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<TokenStream, Static> {
        let got = match arg {
            IntrinsicArg::Literal(v) => Got::Sym(Sym::Const(v.clone())),
            IntrinsicArg::Path(p) => self.read(inp, p)?,
            IntrinsicArg::Call(_) => return Err(Static),
        };
        match got {
            Got::Sym(Sym::Val(v, _)) => Ok(quote!(&#v)),
            Got::Sym(Sym::Ref(r, _)) => Ok(quote!(#r)),
            Got::Dyn(e, _) => {
                let t = self.temp("r");
                pre.push(quote! {
                    let #t: &::stepfn::__private::serde_json::Value = match #e {
                        ::core::option::Option::Some(v) => v,
                        ::core::option::Option::None => #fail,
                    };
                });
                Ok(quote!(#t))
            }
            Got::Sym(s) => {
                let copy = self.dup(&s, pre);
                let v = materialize(&copy);
                let t = self.temp("c");
                pre.push(quote!(let #t = #v;));
                Ok(quote!(&#t))
            }
            Got::Missing => Err(Static),
        }
    }

    /// `ResultPath`: `value` placed at `segs` inside `target` (at depth `depth`).
    fn place(
        &mut self,
        target: Sym,
        segs: &[PathSegment],
        depth: usize,
        value: Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<Sym, Static> {
        let Some((seg, rest)) = segs.split_first() else {
            return Ok(value);
        };
        let PathSegment::Field(key) = seg else {
            return Err(Static);
        };
        let set = |this: &mut Self,
                   fields: &mut Vec<(String, Sym)>,
                   pre: &mut Vec<TokenStream>,
                   open: bool|
         -> Result<(), Static> {
            let at = fields.iter().position(|(k, _)| k == key);
            if rest.is_empty() {
                match at {
                    Some(p) => fields[p].1 = value.clone(),
                    None => fields.push((key.clone(), value.clone())),
                }
                return Ok(());
            }
            match at {
                Some(p) => {
                    let inner = std::mem::replace(&mut fields[p].1, Sym::Const(Value::Null));
                    fields[p].1 = this.place(inner, rest, depth + 1, value.clone(), fail, pre)?;
                }
                // A member not known to be absent from the object underneath: the general form.
                None if open => return Err(Static),
                None => {
                    let inner = this.place(
                        Sym::Obj(Vec::new()),
                        rest,
                        depth + 1,
                        value.clone(),
                        fail,
                        pre,
                    )?;
                    fields.push((key.clone(), inner));
                }
            }
            Ok(())
        };
        match target {
            Sym::Obj(mut fields) => {
                set(self, &mut fields, pre, false)?;
                Ok(Sym::Obj(fields))
            }
            Sym::Overlay(v, b, mut fields) => {
                set(self, &mut fields, pre, true)?;
                Ok(Sym::Overlay(v, b, fields))
            }
            Sym::Const(Value::Object(m)) => {
                let mut fields: Vec<(String, Sym)> =
                    m.into_iter().map(|(k, v)| (k, Sym::Const(v))).collect();
                set(self, &mut fields, pre, false)?;
                Ok(Sym::Obj(fields))
            }
            // A `null` on the way (not the input itself) becomes an object.
            Sym::Const(Value::Null) if depth > 0 => {
                let mut fields = Vec::new();
                set(self, &mut fields, pre, false)?;
                Ok(Sym::Obj(fields))
            }
            Sym::Ref(r, b) => {
                pre.push(quote! {
                    if !#r.is_object() { #fail; }
                });
                let t = self.temp("v");
                pre.push(quote!(let mut #t = ::core::clone::Clone::clone(#r);));
                let mut fields = Vec::new();
                set(self, &mut fields, pre, true)?;
                Ok(Sym::Overlay(t, b, fields))
            }
            Sym::Val(v, b) => {
                pre.push(quote! {
                    if !#v.is_object() { #fail; }
                });
                let mut fields = Vec::new();
                set(self, &mut fields, pre, true)?;
                Ok(Sym::Overlay(v, b, fields))
            }
            Sym::Const(_) | Sym::Int(_) => Err(Static),
        }
    }

    /// A Choice condition as a `bool` expression (a rule that raises an error deoptimizes).
    fn condition(
        &mut self,
        c: &Condition,
        inp: &Sym,
        fail: &TokenStream,
        pre: &mut Vec<TokenStream>,
    ) -> Result<TokenStream, Static> {
        match c {
            Condition::And(cs) | Condition::Or(cs) => {
                let parts = cs
                    .iter()
                    .map(|c| self.condition(c, inp, fail, pre))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if matches!(c, Condition::And(_)) {
                    quote!((true #(&& #parts)*))
                } else {
                    quote!((false #(|| #parts)*))
                })
            }
            Condition::Not(c) => {
                let inner = self.condition(c, inp, fail, pre)?;
                Ok(quote!((!#inner)))
            }
            Condition::Compare {
                variable,
                op,
                operand,
            } => {
                let Operand::Literal(rhs) = operand else {
                    return Err(Static);
                };
                let value = match self.read(inp, variable)? {
                    Got::Dyn(e, _) => e,
                    Got::Sym(Sym::Val(v, _)) => quote!(::core::option::Option::Some(&#v)),
                    Got::Sym(Sym::Ref(r, _)) => quote!(::core::option::Option::Some(#r)),
                    Got::Sym(Sym::Int(x)) => quote!(::core::option::Option::Some(
                        &::stepfn::__private::serde_json::Value::from(#x)
                    )),
                    Got::Sym(s) => {
                        let copy = self.dup(&s, pre);
                        let v = materialize(&copy);
                        quote!(::core::option::Option::Some(&#v))
                    }
                    Got::Missing => quote!(::core::option::Option::None),
                };
                let rhs = match rhs {
                    Value::Null | Value::Bool(_) | Value::Number(_) => {
                        let v = const_expr(rhs);
                        quote!(&#v)
                    }
                    other => {
                        let v = const_expr(other);
                        quote!(&*{
                            static RHS: ::std::sync::LazyLock<::stepfn::__private::serde_json::Value> =
                                ::std::sync::LazyLock::new(|| #v);
                            &RHS
                        })
                    }
                };
                let op = Ident::new(&format!("{op:?}"), Span::call_site());
                Ok(quote! {
                    match ::stepfn::compiled::fast::compare(::stepfn::asl::Comparison::#op, #value, #rhs) {
                        ::core::option::Option::Some(b) => b,
                        ::core::option::Option::None => #fail,
                    }
                })
            }
            Condition::Jsonata(_) | Condition::Constant(_) => Err(Static),
        }
    }
}

/// The locals of a specialized Parallel or Map state (see [`Gen::gather`]).
struct Gather {
    /// The event count before the state.
    saved: Ident,
    /// The id of its `…StateStarted` event.
    started: Ident,
    /// The outputs so far, and their bound.
    outs: Ident,
    outs_bound: Ident,
}

impl Gather {
    fn new() -> Self {
        Gather {
            saved: local("saved"),
            started: local("started"),
            outs: local("outs"),
            outs_bound: local("outs_bound"),
        }
    }

    /// `fail`, after taking back the events counted since the state was entered.
    fn undo(&self, fail: &TokenStream) -> TokenStream {
        let (cx, prev, saved) = (local("cx"), local("prev"), &self.saved);
        quote!({
            ::stepfn::compiled::fast::rewind(#cx, #saved, #prev);
            #fail
        })
    }

    /// Runs one branch or iteration (`call`, a `Sub`) and keeps its output, or takes `undo`.
    fn push(&self, call: TokenStream, undo: &TokenStream) -> TokenStream {
        let (outs, outs_bound) = (&self.outs, &self.outs_bound);
        quote! {
            match #call {
                ::stepfn::compiled::fast::Sub::Done(v, b) => {
                    #outs.push(v);
                    #outs_bound += b;
                }
                ::stepfn::compiled::fast::Sub::Bail => #undo,
            }
        }
    }
}

/// Reads definite segments (fields and non-negative indexes) from `sym`.
fn read_segments(sym: &Sym, segs: &[PathSegment]) -> Got {
    let Some((seg, rest)) = segs.split_first() else {
        return Got::Sym(sym.clone());
    };
    match sym {
        Sym::Const(v) => {
            let mut cur = v;
            for seg in segs {
                let next = match seg {
                    PathSegment::Field(f) => stepfn_asl::path::field(cur, f),
                    PathSegment::Index(i) => stepfn_asl::path::index(cur, *i),
                    _ => None,
                };
                match next {
                    Some(n) => cur = n,
                    None => return Got::Missing,
                }
            }
            Got::Sym(Sym::Const(cur.clone()))
        }
        Sym::Int(_) => Got::Missing,
        Sym::Val(v, b) => Got::Dyn(dyn_read(quote!(&#v), segs), b.clone()),
        Sym::Ref(r, b) => Got::Dyn(dyn_read(quote!(#r), segs), b.clone()),
        Sym::Obj(fields) => match seg {
            PathSegment::Field(f) => match fields.iter().find(|(k, _)| k == f) {
                Some((_, s)) => read_segments(s, rest),
                None => Got::Missing,
            },
            _ => Got::Missing,
        },
        Sym::Overlay(v, b, fields) => {
            if let PathSegment::Field(f) = seg {
                if let Some((_, s)) = fields.iter().find(|(k, _)| k == f) {
                    return read_segments(s, rest);
                }
            }
            Got::Dyn(dyn_read(quote!(&#v), segs), b.clone())
        }
    }
}

/// The run-time read of `segs` from `base` (an expression of type `&Value`): an expression of
/// type `Option<&Value>`.
fn dyn_read(base: TokenStream, segs: &[PathSegment]) -> TokenStream {
    let steps = segs.iter().map(|seg| match seg {
        PathSegment::Field(f) => {
            quote!(.and_then(|v| ::stepfn::compiled::fast::field(v, #f)))
        }
        PathSegment::Index(i) => quote!(.and_then(|v| ::stepfn::compiled::fast::index(v, #i))),
        _ => quote!(.and(::core::option::Option::None)),
    });
    quote!(::core::option::Option::Some(#base) #(#steps)*)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(asl: Value) -> Option<Plan> {
        let (sm, diags) = stepfn_asl::parse::read(&asl);
        let sm = sm.unwrap_or_else(|| panic!("{diags:?}"));
        generate(
            &local("f"),
            &sm.start_at,
            &sm.states,
            &resume_points(&sm.states),
        )
    }

    #[test]
    fn a_pass_chain_is_one_node_per_state() {
        let mut states = serde_json::Map::new();
        for i in 0..5 {
            let mut st = serde_json::json!({
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.c.n, 1)", "last": format!("P{i}")},
                "ResultPath": "$.c",
            });
            if i < 4 {
                st["Next"] = format!("P{}", i + 1).into();
            } else {
                st["End"] = true.into();
            }
            states.insert(format!("P{i}"), st);
        }
        let p = plan(serde_json::json!({"StartAt": "P0", "States": states})).unwrap();
        assert_eq!(p.nodes, 5);
        assert!(p.deopts.is_empty(), "{:?}", p.deopts);
    }

    #[test]
    fn a_choice_loop_closes_on_its_second_round() {
        let p = plan(serde_json::json!({
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.i", "NumericLessThan": 10, "Next": "Incr"}
                ], "Default": "Done"},
                "Incr": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
                "Done": {"Type": "Succeed"}
            }
        }))
        .unwrap();
        // Check and Done with the input, Incr with the input; then Check, Incr and Done with
        // `{"i": <integer>}`, the loop's shape.
        assert_eq!(p.nodes, 6);
        assert!(p.deopts.is_empty(), "{:?}", p.deopts);
    }

    #[test]
    fn parallel_branches_and_map_processors_are_specialized() {
        let p = plan(serde_json::json!({
            "StartAt": "Fan",
            "States": {
                "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.fan", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {
                        "B": {"Type": "Pass", "Next": "F"},
                        "F": {"Type": "Fail", "Error": "E"}
                    }}
                ]},
                "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Parameters": {"k.$": "$.id"}, "End": true}}
                }}
            }
        }))
        .unwrap();
        assert!(p.deopts.is_empty(), "{:?}", p.deopts);
        let code = p.code.to_string();
        // One function per branch and one for the processor (a branch's Fail gives up, so the
        // Parallel is run again by the general form, which raises the error).
        assert_eq!(
            code.matches("-> :: stepfn :: compiled :: fast :: Sub")
                .count(),
            3
        );
        // A Parallel with a Retry is not specialized.
        let p = plan(serde_json::json!({
            "StartAt": "Fan",
            "States": {
                "Fan": {"Type": "Parallel", "End": true, "Retry": [{"ErrorEquals": ["States.ALL"]}],
                    "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}]}
            }
        }));
        assert!(p.is_none());
    }

    /// The benchmark workloads as `workflow!` exports them (`definitions/`): each but the one
    /// with a Retry runs on the specialized path from start to end.
    #[test]
    fn the_workloads_are_specialized_throughout() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
        for name in [
            "TrivialThree",
            "PassChain100",
            "ChoiceLoop10k",
            "Map10k",
            "Parallel10x10",
        ] {
            let text = std::fs::read_to_string(dir.join(format!("{name}.asl.json"))).unwrap();
            let p = plan(serde_json::from_str(&text).unwrap()).unwrap();
            assert!(p.starts, "{name}");
            assert!(p.deopts.is_empty(), "{name}: {:?}", p.deopts);
        }
        // RetryCatch starts with a Parallel with a Retry, which the general form runs; the
        // specialized path takes over after it (its Catch target and its Next).
        let text = std::fs::read_to_string(dir.join("RetryCatch.asl.json")).unwrap();
        let sm: Value = serde_json::from_str(&text).unwrap();
        let p = plan(sm.clone()).unwrap();
        assert!(!p.starts);
        assert_eq!(p.deopts, ["Guarded"]);
        let names: Vec<&str> = sm["States"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let entries: Vec<&str> = p.entries.iter().map(|&i| names[i]).collect();
        assert_eq!(entries, ["Unreached", "Recovered"]);
    }

    #[test]
    fn what_it_does_not_cover_deoptimizes() {
        let p = plan(serde_json::json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "Next": "B"},
                "B": {"Type": "Pass", "InputPath": "$.a", "End": true}
            }
        }))
        .unwrap();
        // B is entered after the Wait (a resume point), and its InputPath is not covered.
        assert_eq!(p.deopts, ["B", "W"]);
        assert!(p.starts);
        // A scope that starts with a state it does not cover has no specialized path.
        assert!(plan(serde_json::json!({
            "StartAt": "W",
            "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}
        }))
        .is_none());
        // Nor does one whose first state reads the context object.
        assert!(plan(serde_json::json!({
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$$.Execution.Id"}, "End": true}}
        }))
        .is_none());
    }
}
