//! The DSL's syntax tree. Every node keeps the tokens it came from, so later phases can put
//! errors on the user's own tokens.

use proc_macro2::{Span, TokenStream};
use stepfn_asl::OptionKeyword;
use syn::{Attribute, Ident, Path as RustPath, Type, Visibility};

/// Everything inside one `workflow! { … }`: one or more workflows.
pub struct Input {
    /// The workflows, in order.
    pub workflows: Vec<Workflow>,
}

/// One workflow: `pub Checkout(Order) -> Receipt { … }`.
pub struct Workflow {
    /// Outer attributes (doc comments).
    pub attrs: Vec<Attribute>,
    /// Visibility of the generated type.
    pub vis: Visibility,
    /// The workflow's name; also the state machine's name.
    pub name: Ident,
    /// The execution input type, when given.
    pub input: Option<Type>,
    /// The execution output type, when given.
    pub output: Option<Type>,
    /// Top-level settings and states.
    pub body: Scope,
}

/// A list of states with its `start`: the workflow body, a Parallel branch, a Map processor.
pub struct Scope {
    /// The brace group, for errors about the scope as a whole.
    pub span: Span,
    /// `start Name;`
    pub start: Option<Ident>,
    /// Top-level settings (`comment`, `timeout`, `query_language`, `version`); only in a workflow body.
    pub settings: Vec<Setting>,
    /// The states, in order.
    pub states: Vec<StateDef>,
}

/// A top-level setting such as `timeout 3600;`.
pub struct Setting {
    /// The keyword, a machine setting of [`OptionKeyword`].
    pub keyword: OptionKeyword,
    /// Its value.
    pub value: Value,
}

/// `Name: kind args { options } -> Next;`
pub struct StateDef {
    /// The state's name.
    pub name: Ident,
    /// The kind and its arguments.
    pub kind: Kind,
    /// Options from the `{ … }` block.
    pub options: Vec<Opt>,
    /// `-> Next` or `end`.
    pub transition: Option<Transition>,
}

/// How a state continues.
pub enum Transition {
    /// `-> Name`.
    Next(Ident),
    /// `end`.
    End(Ident),
}

/// The state kind, with the arguments written right after its keyword.
pub enum Kind {
    /// `pass`.
    Pass(Ident),
    /// `task handler` or `task resource "arn"`.
    Task {
        /// The keyword.
        kw: Ident,
        /// A Rust handler: an `async fn(In) -> Result<Out, E>`.
        handler: Option<RustPath>,
    },
    /// `choice { rules }`.
    Choice {
        /// The keyword.
        kw: Ident,
        /// The rules, in order.
        rules: Vec<Rule>,
        /// `_ => Default`.
        default: Option<Ident>,
    },
    /// `wait 10s`, `wait until "…"`, `wait $.secs`, `wait until $.ts`.
    Wait {
        /// The keyword.
        kw: Ident,
        /// The duration or deadline.
        what: WaitFor,
    },
    /// `succeed`.
    Succeed(Ident),
    /// `fail "Error", "Cause"`.
    Fail {
        /// The keyword.
        kw: Ident,
        /// `Error`.
        error: Option<syn::LitStr>,
        /// `Cause`.
        cause: Option<syn::LitStr>,
    },
    /// `parallel { branch { … } … }`.
    Parallel(Ident),
    /// `map PATH { processor { … } … }`.
    Map {
        /// The keyword.
        kw: Ident,
        /// `ItemsPath`, when written after `map`.
        items: Option<PathExpr>,
    },
}

impl Kind {
    /// The keyword token.
    pub fn keyword(&self) -> &Ident {
        match self {
            Kind::Pass(k) | Kind::Succeed(k) | Kind::Parallel(k) => k,
            Kind::Task { kw, .. }
            | Kind::Choice { kw, .. }
            | Kind::Wait { kw, .. }
            | Kind::Fail { kw, .. }
            | Kind::Map { kw, .. } => kw,
        }
    }
}

/// What a Wait waits for.
pub enum WaitFor {
    /// `wait 10s`.
    Seconds(u64, TokenStream),
    /// `wait until "2024-01-01T00:00:00Z"`.
    Timestamp(syn::LitStr),
    /// `wait $.seconds`.
    SecondsPath(PathExpr),
    /// `wait until $.deadline`.
    TimestampPath(PathExpr),
}

/// A path written in the DSL: `$.a.b[0]`, `$$.Execution.Id`, `$var`, or a string literal.
#[derive(Clone)]
pub struct PathExpr {
    /// The path text, e.g. `$.a.b[0]`.
    pub text: String,
    /// The tokens it came from.
    pub tokens: TokenStream,
}

/// One option statement in a state's `{ … }` block.
pub struct Opt {
    /// The keyword (or the ASL field name for `"Field": json`).
    pub key: OptKey,
    /// The value.
    pub value: OptValue,
}

/// An option's keyword.
pub enum OptKey {
    /// A DSL keyword such as `retry` or `parameters`, with its tokens.
    Word(OptionKeyword, Ident),
    /// An ASL field written verbatim: `"ItemReader": { … }`.
    Field(syn::LitStr),
}

impl OptKey {
    /// The keyword or field name.
    pub fn name(&self) -> String {
        match self {
            OptKey::Word(k, _) => k.dsl().to_owned(),
            OptKey::Field(l) => l.value(),
        }
    }
    /// The DSL keyword; `None` for an ASL field written verbatim.
    pub fn keyword(&self) -> Option<OptionKeyword> {
        match self {
            OptKey::Word(k, _) => Some(*k),
            OptKey::Field(_) => None,
        }
    }
    /// The tokens, for errors.
    pub fn tokens(&self) -> TokenStream {
        match self {
            OptKey::Word(_, i) => quote::quote!(#i),
            OptKey::Field(l) => quote::quote!(#l),
        }
    }
}

/// The value of an option.
pub enum OptValue {
    /// A JSON value.
    Json(Value),
    /// A path (or `null`).
    Path(Option<PathExpr>, TokenStream),
    /// A duration in seconds.
    Seconds(u64, TokenStream),
    /// A whole number.
    Int(u64, TokenStream),
    /// A plain word (`distributed`, `jsonata`).
    Word(Ident),
    /// `retry [errors] every 2s, 3 times, backoff 2.0, max 30s, jitter`.
    Retry(Retry),
    /// `catch [errors] into PATH -> Target`.
    Catch(Catch),
    /// `branch { … }` or `processor { … }`.
    Scope(Scope),
}

/// A JSON value written in the DSL, with its tokens.
#[derive(Clone)]
pub struct Value {
    /// The value.
    pub json: serde_json::Value,
    /// The tokens it came from.
    pub tokens: TokenStream,
}

/// `retry …`.
pub struct Retry {
    /// The error names.
    pub errors: Vec<(String, TokenStream)>,
    /// `every 2s`.
    pub interval: Option<(u64, TokenStream)>,
    /// `3 times`.
    pub max_attempts: Option<(u64, TokenStream)>,
    /// `backoff 2.0`.
    pub backoff: Option<(serde_json::Number, TokenStream)>,
    /// `max 30s`.
    pub max_delay: Option<(u64, TokenStream)>,
    /// `jitter`.
    pub jitter: bool,
}

/// `catch …`.
pub struct Catch {
    /// The error names.
    pub errors: Vec<(String, TokenStream)>,
    /// `into PATH` (`into null` discards).
    pub result_path: Option<(Option<PathExpr>, TokenStream)>,
    /// `-> Target`.
    pub next: Ident,
    /// `{ assign {…}; output {…}; comment "…"; }` after the target.
    pub options: Vec<Opt>,
}

/// A Choice rule: `condition => Target`.
pub struct Rule {
    /// The condition.
    pub cond: Cond,
    /// The target state.
    pub next: Ident,
    /// `{ assign {…}; output {…}; comment "…"; }` after the target.
    pub options: Vec<Opt>,
}

/// A Choice condition.
pub enum Cond {
    /// `a && b`.
    And(Vec<Cond>),
    /// `a || b`.
    Or(Vec<Cond>),
    /// `!a`.
    Not(Box<Cond>),
    /// A comparison: `$.x > 3`, `$.s matches "a*"`, `$.x is present`.
    Compare {
        /// The variable.
        var: PathExpr,
        /// The ASL operator name (without `Path`).
        op: String,
        /// The operand: a literal or a path.
        rhs: Operand,
        /// The operator tokens.
        op_tokens: TokenStream,
    },
    /// A JSONata condition `"{% … %}"`.
    Jsonata(syn::LitStr),
    /// A constant JSONata condition: `true` or `false`.
    Constant(syn::LitBool),
    /// `all(a, b, …)` / `any(a, b, …)`: an explicit `And` / `Or` list (also of one rule).
    List {
        /// True for `all` (`And`), false for `any` (`Or`).
        all: bool,
        /// The rules.
        items: Vec<Cond>,
    },
}

/// The right-hand side of a comparison.
pub enum Operand {
    /// A literal.
    Literal(serde_json::Value, TokenStream),
    /// A path (the `…Path` form).
    Path(PathExpr),
}
