//! Semantic rules over a read [`StateMachine`]: state targets, reachability, termination,
//! unique names, Retry/Catch rules. Every problem is reported, each with its location.
//!
//! Shape rules (fields, types, syntax of paths and intrinsic calls) are checked while reading,
//! in [`crate::parse`]; together they form the one validator used by the macro and the runtime.

use crate::diagnostic::{did_you_mean, Diagnostic, DiagnosticKind as K, Location};
use crate::errors::PredefinedError;
use crate::model::*;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet, VecDeque};

/// The longest state name Step Functions accepts.
pub const MAX_STATE_NAME_CHARS: usize = 80;

/// Runs every semantic rule; an empty result means the machine is valid.
pub fn validate(sm: &StateMachine) -> Vec<Diagnostic> {
    let mut everywhere = HashMap::new();
    collect_scopes(&sm.states, &Location::root(), &mut everywhere);
    let mut v = Validator {
        diags: Vec::new(),
        seen: HashMap::new(),
        everywhere,
    };
    v.scope(&sm.start_at, &sm.states, &Location::root());
    v.diags
}

/// Records, for every state name, the location of the scope (`…States`) that first defines it.
fn collect_scopes(
    states: &IndexMap<String, State>,
    loc: &Location,
    out: &mut HashMap<String, Location>,
) {
    let states_loc = loc.key("States");
    for (name, st) in states {
        out.entry(name.clone())
            .or_insert_with(|| states_loc.clone());
        let sloc = states_loc.key(name);
        match &st.kind {
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    collect_scopes(&b.states, &sloc.key("Branches").index(i), out);
                }
            }
            StateKind::Map(m) => {
                collect_scopes(&m.processor.states, &sloc.key(processor_key(m)), out)
            }
            _ => {}
        }
    }
}

/// The field that holds a Map state's processor, as written.
fn processor_key(m: &MapState) -> &'static str {
    if m.legacy_iterator {
        "Iterator"
    } else {
        "ItemProcessor"
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
    /// Every state name defined so far, with where it was defined (names are machine-wide).
    seen: HashMap<String, Location>,
    /// Every state name of the machine, with the scope that defines it.
    everywhere: HashMap<String, Location>,
}

impl Validator {
    fn scope(&mut self, start_at: &str, states: &IndexMap<String, State>, loc: &Location) {
        let names: Vec<&str> = states.keys().map(String::as_str).collect();
        let states_loc = loc.key("States");
        // An empty `StartAt` was already reported by the reader.
        if !states.contains_key(start_at) && !states.is_empty() && !start_at.is_empty() {
            self.unknown(loc.key("StartAt"), "StartAt", start_at, &names);
        }
        for (name, st) in states {
            let sloc = states_loc.key(name);
            self.name(name, &sloc);
            for (target, via) in st.successors() {
                if !states.contains_key(target) {
                    let (field_loc, field) = match via {
                        Successor::Next => (sloc.key("Next"), "Next".to_string()),
                        Successor::Default => (sloc.key("Default"), "Default".to_string()),
                        Successor::Choice(i) => (
                            sloc.key("Choices").index(i).key("Next"),
                            format!("Choices[{i}].Next"),
                        ),
                        Successor::Catch(i) => (
                            sloc.key("Catch").index(i).key("Next"),
                            format!("Catch[{i}].Next"),
                        ),
                    };
                    self.unknown(field_loc, &field, target, &names);
                }
            }
            self.state(name, st, &sloc);
        }
        self.graph(start_at, states, &states_loc);
    }

    /// A target must be defined in the same scope: no jumps into or out of a Parallel branch or a
    /// Map processor. A target defined in another scope gets a message that says so.
    fn unknown(&mut self, loc: Location, field: &str, target: &str, names: &[&str]) {
        let d = match self.everywhere.get(target) {
            Some(scope) => Diagnostic::new(
                K::UnknownState,
                loc,
                format!("`{field}` names the state `{target}`, which is defined in another scope (`{scope}`)"),
            )
            .with_help("a transition cannot jump into or out of a Parallel branch or a Map processor"),
            None => Diagnostic::new(K::UnknownState, loc, format!("`{field}` names the state `{target}`, which does not exist in this scope")),
        };
        let d = match did_you_mean(target, names.iter().copied()) {
            Some(s) if d.help.is_none() => d.with_help(format!("did you mean `{s}`?")),
            _ => d,
        };
        self.diags.push(d);
    }

    fn name(&mut self, name: &str, loc: &Location) {
        if name.chars().count() > MAX_STATE_NAME_CHARS {
            self.diags.push(Diagnostic::new(
                K::Range,
                loc.clone(),
                format!("the state name `{name}` is {} characters long; at most {MAX_STATE_NAME_CHARS} are allowed", name.chars().count()),
            ));
        }
        if name.is_empty() {
            self.diags.push(Diagnostic::new(
                K::Rule,
                loc.clone(),
                "a state name cannot be empty",
            ));
        }
        if let Some(first) = self.seen.get(name) {
            self.diags.push(Diagnostic::new(
                K::DuplicateState,
                loc.clone(),
                format!("the state name `{name}` is already used at `{first}`; state names must be unique across the whole machine"),
            ));
        } else {
            self.seen.insert(name.to_string(), loc.clone());
        }
    }

    fn state(&mut self, _name: &str, st: &State, loc: &Location) {
        if let Some((retry, catch)) = st.error_handling() {
            for (i, r) in retry.iter().enumerate() {
                self.error_list(
                    &r.error_equals,
                    &loc.key("Retry").index(i),
                    i + 1 == retry.len(),
                    "Retry",
                );
            }
            for (i, c) in catch.iter().enumerate() {
                self.error_list(
                    &c.error_equals,
                    &loc.key("Catch").index(i),
                    i + 1 == catch.len(),
                    "Catch",
                );
            }
        }
        match &st.kind {
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    self.scope(&b.start_at, &b.states, &loc.key("Branches").index(i));
                }
            }
            StateKind::Map(m) => {
                self.map(m, loc);
                self.scope(
                    &m.processor.start_at,
                    &m.processor.states,
                    &loc.key(processor_key(m)),
                );
            }
            _ => {}
        }
    }

    /// `ItemReader`, `ItemBatcher` and `ResultWriter` exist only for a Distributed Map
    /// (`"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}}`).
    ///
    /// `ToleratedFailure*` and `Label` are documented for Distributed Map too, but whether AWS
    /// rejects them in an inline Map is unconfirmed, so they are accepted (and ignored) there.
    fn map(&mut self, m: &MapState, loc: &Location) {
        if let Some(label) = &m.label {
            if let Some(problem) = crate::names::name_problem(label, crate::names::LABEL_MAX) {
                self.diags.push(Diagnostic::new(
                    K::Rule,
                    loc.key("Label"),
                    format!("`Label` is not a valid label: {problem}"),
                ));
            }
        }
        if m.mode() == MapMode::Distributed {
            return;
        }
        let fields = [
            ("ItemReader", m.item_reader.is_some()),
            ("ItemBatcher", m.item_batcher.is_some()),
            ("ResultWriter", m.result_writer.is_some()),
        ];
        for (field, present) in fields {
            if present {
                self.diags.push(
                    Diagnostic::new(
                        K::Rule,
                        loc.key(field),
                        format!("`{field}` is only allowed in a Map state in DISTRIBUTED mode"),
                    )
                    .with_help(format!(
                        "set `\"ProcessorConfig\": {{\"Mode\": \"DISTRIBUTED\"}}` in `{}`",
                        processor_key(m)
                    )),
                );
            }
        }
    }

    /// `States.ALL` must be alone in its `ErrorEquals` and in the last retrier or catcher.
    fn error_list(&mut self, errors: &[String], loc: &Location, is_last: bool, field: &str) {
        for (j, e) in errors.iter().enumerate() {
            let eloc = loc.key("ErrorEquals").index(j);
            if PredefinedError::parse(e) == Some(PredefinedError::All) {
                if errors.len() > 1 {
                    self.diags.push(Diagnostic::new(
                        K::Rule,
                        eloc.clone(),
                        "`States.ALL` must appear alone in `ErrorEquals`",
                    ));
                }
                if !is_last {
                    self.diags.push(Diagnostic::new(
                        K::Rule,
                        eloc,
                        format!("`States.ALL` must be in the last element of `{field}`"),
                    ));
                }
            } else if e.starts_with("States.") && PredefinedError::parse(e).is_none() {
                let mut d = Diagnostic::new(K::Rule, eloc, format!("unknown predefined error `{e}`; names starting with `States.` are reserved"));
                if let Some(s) =
                    did_you_mean(e, PredefinedError::ALL_NAMES.iter().map(|p| p.as_str()))
                {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
    }

    /// Every state is reachable from `StartAt`, and from every state a terminal state is reachable.
    fn graph(&mut self, start_at: &str, states: &IndexMap<String, State>, states_loc: &Location) {
        if !states.contains_key(start_at) {
            return;
        }
        let mut reached: HashSet<&str> = HashSet::new();
        let mut queue = VecDeque::from([start_at]);
        reached.insert(start_at);
        while let Some(n) = queue.pop_front() {
            for (t, _) in states[n].successors() {
                if states.contains_key(t) && reached.insert(t) {
                    queue.push_back(t);
                }
            }
        }
        for name in states.keys() {
            if !reached.contains(name.as_str()) {
                self.diags.push(Diagnostic::new(
                    K::Unreachable,
                    states_loc.key(name),
                    format!("the state `{name}` is unreachable: no `StartAt`, `Next`, `Default` or catcher leads to it"),
                ));
            }
        }
        // Backwards from terminal states: which states can reach an end?
        let mut preds: HashMap<&str, Vec<&str>> = HashMap::new();
        for (n, st) in states {
            for (t, _) in st.successors() {
                preds.entry(t).or_default().push(n);
            }
        }
        let mut ends: HashSet<&str> = states
            .iter()
            .filter(|(_, s)| s.is_terminal())
            .map(|(n, _)| n.as_str())
            .collect();
        let mut queue: VecDeque<&str> = ends.iter().copied().collect();
        while let Some(n) = queue.pop_front() {
            for p in preds.get(n).into_iter().flatten() {
                if ends.insert(p) {
                    queue.push_back(p);
                }
            }
        }
        for name in states.keys() {
            if reached.contains(name.as_str()) && !ends.contains(name.as_str()) {
                self.diags.push(Diagnostic::new(
                    K::NoTerminal,
                    states_loc.key(name),
                    format!("no path from the state `{name}` ever ends: it loops forever without reaching `End`, a Succeed or a Fail state"),
                ));
            }
        }
    }
}
