//! The plan of a state machine, built once when an [`Interpreter`](super::Interpreter) is made:
//! every scope (the top level, each Parallel branch, each Map processor) holds its states in a
//! vector addressed by [`StateId`], every transition (`StartAt`, `Next`, Choice rules and
//! `Default`, catchers) is resolved to one, child scopes are referenced by [`ScopeId`], and facts
//! of the whole machine are computed from the model. The interpreter runs over it: a state says
//! which of its transitions it took ([`Next`]) and the plan says where that leads, so no state is
//! looked up by name while an execution runs (a durable checkpoint names its state; it is resolved
//! once, when its frame restarts).

use crate::error::StatesError;
use indexmap::IndexMap;
use stepfn_asl::{QueryLanguage, State, StateKind, StateMachine, Transition};

/// Which of its transitions a state took (the interpreter and the compiled form alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Its `Next` (or `End`).
    Normal,
    /// A Choice rule matched (its index) or the Default was taken (`None`).
    Choice(Option<usize>),
    /// A catcher (its index) caught an error.
    Caught(usize),
}

/// A state's position in the `States` of its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StateId(usize);

/// A scope's position in the plan (the top level is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeId(usize);

/// Where a transition leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A state of the same scope.
    State(StateId),
    /// The scope ends (`End: true`, a Succeed state).
    End,
    /// No state: the name of none in the scope, or a transition the state does not have. The
    /// validator refuses such machines; running one anyway fails with `States.Runtime`.
    Unknown,
}

/// One state's resolved transitions and facts.
#[derive(Debug)]
pub(crate) struct StatePlan {
    /// `Next` (`End` for `End: true` and Succeed).
    next: Target,
    /// A Choice state's rules' `Next`, in order.
    rules: Box<[Target]>,
    /// A Choice state's `Default`.
    default: Target,
    /// The catchers' `Next`, in order.
    catchers: Box<[Target]>,
    /// A Parallel state's branches, in order; a Map state's item processor.
    children: Box<[ScopeId]>,
    /// Pass, Choice, Succeed or Fail: the state never awaits.
    pub simple: bool,
    /// The state's query language (its own, else the machine's) is JSONata.
    pub jsonata: bool,
}

/// One scope's states, in definition order.
#[derive(Debug)]
struct ScopePlan {
    start: Target,
    states: Box<[StatePlan]>,
}

/// A machine's plan.
#[derive(Debug)]
pub(crate) struct Plan {
    scopes: Vec<ScopePlan>,
    /// Some expression reads the context object (`$$`, or `$states` in JSONata).
    pub reads_context_object: bool,
    /// A Task state is among the states, or inside a branch or an item processor.
    pub has_tasks: bool,
}

impl Plan {
    /// Resolves every scope and transition of `machine`.
    pub fn new(machine: &StateMachine) -> Self {
        let mut plan = Plan {
            scopes: Vec::new(),
            reads_context_object: machine.reads_context_object(),
            has_tasks: false,
        };
        plan.add_scope(machine, &machine.start_at, &machine.states);
        plan
    }

    /// Plans one scope (and, first, the scopes inside its states); returns its id.
    fn add_scope(
        &mut self,
        machine: &StateMachine,
        start_at: &str,
        states: &IndexMap<String, State>,
    ) -> ScopeId {
        let id = ScopeId(self.scopes.len());
        // The slot is taken now, so a scope's id is its place in depth-first order.
        self.scopes.push(ScopePlan {
            start: Target::Unknown,
            states: Box::new([]),
        });
        let resolve = |name: &str| {
            states
                .get_index_of(name)
                .map_or(Target::Unknown, |i| Target::State(StateId(i)))
        };
        let mut planned = Vec::with_capacity(states.len());
        for st in states.values() {
            let children: Box<[ScopeId]> = match &st.kind {
                StateKind::Parallel(p) => p
                    .branches
                    .iter()
                    .map(|b| self.add_scope(machine, &b.start_at, &b.states))
                    .collect(),
                StateKind::Map(m) => {
                    let p = &m.processor;
                    Box::new([self.add_scope(machine, &p.start_at, &p.states)])
                }
                StateKind::Task(_) => {
                    self.has_tasks = true;
                    Box::new([])
                }
                _ => Box::new([]),
            };
            let next = match (&st.kind, st.transition()) {
                (_, Some(Transition::Next(n))) => resolve(n),
                (_, Some(Transition::End)) | (StateKind::Succeed, None) => Target::End,
                _ => Target::Unknown,
            };
            let (rules, default) = match &st.kind {
                StateKind::Choice(c) => (
                    c.choices
                        .iter()
                        .map(|r| r.next.as_deref().map_or(Target::Unknown, resolve))
                        .collect(),
                    c.default.as_deref().map_or(Target::Unknown, resolve),
                ),
                _ => (Box::default(), Target::Unknown),
            };
            let catchers = st
                .error_handling()
                .map(|(_, catch)| catch.iter().map(|c| resolve(&c.next)).collect())
                .unwrap_or_default();
            planned.push(StatePlan {
                next,
                rules,
                default,
                catchers,
                children,
                simple: matches!(
                    st.kind,
                    StateKind::Pass(_)
                        | StateKind::Choice(_)
                        | StateKind::Succeed
                        | StateKind::Fail(_)
                ),
                jsonata: machine.effective_query_language(st) == QueryLanguage::Jsonata,
            });
        }
        self.scopes[id.0] = ScopePlan {
            start: resolve(start_at),
            states: planned.into(),
        };
        id
    }

    /// The top-level scope; `machine` is the one the plan was made from.
    pub fn top<'m>(&'m self, machine: &'m StateMachine) -> Scope<'m> {
        Scope {
            plan: self,
            id: ScopeId(0),
            states: &machine.states,
            start_at: &machine.start_at,
        }
    }
}

/// A scope of a running machine: its plan beside its states in the model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'m> {
    plan: &'m Plan,
    id: ScopeId,
    states: &'m IndexMap<String, State>,
    start_at: &'m str,
}

impl<'m> Scope<'m> {
    fn own(&self) -> Option<&'m ScopePlan> {
        self.plan.scopes.get(self.id.0)
    }

    /// The state `StartAt` names.
    pub fn start(&self) -> Result<StateId, StatesError> {
        match self.own().map(|s| s.start) {
            Some(Target::State(id)) => Ok(id),
            _ => Err(no_state(self.start_at)),
        }
    }

    /// The state named `name` (a checkpoint's).
    pub fn find(&self, name: &str) -> Option<StateId> {
        self.states.get_index_of(name).map(StateId)
    }

    /// The state at `id`, with its name, model and plan.
    #[inline(always)]
    pub fn state(&self, id: StateId) -> Result<StateAt<'m>, StatesError> {
        let planned = self.own().and_then(|s| s.states.get(id.0));
        match (self.states.get_index(id.0), planned) {
            (Some((name, state)), Some(planned)) => Ok(StateAt {
                plan: self.plan,
                name,
                state,
                planned,
            }),
            _ => Err(no_state_at(id)),
        }
    }
}

/// The error of a state index its scope does not have.
#[cold]
fn no_state_at(id: StateId) -> StatesError {
    StatesError::runtime(format!("the plan has no state #{} in this scope", id.0))
}

/// One state of a running machine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateAt<'m> {
    plan: &'m Plan,
    /// Its name.
    pub name: &'m str,
    /// Its definition.
    pub state: &'m State,
    /// Its resolved transitions and facts.
    pub planned: &'m StatePlan,
}

impl<'m> StateAt<'m> {
    /// Where the transition `next` leads: a state of the same scope, or `None` when the scope
    /// ends there.
    #[inline(always)]
    pub fn follow(&self, next: Next) -> Result<Option<StateId>, StatesError> {
        let p = self.planned;
        let target = match next {
            Next::Normal => p.next,
            Next::Choice(Some(i)) => p.rules.get(i).copied().unwrap_or(Target::Unknown),
            Next::Choice(None) => p.default,
            Next::Caught(i) => p.catchers.get(i).copied().unwrap_or(Target::Unknown),
        };
        match target {
            Target::State(id) => Ok(Some(id)),
            Target::End => Ok(None),
            Target::Unknown => Err(self.unknown(next)),
        }
    }

    /// The error of a transition that leads nowhere.
    #[cold]
    fn unknown(&self, next: Next) -> StatesError {
        let st = self.state;
        let name = match (next, &st.kind) {
            (Next::Normal, _) => match st.transition() {
                Some(Transition::Next(n)) => Some(n.as_str()),
                _ => None,
            },
            (Next::Choice(Some(i)), StateKind::Choice(c)) => {
                c.choices.get(i).and_then(|r| r.next.as_deref())
            }
            (Next::Choice(None), StateKind::Choice(c)) => c.default.as_deref(),
            (Next::Caught(i), _) => st
                .error_handling()
                .and_then(|(_, catch)| catch.get(i))
                .map(|c| c.next.as_str()),
            _ => None,
        };
        match name {
            Some(n) => no_state(n),
            None => StatesError::runtime(format!(
                "the state `{}` has no transition {next:?}",
                self.name
            )),
        }
    }

    /// Child scope `i`: a Parallel state's branch `i`, a Map state's item processor (`0`).
    pub fn child(&self, i: usize) -> Result<Scope<'m>, StatesError> {
        let branch = match &self.state.kind {
            StateKind::Parallel(p) => p.branches.get(i),
            StateKind::Map(m) if i == 0 => Some(&m.processor),
            _ => None,
        };
        match (branch, self.planned.children.get(i)) {
            (Some(b), Some(&id)) => Ok(Scope {
                plan: self.plan,
                id,
                states: &b.states,
                start_at: &b.start_at,
            }),
            _ => Err(StatesError::runtime(format!(
                "the state `{}` has no child scope #{i}",
                self.name
            ))),
        }
    }
}

/// The error of a transition to a state that does not exist.
#[cold]
fn no_state(name: &str) -> StatesError {
    StatesError::runtime(format!("the state `{name}` does not exist"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::names;
    use serde_json::json;

    fn machine() -> StateMachine {
        StateMachine::from_json(&json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Choice", "Choices": [
                    {"Variable": "$.x", "NumericEquals": 1, "Next": "P"},
                    {"Variable": "$.x", "NumericEquals": 2, "Next": "M"}
                ], "Default": "B"},
                "P": {"Type": "Parallel", "Branches": [
                    {"StartAt": "D", "States": {"D": {"Type": "Pass", "Next": "C"},
                                                 "C": {"Type": "Succeed"}}},
                    {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}
                ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}], "Next": "B"},
                "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                    "I": {"Type": "Pass", "End": true}}}, "End": true},
                "B": {"Type": "Succeed"}
            }
        }))
        .unwrap()
    }

    fn id(scope: &Scope<'_>, name: &str) -> StateId {
        scope.find(name).unwrap()
    }

    #[test]
    fn resolves_every_transition_to_its_index() {
        let m = machine();
        let plan = Plan::new(&m);
        let top = plan.top(&m);
        let a = top.state(top.start().unwrap()).unwrap();
        assert_eq!(a.name, "A");
        assert!(a.planned.simple && !a.planned.jsonata);
        assert_eq!(
            a.follow(Next::Choice(Some(0))).unwrap(),
            Some(id(&top, "P"))
        );
        assert_eq!(
            a.follow(Next::Choice(Some(1))).unwrap(),
            Some(id(&top, "M"))
        );
        assert_eq!(a.follow(Next::Choice(None)).unwrap(), Some(id(&top, "B")));
        let p = top.state(id(&top, "P")).unwrap();
        assert!(!p.planned.simple);
        assert_eq!(p.follow(Next::Normal).unwrap(), Some(id(&top, "B")));
        assert_eq!(p.follow(Next::Caught(0)).unwrap(), Some(id(&top, "B")));
        // Succeed and `End: true` end the scope.
        let b = top.state(id(&top, "B")).unwrap();
        assert_eq!(b.follow(Next::Normal).unwrap(), None);
        let map = top.state(id(&top, "M")).unwrap();
        assert_eq!(map.follow(Next::Normal).unwrap(), None);
        // Child scopes, each resolved in itself.
        let branch = p.child(0).unwrap();
        let d = branch.state(branch.start().unwrap()).unwrap();
        assert_eq!(d.name, "D");
        let c = branch
            .state(d.follow(Next::Normal).unwrap().unwrap())
            .unwrap();
        assert_eq!(c.name, "C");
        let t = p.child(1).unwrap();
        assert_eq!(t.state(t.start().unwrap()).unwrap().name, "T");
        let items = map.child(0).unwrap();
        assert_eq!(items.state(items.start().unwrap()).unwrap().name, "I");
        assert!(p.child(2).is_err() && map.child(1).is_err() && a.child(0).is_err());
        assert!(plan.has_tasks);
        assert!(!plan.reads_context_object);
    }

    #[test]
    fn a_transition_to_nowhere_is_a_runtime_error() {
        // Built directly: the validator refuses these names before a machine runs.
        let mut m = machine();
        if let StateKind::Choice(c) = &mut m.states["A"].kind {
            c.choices[0].next = Some("Nowhere".into());
            c.default = None;
        }
        m.start_at = "Missing".into();
        let plan = Plan::new(&m);
        let top = plan.top(&m);
        let e = top.start().unwrap_err();
        assert_eq!(e.error, names::RUNTIME);
        assert!(e.cause.contains("`Missing` does not exist"), "{e:?}");
        let a = top.state(id(&top, "A")).unwrap();
        let e = a.follow(Next::Choice(Some(0))).unwrap_err();
        assert!(e.cause.contains("`Nowhere` does not exist"), "{e:?}");
        // Transitions the state does not have.
        for next in [Next::Choice(None), Next::Choice(Some(7)), Next::Caught(0)] {
            let e = a.follow(next).unwrap_err();
            assert_eq!(e.error, names::RUNTIME, "{next:?}");
        }
        assert!(top.state(StateId(99)).is_err());
    }

    #[test]
    fn facts_come_from_the_model() {
        let m = StateMachine::from_json(&json!({
            "QueryLanguage": "JSONata",
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Output": "{% $states.context.Execution.Name %}", "End": true}}
        }))
        .unwrap();
        let plan = Plan::new(&m);
        assert!(plan.reads_context_object && !plan.has_tasks);
        let top = plan.top(&m);
        assert!(top.state(top.start().unwrap()).unwrap().planned.jsonata);
    }
}
