//! Phase 1, syntax: `syn` parsing of the DSL into [`crate::ast`]. Stops at the first syntax error;
//! semantic checks come later and collect every problem.

use crate::ast::*;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use stepfn_asl::{KeywordValue, OptionKeyword};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, parenthesized, Attribute, Ident, LitInt, LitStr, Token};

/// The state kinds.
pub const KINDS: &[&str] = &[
    "pass", "task", "choice", "wait", "succeed", "fail", "parallel", "map",
];

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut workflows = Vec::new();
        while !input.is_empty() {
            workflows.push(input.parse()?);
        }
        if workflows.is_empty() {
            return Err(input.error(
                "expected a workflow: `pub Name(Input) -> Output { start First; First: … }`",
            ));
        }
        Ok(Input { workflows })
    }
}

impl Parse for Workflow {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name: Ident = input.parse()?;
        let mut in_ty = None;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            in_ty = Some(content.parse()?);
        }
        let mut out_ty = None;
        if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            out_ty = Some(input.parse()?);
        }
        let content;
        let brace = braced!(content in input);
        let body = parse_scope(&content, brace.span.join(), true)?;
        Ok(Workflow {
            attrs,
            vis,
            name,
            input: in_ty,
            output: out_ty,
            body,
        })
    }
}

fn parse_scope(input: ParseStream, span: proc_macro2::Span, top: bool) -> syn::Result<Scope> {
    let mut scope = Scope {
        span,
        start: None,
        settings: Vec::new(),
        states: Vec::new(),
    };
    while !input.is_empty() {
        let ident = Ident::parse_any(input)?;
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            scope.states.push(parse_state(ident, input)?);
            continue;
        }
        if ident == "start" {
            if scope.start.is_some() {
                return Err(syn::Error::new(ident.span(), "duplicate `start`"));
            }
            scope.start = Some(Ident::parse_any(input)?);
            input.parse::<Token![;]>()?;
            continue;
        }
        let setting =
            OptionKeyword::from_dsl(&ident.to_string()).filter(|k| k.is_machine_setting());
        let Some(keyword) = setting.filter(|_| top) else {
            let what = if top {
                let settings: Vec<String> = OptionKeyword::machine_settings()
                    .map(|k| format!("`{k}`"))
                    .collect();
                format!(
                    "expected `start Name;`, a setting ({}) or a state `Name: kind …`",
                    settings.join(", ")
                )
            } else {
                "expected `start Name;` or a state `Name: kind …`".to_owned()
            };
            return Err(syn::Error::new(
                ident.span(),
                format!("unexpected `{ident}`: {what}"),
            ));
        };
        let value = match keyword.value() {
            KeywordValue::Duration => {
                let (secs, tokens) = parse_duration(input)?;
                Value {
                    json: secs.into(),
                    tokens,
                }
            }
            KeywordValue::Word => {
                let w = Ident::parse_any(input)?;
                Value {
                    json: serde_json::Value::String(query_language_name(&w)?),
                    tokens: w.to_token_stream(),
                }
            }
            _ => parse_json(input)?,
        };
        input.parse::<Token![;]>()?;
        scope.settings.push(Setting { keyword, value });
    }
    Ok(scope)
}

fn query_language_name(w: &Ident) -> syn::Result<String> {
    match w.to_string().to_lowercase().as_str() {
        "jsonpath" => Ok("JSONPath".into()),
        "jsonata" => Ok("JSONata".into()),
        _ => Err(syn::Error::new(
            w.span(),
            "expected `jsonpath` or `jsonata`",
        )),
    }
}

fn parse_state(name: Ident, input: ParseStream) -> syn::Result<StateDef> {
    let kw = Ident::parse_any(input)?;
    let kind = match kw.to_string().as_str() {
        "pass" => Kind::Pass(kw),
        "task" => {
            let handler = if input.peek(syn::token::Brace)
                || input.peek(Token![->])
                || input.peek(Token![;])
                || peek_word(input, "end")
            {
                None
            } else {
                Some(input.parse::<syn::Path>()?)
            };
            Kind::Task { kw, handler }
        }
        "choice" => {
            let content;
            braced!(content in input);
            let mut rules = Vec::new();
            let mut default = None;
            while !content.is_empty() {
                if content.peek(Token![_]) {
                    content.parse::<Token![_]>()?;
                    content.parse::<Token![=>]>()?;
                    let d: Ident = Ident::parse_any(&content)?;
                    if default.is_some() {
                        return Err(syn::Error::new(
                            d.span(),
                            "a choice has one default (`_ => …`)",
                        ));
                    }
                    default = Some(d);
                } else {
                    let cond = parse_or(&content)?;
                    content.parse::<Token![=>]>()?;
                    let next = Ident::parse_any(&content)?;
                    let options = parse_small_block(&content, "a choice rule")?;
                    rules.push(Rule {
                        cond,
                        next,
                        options,
                    });
                }
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
            Kind::Choice { kw, rules, default }
        }
        "wait" => {
            let what = if peek_word(input, "until") {
                Ident::parse_any(input)?;
                if input.peek(LitStr) && !is_path_literal(input) {
                    WaitFor::Timestamp(input.parse()?)
                } else {
                    WaitFor::TimestampPath(parse_path(input)?)
                }
            } else if input.peek(Token![$]) || is_path_literal(input) {
                WaitFor::SecondsPath(parse_path(input)?)
            } else {
                let (secs, tokens) = parse_duration(input)?;
                WaitFor::Seconds(secs, tokens)
            };
            Kind::Wait { kw, what }
        }
        "succeed" => Kind::Succeed(kw),
        "fail" => {
            let mut error = None;
            let mut cause = None;
            if input.peek(LitStr) {
                error = Some(input.parse()?);
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                    cause = Some(input.parse()?);
                }
            }
            Kind::Fail { kw, error, cause }
        }
        "parallel" => Kind::Parallel(kw),
        "map" => {
            let items = if input.peek(Token![$]) || is_path_literal(input) {
                Some(parse_path(input)?)
            } else {
                None
            };
            Kind::Map { kw, items }
        }
        other => {
            let mut msg = format!(
                "unknown state kind `{other}`; expected one of {}",
                KINDS
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some(s) = stepfn_asl::diagnostic::did_you_mean(other, KINDS.iter().copied()) {
                msg = format!("unknown state kind `{other}`; did you mean `{s}`?");
            }
            return Err(syn::Error::new(kw.span(), msg));
        }
    };
    let mut options = Vec::new();
    if input.peek(syn::token::Brace) {
        let content;
        braced!(content in input);
        while !content.is_empty() {
            options.push(parse_option(&content)?);
        }
    }
    let transition = if input.peek(Token![->]) {
        input.parse::<Token![->]>()?;
        Some(Transition::Next(Ident::parse_any(input)?))
    } else if peek_word(input, "end") {
        Some(Transition::End(Ident::parse_any(input)?))
    } else {
        None
    };
    if input.peek(Token![;]) {
        input.parse::<Token![;]>()?;
    }
    Ok(StateDef {
        name,
        kind,
        options,
        transition,
    })
}

fn peek_word(input: ParseStream, word: &str) -> bool {
    input.fork().call(Ident::parse_any).is_ok_and(|i| i == word)
}

fn is_path_literal(input: ParseStream) -> bool {
    input
        .fork()
        .parse::<LitStr>()
        .is_ok_and(|l| l.value().starts_with('$'))
}

fn parse_option(input: ParseStream) -> syn::Result<Opt> {
    if input.peek(LitStr) {
        let field: LitStr = input.parse()?;
        input.parse::<Token![:]>()?;
        let value = parse_json(input)?;
        input.parse::<Token![;]>()?;
        return Ok(Opt {
            key: OptKey::Field(field),
            value: OptValue::Json(value),
        });
    }
    let key = Ident::parse_any(input)?;
    let name = key.to_string();
    let Some(keyword) = OptionKeyword::from_dsl(&name).filter(|k| k.is_state_option()) else {
        let mut msg = format!("unknown option `{name}`");
        let keywords = OptionKeyword::state_options().map(OptionKeyword::dsl);
        if let Some(s) = stepfn_asl::diagnostic::did_you_mean(&name, keywords) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        } else {
            msg.push_str("; write an ASL field verbatim as `\"FieldName\": value;`");
        }
        return Err(syn::Error::new(key.span(), msg));
    };
    let value = match keyword.value() {
        KeywordValue::Json => OptValue::Json(parse_json(input)?),
        KeywordValue::Path => {
            if peek_word(input, "null") {
                let n = Ident::parse_any(input)?;
                OptValue::Path(None, n.to_token_stream())
            } else {
                let p = parse_path(input)?;
                let t = p.tokens.clone();
                OptValue::Path(Some(p), t)
            }
        }
        KeywordValue::Duration => {
            let (s, t) = parse_duration(input)?;
            OptValue::Seconds(s, t)
        }
        KeywordValue::Count => {
            let l: LitInt = input.parse()?;
            OptValue::Int(l.base10_parse()?, l.to_token_stream())
        }
        KeywordValue::Word => OptValue::Word(Ident::parse_any(input)?),
        KeywordValue::Retry => OptValue::Retry(parse_retry(input)?),
        KeywordValue::Catch => OptValue::Catch(parse_catch(input)?),
        KeywordValue::Scope => {
            let content;
            let brace = braced!(content in input);
            let scope = parse_scope(&content, brace.span.join(), false)?;
            if input.peek(Token![;]) {
                input.parse::<Token![;]>()?;
            }
            return Ok(Opt {
                key: OptKey::Word(keyword, key),
                value: OptValue::Scope(scope),
            });
        }
    };
    // A catcher that ends with its own `{ … }` block needs no `;`.
    let block_closed = matches!(&value, OptValue::Catch(c) if !c.options.is_empty());
    if !block_closed || input.peek(Token![;]) {
        input.parse::<Token![;]>()?;
    }
    Ok(Opt {
        key: OptKey::Word(keyword, key),
        value,
    })
}

fn parse_error_list(input: ParseStream) -> syn::Result<Vec<(String, TokenStream)>> {
    let content;
    bracketed!(content in input);
    let mut out = Vec::new();
    while !content.is_empty() {
        if content.peek(LitStr) {
            let l: LitStr = content.parse()?;
            out.push((l.value(), l.to_token_stream()));
        } else {
            let mut name = String::new();
            let mut tokens = TokenStream::new();
            loop {
                let i = Ident::parse_any(&content)?;
                name.push_str(&i.to_string());
                i.to_tokens(&mut tokens);
                if content.peek(Token![.]) {
                    let dot: Token![.] = content.parse()?;
                    dot.to_tokens(&mut tokens);
                    name.push('.');
                } else {
                    break;
                }
            }
            out.push((name, tokens));
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(out)
}

fn parse_retry(input: ParseStream) -> syn::Result<Retry> {
    let errors = parse_error_list(input)?;
    let mut r = Retry {
        errors,
        interval: None,
        max_attempts: None,
        backoff: None,
        max_delay: None,
        jitter: false,
    };
    while !input.peek(Token![;]) {
        if input.peek(LitInt) {
            let l: LitInt = input.parse()?;
            let w = Ident::parse_any(input)?;
            if w != "times" {
                return Err(syn::Error::new(
                    w.span(),
                    "expected `times`, as in `3 times`",
                ));
            }
            r.max_attempts = Some((l.base10_parse()?, quote::quote!(#l #w)));
        } else {
            let w = Ident::parse_any(input)?;
            match w.to_string().as_str() {
                "every" => r.interval = Some(parse_duration(input)?),
                "max" => r.max_delay = Some(parse_duration(input)?),
                "backoff" => {
                    let v = parse_json(input)?;
                    match v.json {
                        serde_json::Value::Number(n) => r.backoff = Some((n, v.tokens)),
                        _ => return Err(syn::Error::new_spanned(v.tokens, "expected a number, as in `backoff 2.0`")),
                    }
                }
                "jitter" => r.jitter = true,
                other => {
                    return Err(syn::Error::new(
                        w.span(),
                        format!("unexpected `{other}` in `retry`; expected `every 2s`, `3 times`, `backoff 2.0`, `max 30s` or `jitter`"),
                    ))
                }
            }
        }
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(r)
}

fn parse_catch(input: ParseStream) -> syn::Result<Catch> {
    let errors = parse_error_list(input)?;
    let mut result_path = None;
    if peek_word(input, "into") {
        Ident::parse_any(input)?;
        if peek_word(input, "null") {
            let n = Ident::parse_any(input)?;
            result_path = Some((None, n.to_token_stream()));
        } else {
            let p = parse_path(input)?;
            let t = p.tokens.clone();
            result_path = Some((Some(p), t));
        }
    }
    input.parse::<Token![->]>()?;
    let next = Ident::parse_any(input)?;
    Ok(Catch {
        errors,
        result_path,
        next,
        options: parse_small_block(input, "a catcher")?,
    })
}

/// An optional `{ assign {…}; output {…}; comment "…"; }` after a choice rule's or a catcher's
/// target.
fn parse_small_block(input: ParseStream, what: &str) -> syn::Result<Vec<Opt>> {
    let mut options = Vec::new();
    if input.peek(syn::token::Brace) {
        let content;
        braced!(content in input);
        while !content.is_empty() {
            let o = parse_option(&content)?;
            if !o.key.keyword().is_some_and(OptionKeyword::is_rule_option) {
                return Err(syn::Error::new_spanned(
                    o.key.tokens(),
                    format!("{what} takes only `assign`, `output` and `comment`"),
                ));
            }
            options.push(o);
        }
    }
    Ok(options)
}

/// `10`, `10s`, `5m`, `2h`, `1d`: a duration in whole seconds.
fn parse_duration(input: ParseStream) -> syn::Result<(u64, TokenStream)> {
    let l: LitInt = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a duration such as `30s`, `5m`, `2h` or `1d`",
        )
    })?;
    let n: u64 = l.base10_parse()?;
    let mult = match l.suffix() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        other => {
            return Err(syn::Error::new(
                l.span(),
                format!("unknown duration unit `{other}`; use `s`, `m`, `h` or `d`"),
            ))
        }
    };
    let secs = n
        .checked_mul(mult)
        .ok_or_else(|| syn::Error::new(l.span(), "duration too long"))?;
    Ok((secs, l.to_token_stream()))
}

/// A path: `$.a.b[0]`, `$$.Execution.Id`, `$var.x`, `$`, or a string literal.
pub fn parse_path(input: ParseStream) -> syn::Result<PathExpr> {
    if input.peek(LitStr) {
        let l: LitStr = input.parse()?;
        return Ok(PathExpr {
            text: l.value(),
            tokens: l.to_token_stream(),
        });
    }
    let mut text = String::new();
    let mut tokens = TokenStream::new();
    let d: Token![$] = input.parse()?;
    d.to_tokens(&mut tokens);
    text.push('$');
    if input.peek(Token![$]) {
        let d2: Token![$] = input.parse()?;
        d2.to_tokens(&mut tokens);
        text.push('$');
    } else if input.peek(Ident::peek_any) {
        let v = Ident::parse_any(input)?;
        text.push_str(&v.to_string());
        v.to_tokens(&mut tokens);
    }
    loop {
        if input.peek(Token![.])
            && !input.peek(Token![..])
            && (input.peek2(Ident::peek_any) || input.peek2(Token![*]))
        {
            let dot: Token![.] = input.parse()?;
            dot.to_tokens(&mut tokens);
            text.push('.');
            if input.peek(Token![*]) {
                let s: Token![*] = input.parse()?;
                s.to_tokens(&mut tokens);
                text.push('*');
            } else {
                let i = Ident::parse_any(input)?;
                text.push_str(&i.to_string());
                i.to_tokens(&mut tokens);
            }
        } else if input.peek(syn::token::Bracket) {
            let group: proc_macro2::Group = input.parse()?;
            if group.delimiter() != Delimiter::Bracket {
                break;
            }
            text.push('[');
            for tt in group.stream() {
                match &tt {
                    TokenTree::Literal(l) => {
                        let s = l.to_string();
                        if s.starts_with('"') {
                            let lit: LitStr = syn::parse2(tt.to_token_stream())?;
                            text.push('\'');
                            text.push_str(&lit.value().replace('\'', "\\'"));
                            text.push('\'');
                        } else {
                            text.push_str(&s);
                        }
                    }
                    other => text.push_str(&other.to_string()),
                }
            }
            text.push(']');
            group.to_tokens(&mut tokens);
        } else {
            break;
        }
    }
    Ok(PathExpr { text, tokens })
}

/// A JSON value: literals, `null`, `true`, `false`, `{ "k": v, … }`, `[v, …]`, negative numbers.
pub fn parse_json(input: ParseStream) -> syn::Result<Value> {
    let mut tokens = TokenStream::new();
    let json = json_value(input, &mut tokens)?;
    Ok(Value { json, tokens })
}

fn json_value(input: ParseStream, tokens: &mut TokenStream) -> syn::Result<serde_json::Value> {
    use serde_json::Value as J;
    if input.peek(syn::token::Brace) {
        let content;
        let brace = braced!(content in input);
        let mut inner = TokenStream::new();
        let mut m = serde_json::Map::new();
        while !content.is_empty() {
            let k: LitStr = content.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected a string key, as in `\"name\": value`")
            })?;
            k.to_tokens(&mut inner);
            let colon: Token![:] = content.parse()?;
            colon.to_tokens(&mut inner);
            let v = json_value(&content, &mut inner)?;
            if m.insert(k.value(), v).is_some() {
                return Err(syn::Error::new(
                    k.span(),
                    format!("duplicate key `{}`", k.value()),
                ));
            }
            if content.is_empty() {
                break;
            }
            let c: Token![,] = content.parse()?;
            c.to_tokens(&mut inner);
        }
        tokens.extend(std::iter::once(TokenTree::Group({
            let mut g = proc_macro2::Group::new(Delimiter::Brace, inner);
            g.set_span(brace.span.join());
            g
        })));
        return Ok(J::Object(m));
    }
    if input.peek(syn::token::Bracket) {
        let content;
        let br = bracketed!(content in input);
        let mut inner = TokenStream::new();
        let mut a = Vec::new();
        while !content.is_empty() {
            a.push(json_value(&content, &mut inner)?);
            if content.is_empty() {
                break;
            }
            let c: Token![,] = content.parse()?;
            c.to_tokens(&mut inner);
        }
        tokens.extend(std::iter::once(TokenTree::Group({
            let mut g = proc_macro2::Group::new(Delimiter::Bracket, inner);
            g.set_span(br.span.join());
            g
        })));
        return Ok(J::Array(a));
    }
    if input.peek(Token![-]) {
        let m: Token![-] = input.parse()?;
        m.to_tokens(tokens);
        let lit: syn::Lit = input.parse()?;
        lit.to_tokens(tokens);
        return number(&format!("-{}", lit_digits(&lit)?), &lit);
    }
    if input.peek(Ident::peek_any) {
        let i = Ident::parse_any(input)?;
        i.to_tokens(tokens);
        return match i.to_string().as_str() {
            "null" => Ok(J::Null),
            "true" => Ok(J::Bool(true)),
            "false" => Ok(J::Bool(false)),
            other => Err(syn::Error::new(
                i.span(),
                format!("expected a JSON value, found `{other}`"),
            )),
        };
    }
    let lit: syn::Lit = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a JSON value: a string, number, `true`, `false`, `null`, `{…}` or `[…]`",
        )
    })?;
    lit.to_tokens(tokens);
    match &lit {
        syn::Lit::Str(s) => Ok(J::String(s.value())),
        syn::Lit::Bool(b) => Ok(J::Bool(b.value)),
        syn::Lit::Int(_) | syn::Lit::Float(_) => number(&lit_digits(&lit)?, &lit),
        _ => Err(syn::Error::new(lit.span(), "expected a JSON value")),
    }
}

fn lit_digits(lit: &syn::Lit) -> syn::Result<String> {
    match lit {
        syn::Lit::Int(i) if i.suffix().is_empty() => Ok(i.base10_digits().to_string()),
        syn::Lit::Float(f) if f.suffix().is_empty() => Ok(f.base10_digits().to_string()),
        _ => Err(syn::Error::new(
            lit.span(),
            "expected a number without a suffix",
        )),
    }
}

fn number(text: &str, lit: &syn::Lit) -> syn::Result<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(serde_json::Value::is_number)
        .ok_or_else(|| syn::Error::new(lit.span(), format!("`{text}` is not a JSON number")))
}

// ---- Choice conditions -------------------------------------------------------------------------

fn peek_path_call(input: ParseStream) -> bool {
    input.peek(Ident::peek_any) && input.peek2(syn::token::Paren) && peek_word(input, "path")
}

/// `$.a.b` or `path("$.odd-name")` in operand position.
fn parse_operand_path(input: ParseStream) -> syn::Result<PathExpr> {
    if peek_path_call(input) {
        Ident::parse_any(input)?;
        let content;
        parenthesized!(content in input);
        let l: LitStr = content.parse()?;
        return Ok(PathExpr {
            text: l.value(),
            tokens: l.to_token_stream(),
        });
    }
    parse_path(input)
}

fn parse_or(input: ParseStream) -> syn::Result<Cond> {
    let mut items = vec![parse_and(input)?];
    while input.peek(Token![||]) {
        input.parse::<Token![||]>()?;
        items.push(parse_and(input)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Cond::Or(items)
    })
}

fn parse_and(input: ParseStream) -> syn::Result<Cond> {
    let mut items = vec![parse_unary(input)?];
    while input.peek(Token![&&]) {
        input.parse::<Token![&&]>()?;
        items.push(parse_unary(input)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Cond::And(items)
    })
}

fn parse_unary(input: ParseStream) -> syn::Result<Cond> {
    if input.peek(Token![!]) && !input.peek(Token![!=]) {
        input.parse::<Token![!]>()?;
        return Ok(Cond::Not(Box::new(parse_unary(input)?)));
    }
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        return parse_or(&content);
    }
    if input.peek(LitStr) && !is_path_literal(input) {
        let l: LitStr = input.parse()?;
        return Ok(Cond::Jsonata(l));
    }
    if input.peek(syn::LitBool) {
        return Ok(Cond::Constant(input.parse()?));
    }
    if (peek_word(input, "all") || peek_word(input, "any")) && input.peek2(syn::token::Paren) {
        let w = Ident::parse_any(input)?;
        let content;
        parenthesized!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(parse_or(&content)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(Cond::List {
            all: w == "all",
            items,
        });
    }
    let var = parse_path(input)?;
    if peek_word(input, "matches") {
        let w = Ident::parse_any(input)?;
        let l: LitStr = input.parse()?;
        return Ok(Cond::Compare {
            var,
            op: "StringMatches".into(),
            rhs: Operand::Literal(serde_json::Value::String(l.value()), l.to_token_stream()),
            op_tokens: w.to_token_stream(),
        });
    }
    if peek_word(input, "is") {
        let w = Ident::parse_any(input)?;
        let mut yes = true;
        let mut op_tokens = w.to_token_stream();
        if peek_word(input, "not") {
            let n = Ident::parse_any(input)?;
            n.to_tokens(&mut op_tokens);
            yes = false;
        }
        let t = Ident::parse_any(input)?;
        t.to_tokens(&mut op_tokens);
        let op = match t.to_string().as_str() {
            "present" => "IsPresent",
            "null" => "IsNull",
            "numeric" => "IsNumeric",
            "string" => "IsString",
            "boolean" => "IsBoolean",
            "timestamp" => "IsTimestamp",
            other => {
                return Err(syn::Error::new(
                    t.span(),
                    format!("unknown type test `{other}`; expected `present`, `null`, `numeric`, `string`, `boolean` or `timestamp`"),
                ))
            }
        };
        return Ok(Cond::Compare {
            var,
            op: op.into(),
            rhs: Operand::Literal(serde_json::Value::Bool(yes), op_tokens.clone()),
            op_tokens,
        });
    }
    let (sym, op_tokens) = if input.peek(Token![==]) {
        ("==", input.parse::<Token![==]>()?.to_token_stream())
    } else if input.peek(Token![!=]) {
        ("!=", input.parse::<Token![!=]>()?.to_token_stream())
    } else if input.peek(Token![<=]) {
        ("<=", input.parse::<Token![<=]>()?.to_token_stream())
    } else if input.peek(Token![>=]) {
        (">=", input.parse::<Token![>=]>()?.to_token_stream())
    } else if input.peek(Token![<]) {
        ("<", input.parse::<Token![<]>()?.to_token_stream())
    } else if input.peek(Token![>]) && !input.peek(Token![=>]) {
        (">", input.parse::<Token![>]>()?.to_token_stream())
    } else {
        return Err(input.error("expected a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`), `matches \"…\"` or `is present`/`is null`/…"));
    };
    // The operand decides the type: "text" → String, 3 → Numeric, true → Boolean,
    // timestamp("…") → Timestamp; a path compares numerically unless wrapped: string($.x),
    // timestamp($.x), boolean($.x).
    // A string literal is always a value here; a path is written as tokens (`$.b`) or `path("$.b")`.
    let (family, rhs) = if input.peek(Token![$]) || peek_path_call(input) {
        ("Numeric", Operand::Path(parse_operand_path(input)?))
    } else if input.peek(Ident::peek_any) && input.peek2(syn::token::Paren) {
        let f = Ident::parse_any(input)?;
        let content;
        parenthesized!(content in input);
        let family = match f.to_string().as_str() {
            "string" => "String",
            "number" => "Numeric",
            "timestamp" => "Timestamp",
            "boolean" => "Boolean",
            other => {
                return Err(syn::Error::new(
                    f.span(),
                    format!("unknown operand type `{other}`; expected `string`, `number`, `timestamp`, `boolean` or `path`"),
                ))
            }
        };
        if content.peek(Token![$]) || peek_path_call(&content) {
            (family, Operand::Path(parse_operand_path(&content)?))
        } else {
            let v = parse_json(&content)?;
            (family, Operand::Literal(v.json, v.tokens))
        }
    } else {
        let v = parse_json(input)?;
        let family = match &v.json {
            serde_json::Value::String(_) => "String",
            serde_json::Value::Number(_) => "Numeric",
            serde_json::Value::Bool(_) => "Boolean",
            _ => {
                return Err(syn::Error::new_spanned(
                    v.tokens,
                    "expected a string, number or boolean to compare with",
                ))
            }
        };
        (family, Operand::Literal(v.json, v.tokens))
    };
    let suffix = match sym {
        "==" | "!=" => "Equals",
        "<" => "LessThan",
        "<=" => "LessThanEquals",
        ">" => "GreaterThan",
        _ => "GreaterThanEquals",
    };
    if family == "Boolean" && suffix != "Equals" {
        return Err(syn::Error::new_spanned(
            op_tokens,
            "booleans compare only with `==` or `!=`",
        ));
    }
    let cmp = Cond::Compare {
        var,
        op: format!("{family}{suffix}"),
        rhs,
        op_tokens,
    };
    Ok(if sym == "!=" {
        Cond::Not(Box::new(cmp))
    } else {
        cmp
    })
}
