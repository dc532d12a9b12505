//! Draws a [`StateMachine`] as a Mermaid flowchart or a Graphviz DOT digraph.
//!
//! Both renderers share one layout model: every scope (the machine, each Parallel branch, each
//! Map processor) has a start marker and, when some state ends it, an end marker. Parallel and
//! Map states are drawn as containers holding one nested subgraph per branch or processor.
//! Edges:
//!
//! * `Next`: a plain arrow;
//! * a Choice rule: an arrow labelled with the rule, e.g. `$.total > 1000`;
//! * `Default`: an arrow labelled `default`;
//! * a catcher: a dashed arrow labelled with its error names.

use std::fmt::Write;

use indexmap::IndexMap;
use stepfn_asl::{Comparison, Condition, Operand, State, StateKind, StateMachine, Transition};

/// An output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A Mermaid `flowchart`.
    #[default]
    Mermaid,
    /// A Graphviz `digraph`.
    Dot,
}

/// Renders `sm` in the given format.
pub fn render(sm: &StateMachine, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(sm),
        Format::Dot => dot(sm),
    }
}

/// A readable one-line form of a Choice condition, e.g. `$.total > 1000` or
/// `$.a is present and not ($.b == 'x')`.
pub fn condition_label(c: &Condition) -> String {
    match c {
        Condition::And(cs) => join(cs, " and "),
        Condition::Or(cs) => join(cs, " or "),
        Condition::Not(c) => format!("not {}", grouped(c)),
        Condition::Compare {
            variable,
            op,
            operand,
        } => {
            let var = variable.as_str();
            if op.is_type_test() {
                let yes = matches!(operand, Operand::Literal(v) if v.as_bool() != Some(false));
                let what = match op {
                    Comparison::IsNull => "null",
                    Comparison::IsPresent => "present",
                    Comparison::IsNumeric => "numeric",
                    Comparison::IsString => "a string",
                    Comparison::IsBoolean => "a boolean",
                    _ => "a timestamp",
                };
                return format!("{var} is {}{what}", if yes { "" } else { "not " });
            }
            let name = op.name();
            let sym = if name.ends_with("LessThanEquals") {
                "<="
            } else if name.ends_with("GreaterThanEquals") {
                ">="
            } else if name.ends_with("LessThan") {
                "<"
            } else if name.ends_with("GreaterThan") {
                ">"
            } else if name.ends_with("Matches") {
                "matches"
            } else {
                "=="
            };
            let rhs = match operand {
                Operand::Path(p) => p.as_str().to_string(),
                Operand::Literal(serde_json::Value::String(s)) => format!("'{s}'"),
                Operand::Literal(v) => v.to_string(),
            };
            format!("{var} {sym} {rhs}")
        }
        Condition::Jsonata(e) => e.source.clone(),
        Condition::Constant(b) => b.to_string(),
    }
}

fn join(cs: &[Condition], sep: &str) -> String {
    cs.iter().map(grouped).collect::<Vec<_>>().join(sep)
}

/// A sub-condition, parenthesised when it combines others.
fn grouped(c: &Condition) -> String {
    match c {
        Condition::And(cs) | Condition::Or(cs) if cs.len() > 1 => {
            format!("({})", condition_label(c))
        }
        Condition::Not(_) => format!("({})", condition_label(c)),
        _ => condition_label(c),
    }
}

// ---- layout model ----

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `Next`, a Choice rule, `Default`, start and end.
    Solid,
    /// A catcher.
    Dashed,
}

#[derive(Debug)]
struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Box,
    Diamond,
    Succeed,
    Fail,
}

/// A state of a scope: a plain node, or a Parallel/Map container.
#[derive(Debug)]
enum Item {
    Node {
        id: String,
        name: String,
        shape: Shape,
    },
    Container {
        id: String,
        name: String,
        kind: &'static str,
        scopes: Vec<Scope>,
    },
}

/// A machine, a branch or a processor.
#[derive(Debug)]
struct Scope {
    /// Prefix of this scope's marker ids (`root`, `s3_b0`, `s5_p`).
    id: String,
    /// The subgraph title (`None` for the machine itself).
    title: Option<String>,
    items: Vec<Item>,
    /// The id of the `StartAt` state, if it exists.
    first: Option<String>,
    /// True when some state of the scope ends it.
    has_end: bool,
}

impl Scope {
    fn start_id(&self) -> String {
        format!("{}_start", self.id)
    }
    fn end_id(&self) -> String {
        format!("{}_end", self.id)
    }
}

struct Builder {
    next_id: usize,
    edges: Vec<Edge>,
}

impl Builder {
    fn scope(
        &mut self,
        id: String,
        title: Option<String>,
        start_at: &str,
        states: &IndexMap<String, State>,
    ) -> Scope {
        // Ids first, so edges can name states defined later in the scope.
        let ids: Vec<(String, String)> = states
            .keys()
            .map(|name| {
                let sid = format!("s{}", self.next_id);
                self.next_id += 1;
                (name.clone(), sid)
            })
            .collect();
        let id_of = |name: &str| ids.iter().find(|(n, _)| n == name).map(|(_, i)| i.clone());
        let mut scope = Scope {
            id,
            title,
            items: Vec::new(),
            first: id_of(start_at),
            has_end: false,
        };
        if let Some(first) = &scope.first {
            self.edges.push(Edge {
                from: scope.start_id(),
                to: first.clone(),
                label: None,
                style: Style::Solid,
            });
        }
        for ((name, st), (_, sid)) in states.iter().zip(&ids) {
            let edge = |b: &mut Builder, target: &str, label: Option<String>, style: Style| {
                if let Some(to) = id_of(target) {
                    b.edges.push(Edge {
                        from: sid.clone(),
                        to,
                        label,
                        style,
                    });
                }
            };
            match st.transition() {
                Some(Transition::Next(n)) => edge(self, n, None, Style::Solid),
                Some(Transition::End) => scope.has_end = true,
                None => {}
            }
            if let StateKind::Choice(c) = &st.kind {
                for rule in &c.choices {
                    if let Some(n) = &rule.next {
                        edge(
                            self,
                            n,
                            Some(condition_label(&rule.condition)),
                            Style::Solid,
                        );
                    }
                }
                if let Some(d) = &c.default {
                    edge(self, d, Some("default".into()), Style::Solid);
                }
            }
            if let Some((_, catchers)) = st.error_handling() {
                for c in catchers {
                    edge(
                        self,
                        &c.next,
                        Some(c.error_equals.join(", ")),
                        Style::Dashed,
                    );
                }
            }
            let item = match &st.kind {
                StateKind::Parallel(p) => {
                    let scopes = p
                        .branches
                        .iter()
                        .enumerate()
                        .map(|(i, b)| {
                            self.scope(
                                format!("{sid}_b{i}"),
                                Some(format!("branch {}", i + 1)),
                                &b.start_at,
                                &b.states,
                            )
                        })
                        .collect();
                    Item::Container {
                        id: sid.clone(),
                        name: name.clone(),
                        kind: "Parallel",
                        scopes,
                    }
                }
                StateKind::Map(m) => {
                    let title = format!(
                        "for each item (max concurrency {})",
                        describe_concurrency(m)
                    );
                    let scopes = vec![self.scope(
                        format!("{sid}_p"),
                        Some(title),
                        &m.processor.start_at,
                        &m.processor.states,
                    )];
                    Item::Container {
                        id: sid.clone(),
                        name: name.clone(),
                        kind: "Map",
                        scopes,
                    }
                }
                StateKind::Choice(_) => node(sid, name, Shape::Diamond),
                StateKind::Succeed => {
                    scope.has_end = true;
                    node(sid, name, Shape::Succeed)
                }
                StateKind::Fail(_) => {
                    scope.has_end = true;
                    node(sid, name, Shape::Fail)
                }
                _ => node(sid, name, Shape::Box),
            };
            if st.is_terminal() {
                let end = scope.end_id();
                self.edges.push(Edge {
                    from: sid.clone(),
                    to: end,
                    label: None,
                    style: Style::Solid,
                });
            }
            scope.items.push(item);
        }
        scope
    }
}

fn describe_concurrency(m: &stepfn_asl::MapState) -> String {
    match &m.max_concurrency {
        Some(stepfn_asl::Expr::Literal(0)) | None if m.max_concurrency_path.is_none() => {
            "unlimited".into()
        }
        Some(stepfn_asl::Expr::Literal(n)) => n.to_string(),
        _ => "dynamic".into(),
    }
}

fn node(id: &str, name: &str, shape: Shape) -> Item {
    Item::Node {
        id: id.to_string(),
        name: name.to_string(),
        shape,
    }
}

fn layout(sm: &StateMachine) -> (Scope, Vec<Edge>) {
    let mut b = Builder {
        next_id: 0,
        edges: Vec::new(),
    };
    let root = b.scope("root".into(), None, &sm.start_at, &sm.states);
    (root, b.edges)
}

// ---- Mermaid ----

/// Escapes text for a quoted Mermaid label: `"` and `#` become entity codes.
fn mermaid_text(s: &str) -> String {
    s.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('\n', " ")
}

/// Renders a Mermaid `flowchart`: Parallel and Map states are subgraphs, catchers dashed.
pub fn mermaid(sm: &StateMachine) -> String {
    let (root, edges) = layout(sm);
    let mut out = String::from("flowchart TD\n");
    let mut fails = Vec::new();
    let mut succeeds = Vec::new();
    mermaid_scope(&root, 1, &mut out, &mut fails, &mut succeeds);
    for e in &edges {
        let arrow = match e.style {
            Style::Dashed => "-.->",
            Style::Solid => "-->",
        };
        match &e.label {
            Some(l) => writeln!(
                out,
                "    {} {arrow}|\"{}\"| {}",
                e.from,
                mermaid_text(l),
                e.to
            ),
            None => writeln!(out, "    {} {arrow} {}", e.from, e.to),
        }
        .ok();
    }
    out.push_str("    classDef marker fill:#444,stroke:#444,color:#fff\n");
    out.push_str("    classDef succeed fill:#d4f7d4,stroke:#2e7d32\n");
    out.push_str("    classDef fail fill:#fbd5d5,stroke:#c62828\n");
    if !succeeds.is_empty() {
        writeln!(out, "    class {} succeed", succeeds.join(",")).ok();
    }
    if !fails.is_empty() {
        writeln!(out, "    class {} fail", fails.join(",")).ok();
    }
    out
}

fn mermaid_scope(
    scope: &Scope,
    depth: usize,
    out: &mut String,
    fails: &mut Vec<String>,
    succeeds: &mut Vec<String>,
) {
    let pad = "    ".repeat(depth);
    writeln!(out, "{pad}{}((\"start\")):::marker", scope.start_id()).ok();
    for item in &scope.items {
        match item {
            Item::Node { id, name, shape } => {
                let name = mermaid_text(name);
                let text = match shape {
                    Shape::Box => format!("{id}[\"{name}\"]"),
                    Shape::Diamond => format!("{id}{{\"{name}\"}}"),
                    Shape::Succeed => {
                        succeeds.push(id.clone());
                        format!("{id}([\"{name}\"])")
                    }
                    Shape::Fail => {
                        fails.push(id.clone());
                        format!("{id}([\"{name}\"])")
                    }
                };
                writeln!(out, "{pad}{text}").ok();
            }
            Item::Container {
                id,
                name,
                kind,
                scopes,
            } => {
                writeln!(
                    out,
                    "{pad}subgraph {id}[\"{} ({kind})\"]",
                    mermaid_text(name)
                )
                .ok();
                writeln!(out, "{pad}    direction TB").ok();
                for s in scopes {
                    writeln!(
                        out,
                        "{pad}    subgraph {}[\"{}\"]",
                        s.id,
                        mermaid_text(s.title.as_deref().unwrap_or_default())
                    )
                    .ok();
                    mermaid_scope(s, depth + 2, out, fails, succeeds);
                    writeln!(out, "{pad}    end").ok();
                }
                writeln!(out, "{pad}end").ok();
            }
        }
    }
    if scope.has_end {
        writeln!(out, "{pad}{}((\"end\")):::marker", scope.end_id()).ok();
    }
}

// ---- DOT ----

/// Escapes text for a double-quoted DOT string.
fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders a Graphviz `digraph`: Parallel and Map states are clusters (a header node holding
/// the state's own edges, and one nested cluster per branch), catchers dashed.
pub fn dot(sm: &StateMachine) -> String {
    let (root, edges) = layout(sm);
    let mut out = String::from("digraph \"state machine\" {\n");
    out.push_str("    compound=true;\n    rankdir=TB;\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
    let mut containers = Vec::new();
    dot_scope(&root, 1, &mut out, &mut containers);
    for e in &edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", dot_text(l)));
        }
        if e.style == Style::Dashed {
            attrs.push("style=dashed".into());
        }
        // An edge leaving a container starts at the cluster's border.
        if containers.contains(&e.from) {
            attrs.push(format!("ltail=\"cluster_{}\"", e.from));
        }
        if containers.contains(&e.to) {
            attrs.push(format!("lhead=\"cluster_{}\"", e.to));
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        writeln!(out, "    \"{}\" -> \"{}\"{attrs};", e.from, e.to).ok();
    }
    out.push_str("}\n");
    out
}

fn dot_scope(scope: &Scope, depth: usize, out: &mut String, containers: &mut Vec<String>) {
    let pad = "    ".repeat(depth);
    writeln!(
        out,
        "{pad}\"{}\" [shape=point, width=0.15, label=\"\"];",
        scope.start_id()
    )
    .ok();
    for item in &scope.items {
        match item {
            Item::Node { id, name, shape } => {
                let extra = match shape {
                    Shape::Box => "",
                    Shape::Diamond => ", shape=diamond, style=\"\"",
                    Shape::Succeed => ", style=\"rounded,filled\", fillcolor=\"#d4f7d4\"",
                    Shape::Fail => ", style=\"rounded,filled\", fillcolor=\"#fbd5d5\"",
                };
                writeln!(out, "{pad}\"{id}\" [label=\"{}\"{extra}];", dot_text(name)).ok();
            }
            Item::Container {
                id,
                name,
                kind,
                scopes,
            } => {
                containers.push(id.clone());
                writeln!(out, "{pad}subgraph \"cluster_{id}\" {{").ok();
                writeln!(out, "{pad}    label=\"{} ({kind})\";", dot_text(name)).ok();
                writeln!(out, "{pad}    style=rounded;").ok();
                writeln!(
                    out,
                    "{pad}    \"{id}\" [label=\"{}\", style=\"rounded,bold\"];",
                    dot_text(name)
                )
                .ok();
                for s in scopes {
                    writeln!(out, "{pad}    subgraph \"cluster_{}\" {{", s.id).ok();
                    writeln!(
                        out,
                        "{pad}        label=\"{}\";",
                        dot_text(s.title.as_deref().unwrap_or_default())
                    )
                    .ok();
                    writeln!(out, "{pad}        style=dashed;").ok();
                    dot_scope(s, depth + 2, out, containers);
                    writeln!(out, "{pad}    }}").ok();
                    // The header leads into each branch.
                    writeln!(
                        out,
                        "{pad}    \"{id}\" -> \"{}\" [style=dotted, arrowhead=none];",
                        s.start_id()
                    )
                    .ok();
                }
                writeln!(out, "{pad}}}").ok();
            }
        }
    }
    if scope.has_end {
        writeln!(
            out,
            "{pad}\"{}\" [shape=doublecircle, width=0.12, label=\"\"];",
            scope.end_id()
        )
        .ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine(v: serde_json::Value) -> StateMachine {
        StateMachine::from_json(&v).unwrap_or_else(|d| panic!("{d:?}"))
    }

    fn sample() -> StateMachine {
        machine(json!({"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.total", "NumericGreaterThan": 1000, "Next": "Review"},
                {"And": [{"Variable": "$.tier", "StringEquals": "gold"}, {"Variable": "$.vip", "IsPresent": true}], "Next": "Fan"}
            ], "Default": "Ship"},
            "Review": {"Type": "Task", "Resource": "arn:x", "Next": "Ship",
                "Catch": [{"ErrorEquals": ["Timeout", "States.TaskFailed"], "Next": "Failed"}]},
            "Fan": {"Type": "Parallel", "Next": "Ship", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "End": true}}}
            ]},
            "Ship": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 5, "Next": "Done",
                "ItemProcessor": {"StartAt": "Pack", "States": {"Pack": {"Type": "Pass", "End": true}}}},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "ReviewFailed"}
        }}))
    }

    fn cond(v: serde_json::Value) -> String {
        let mut rule = v;
        rule["Next"] = json!("D");
        let sm = machine(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [rule]},
            "D": {"Type": "Succeed"}
        }}));
        match &sm.states["C"].kind {
            StateKind::Choice(c) => condition_label(&c.choices[0].condition),
            _ => unreachable!(),
        }
    }

    #[test]
    fn condition_labels() {
        assert_eq!(
            cond(json!({"Variable": "$.total", "NumericGreaterThan": 1000})),
            "$.total > 1000"
        );
        assert_eq!(
            cond(json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.max"})),
            "$.n <= $.max"
        );
        assert_eq!(
            cond(json!({"Variable": "$.s", "StringEquals": "gold"})),
            "$.s == 'gold'"
        );
        assert_eq!(
            cond(json!({"Variable": "$.f", "StringMatches": "*.txt"})),
            "$.f matches '*.txt'"
        );
        assert_eq!(
            cond(json!({"Variable": "$.x", "IsPresent": false})),
            "$.x is not present"
        );
        assert_eq!(
            cond(json!({"Variable": "$.b", "BooleanEquals": true})),
            "$.b == true"
        );
        assert_eq!(
            cond(
                json!({"Or": [{"Variable": "$.a", "IsNull": true}, {"Not": {"Variable": "$.t", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"}}]})
            ),
            "$.a is null or (not $.t >= '2024-01-01T00:00:00Z')"
        );
        assert_eq!(
            cond(
                json!({"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Or": [{"Variable": "$.b", "IsString": true}, {"Variable": "$.c", "IsNumeric": true}]}]})
            ),
            "$.a == 1 and ($.b is a string or $.c is numeric)"
        );
    }

    #[test]
    fn jsonata_condition_label() {
        let sm = machine(
            json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.total > 1000 %}", "Next": "D"}]},
                "D": {"Type": "Succeed"}
            }}),
        );
        let m = mermaid(&sm);
        assert!(
            m.contains("s0 -->|\"$states.input.total > 1000\"| s1"),
            "{m}"
        );
    }

    #[test]
    fn mermaid_flowchart() {
        let m = mermaid(&sample());
        assert!(m.starts_with("flowchart TD\n"), "{m}");
        // Choice as a diamond, rules and default labelled.
        assert!(m.contains("s0{\"Check\"}"), "{m}");
        assert!(m.contains("s0 -->|\"$.total > 1000\"| s1"), "{m}");
        assert!(
            m.contains("s0 -->|\"$.tier == 'gold' and $.vip is present\"| s2"),
            "{m}"
        );
        assert!(m.contains("s0 -->|\"default\"| s3"), "{m}");
        // Catch edges are dashed and carry the error names.
        assert!(
            m.contains("s1 -.->|\"Timeout, States.TaskFailed\"| s5"),
            "{m}"
        );
        // Parallel branches and the Map processor are nested subgraphs.
        assert!(m.contains("subgraph s2[\"Fan (Parallel)\"]"), "{m}");
        assert!(m.contains("subgraph s2_b0[\"branch 1\"]"), "{m}");
        assert!(m.contains("subgraph s2_b1[\"branch 2\"]"), "{m}");
        assert!(m.contains("subgraph s3[\"Ship (Map)\"]"), "{m}");
        assert!(
            m.contains("subgraph s3_p[\"for each item (max concurrency 5)\"]"),
            "{m}"
        );
        // Containers take their own Next edges; inner states end their branch.
        assert!(m.contains("s2 --> s3"), "{m}");
        assert!(m.contains("s6 --> s2_b0_end"), "{m}");
        assert!(m.contains("root_start --> s0"), "{m}");
        assert!(m.contains("s4 --> root_end"), "{m}");
        assert!(m.contains("class s4 succeed"), "{m}");
        assert!(m.contains("class s5 fail"), "{m}");
        // Every `subgraph` is closed.
        assert_eq!(
            m.matches("subgraph ").count(),
            m.lines().filter(|l| l.trim() == "end").count()
        );
    }

    #[test]
    fn dot_digraph() {
        let d = dot(&sample());
        assert!(d.starts_with("digraph \"state machine\" {\n"), "{d}");
        assert!(d.trim_end().ends_with('}'));
        assert!(d.contains("\"s0\" [label=\"Check\", shape=diamond"), "{d}");
        assert!(
            d.contains("\"s0\" -> \"s1\" [label=\"$.total > 1000\"];"),
            "{d}"
        );
        assert!(
            d.contains("\"s0\" -> \"s3\" [label=\"default\", lhead=\"cluster_s3\"];"),
            "{d}"
        );
        assert!(
            d.contains("\"s1\" -> \"s5\" [label=\"Timeout, States.TaskFailed\", style=dashed];"),
            "{d}"
        );
        assert!(d.contains("subgraph \"cluster_s2\" {"), "{d}");
        assert!(d.contains("subgraph \"cluster_s2_b1\" {"), "{d}");
        assert!(d.contains("subgraph \"cluster_s3_p\" {"), "{d}");
        assert!(
            d.contains("\"s2\" -> \"s3\" [ltail=\"cluster_s2\", lhead=\"cluster_s3\"];"),
            "{d}"
        );
        assert_eq!(d.matches('{').count(), d.matches('}').count());
    }

    #[test]
    fn names_are_escaped() {
        let sm = machine(
            json!({"StartAt": "Say \"hi\" #1", "States": {"Say \"hi\" #1": {"Type": "Pass", "End": true}}}),
        );
        assert!(mermaid(&sm).contains("s0[\"Say #quot;hi#quot; #35;1\"]"));
        assert!(dot(&sm).contains("\"s0\" [label=\"Say \\\"hi\\\" #1\"];"));
    }

    #[test]
    fn render_picks_the_format() {
        let sm = sample();
        assert_eq!(render(&sm, Format::Mermaid), mermaid(&sm));
        assert_eq!(render(&sm, Format::Dot), dot(&sm));
    }
}
