//! Workflow variables (`Assign`, `$name`): one scope per execution, a child scope per Parallel
//! branch and Map iteration that reads its parent's variables but keeps its own assignments.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A variable scope.
#[derive(Debug, Default, Clone)]
pub struct Variables {
    outer: Option<Arc<Variables>>,
    own: HashMap<String, Value>,
}

impl Variables {
    /// An empty top-level scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// A child scope that reads `outer` (a snapshot) and keeps its own assignments.
    pub fn child(outer: Arc<Variables>) -> Self {
        Self {
            outer: Some(outer),
            own: HashMap::new(),
        }
    }

    /// Reads a variable, looking outwards.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.own.get(name) {
            Some(v) => Some(v),
            None => self.outer.as_ref().and_then(|o| o.get(name)),
        }
    }

    /// Sets a variable in this scope.
    pub fn set(&mut self, name: String, value: Value) {
        self.own.insert(name, value);
    }

    /// True when no variable is set anywhere.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.outer.as_ref().is_none_or(|o| o.is_empty())
    }

    /// This scope's own variables (for checkpoints).
    pub fn own(&self) -> &HashMap<String, Value> {
        &self.own
    }
}
