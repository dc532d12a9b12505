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

    /// Sets the variables a state assigned, once it has finished.
    pub fn assign_all(&mut self, assigned: impl IntoIterator<Item = (String, Value)>) {
        for (k, v) in assigned {
            self.own.insert(k, v);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn child_scopes_read_outer_and_keep_their_own() {
        let mut top = Variables::new();
        top.set("a".into(), json!(1));
        let outer = Arc::new(top.clone());
        let mut left = Variables::child(outer.clone());
        let mut right = Variables::child(outer);
        left.assign_all([
            ("b".to_string(), json!("left")),
            ("a".to_string(), json!(2)),
        ]);
        right.set("b".into(), json!("right"));
        assert_eq!(left.get("a"), Some(&json!(2)));
        assert_eq!(left.get("b"), Some(&json!("left")));
        assert_eq!(right.get("a"), Some(&json!(1)));
        assert_eq!(right.get("b"), Some(&json!("right")));
        // Nothing leaks back to the parent.
        assert_eq!(top.get("b"), None);
        assert_eq!(top.get("a"), Some(&json!(1)));
        assert!(!right.is_empty());
        assert!(Variables::child(Arc::new(Variables::new())).is_empty());
    }
}
