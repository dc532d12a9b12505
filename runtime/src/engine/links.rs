//! Transitions resolved once: where every `Next`, `Default`, Choice rule, catcher and `StartAt`
//! of a machine leads, as an index into its scope's states.
//!
//! The interpreter's states return the target of a transition as the `&str` the definition
//! holds (`Transition::Next`, a rule's `Next`, a catcher's `Next`, …). Every such string is its
//! own allocation inside the (immutable, shared) [`StateMachine`], so its address identifies it:
//! [`Links`] maps that address to the index of the state it names in its scope's `IndexMap`,
//! which turns a name lookup (hashing the name, comparing it) into a pointer-keyed probe and an
//! indexed access. A target the map does not know (an empty name, a name of no state) falls
//! back to the lookup by name, so the behaviour never depends on the table.

use indexmap::IndexMap;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use stepfn_asl::{State, StateKind, StateMachine};

/// Hashes a pointer-sized key with one multiplication (the keys are distinct addresses).
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing; the high bits (which hashbrown uses for its tags) get the mix.
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The resolved transitions of one machine.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// A target string's address → the address of the scope it was resolved in, and the index
    /// of the state it names there.
    by_addr: HashMap<usize, (usize, usize), BuildHasherDefault<AddrHasher>>,
}

impl Links {
    /// Resolves every transition target of `machine` (all scopes, nested ones included).
    pub fn new(machine: &StateMachine) -> Self {
        let mut links = Links::default();
        links.scope(&machine.states, &machine.start_at);
        links
    }

    fn add(&mut self, states: &IndexMap<String, State>, target: &str) {
        if target.is_empty() {
            // Empty strings share a dangling address; they go by name.
            return;
        }
        if let Some(i) = states.get_index_of(target) {
            self.by_addr
                .insert(target.as_ptr() as usize, (scope_addr(states), i));
        }
    }

    fn scope(&mut self, states: &IndexMap<String, State>, start_at: &str) {
        self.add(states, start_at);
        for state in states.values() {
            for (target, _) in state.successors() {
                self.add(states, target);
            }
            match &state.kind {
                StateKind::Parallel(p) => {
                    for b in &p.branches {
                        self.scope(&b.states, &b.start_at);
                    }
                }
                StateKind::Map(m) => self.scope(&m.processor.states, &m.processor.start_at),
                _ => {}
            }
        }
    }

    /// The state `target` names in `states`: by its resolved index when `target` is one of the
    /// machine's own transition strings, else by name.
    #[inline]
    pub fn get<'s>(
        &self,
        states: &'s IndexMap<String, State>,
        target: &str,
    ) -> Option<(&'s String, &'s State)> {
        if let Some(&(scope, i)) = self.by_addr.get(&(target.as_ptr() as usize)) {
            // Resolved in this very scope (the machine is immutable while it runs).
            if scope == scope_addr(states) {
                if let Some((k, s)) = states.get_index(i) {
                    return Some((k, s));
                }
            }
        }
        states.get_key_value(target)
    }
}

/// A scope's identity: the address of its states.
fn scope_addr(states: &IndexMap<String, State>) -> usize {
    std::ptr::from_ref(states) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stepfn_asl::Transition;

    #[test]
    fn resolves_every_target_and_falls_back_to_names() {
        let m = StateMachine::from_json(&json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Choice", "Choices": [
                    {"Variable": "$.x", "NumericEquals": 1, "Next": "P"}
                ], "Default": "B"},
                "P": {"Type": "Parallel", "Branches": [
                    {"StartAt": "D", "States": {"D": {"Type": "Pass", "Next": "C"},
                                                 "C": {"Type": "Succeed"}}}
                ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}], "Next": "B"},
                "B": {"Type": "Succeed"}
            }
        }))
        .unwrap();
        let links = Links::new(&m);
        let top = &m.states;
        assert_eq!(links.get(top, &m.start_at).unwrap().0, "A");
        let StateKind::Choice(c) = &top["A"].kind else {
            panic!()
        };
        assert_eq!(
            links
                .get(top, c.choices[0].next.as_deref().unwrap())
                .unwrap()
                .0,
            "P"
        );
        assert_eq!(
            links.get(top, c.default.as_deref().unwrap()).unwrap().0,
            "B"
        );
        let StateKind::Parallel(p) = &top["P"].kind else {
            panic!()
        };
        assert_eq!(links.get(top, &p.catch[0].next).unwrap().0, "B");
        let b = &p.branches[0];
        assert_eq!(links.get(&b.states, &b.start_at).unwrap().0, "D");
        let Some(Transition::Next(n)) = b.states["D"].transition() else {
            panic!()
        };
        assert_eq!(links.get(&b.states, n).unwrap().0, "C");
        // Not one of the machine's strings: by name.
        assert_eq!(links.get(top, "B").unwrap().0, "B");
        assert!(links.get(top, "C").is_none());
        assert!(links.get(top, "").is_none());
    }
}
