//! The in-memory store: the same contract as the database, gone with the process.

use super::{
    ActivityRecord, Commit, ExecutionFilter, ExecutionRecord, PendingTask, Store, StoreError,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// A [`Store`] held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: Mutex<Data>,
}

#[derive(Debug, Default)]
struct Data {
    /// Executions in start order.
    executions: Vec<ExecutionRecord>,
    by_arn: HashMap<String, usize>,
    events: HashMap<String, Vec<Value>>,
    frames: HashMap<String, BTreeMap<String, String>>,
    tasks: BTreeMap<String, PendingTask>,
    activities: BTreeMap<String, ActivityRecord>,
    documents: BTreeMap<(String, String), String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Data) -> T) -> T {
        f(&mut self.data.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn ready<T: Send + 'static>(v: T) -> BoxFuture<'static, T> {
    futures::future::ready(v).boxed()
}

impl Data {
    fn apply(&mut self, c: Commit) -> Result<(), StoreError> {
        if let Some(rec) = c.create {
            if self.by_arn.contains_key(&rec.arn) {
                return Err(StoreError(format!("execution `{}` exists", rec.arn)));
            }
            self.by_arn.insert(rec.arn.clone(), self.executions.len());
            self.executions.push(rec);
        }
        let Some(&i) = self.by_arn.get(&c.execution) else {
            return Err(StoreError(format!("no execution `{}`", c.execution)));
        };
        let events = self.events.entry(c.execution.clone()).or_default();
        for e in c.events {
            if e.id != events.len() as u64 + 1 {
                return Err(StoreError(format!(
                    "event id {} does not follow {}",
                    e.id,
                    events.len()
                )));
            }
            events.push(e.to_json());
        }
        let frames = self.frames.entry(c.execution.clone()).or_default();
        if c.clear_frames {
            frames.clear();
        }
        for (k, v) in c.frames {
            match v {
                Some(v) => frames.insert(k, v),
                None => frames.remove(&k),
            };
        }
        if c.clear_tasks {
            self.tasks.retain(|_, t| t.execution != c.execution);
        }
        for t in c.remove_tasks {
            self.tasks.remove(&t);
        }
        for t in c.put_tasks {
            self.tasks.insert(t.token.clone(), t);
        }
        for t in c.update_tasks {
            if let Some(old) = self.tasks.get_mut(&t.token) {
                *old = t;
            }
        }
        if let Some(s) = c.status {
            let rec = &mut self.executions[i];
            rec.status = s.status;
            rec.output = s.output;
            rec.error = s.error;
            rec.cause = s.cause;
            rec.stop_ms = s.stop_ms;
            if let Some(n) = s.redrive_count {
                rec.redrive_count = n;
            }
            if let Some(t) = s.redrive_ms {
                rec.redrive_ms = Some(t);
            }
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn commit(&self, commit: Commit) -> BoxFuture<'static, Result<(), StoreError>> {
        ready(self.with(|d| d.apply(commit)))
    }

    fn execution(
        &self,
        arn: &str,
    ) -> BoxFuture<'static, Result<Option<ExecutionRecord>, StoreError>> {
        ready(Ok(self.with(|d| {
            d.by_arn.get(arn).map(|&i| d.executions[i].clone())
        })))
    }

    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'static, Result<Vec<ExecutionRecord>, StoreError>> {
        ready(Ok(self.with(|d| {
            d.executions
                .iter()
                .rev()
                .filter(|e| filter.status.is_none_or(|s| e.status == s))
                .filter(|e| {
                    filter
                        .state_machine
                        .as_ref()
                        .is_none_or(|m| &e.state_machine == m)
                })
                .cloned()
                .collect()
        })))
    }

    fn events(
        &self,
        arn: &str,
        after: u64,
        limit: usize,
        reverse: bool,
    ) -> BoxFuture<'static, Result<Vec<Value>, StoreError>> {
        ready(Ok(self.with(|d| {
            let Some(all) = d.events.get(arn) else {
                return Vec::new();
            };
            if reverse {
                let end = if after == 0 {
                    all.len()
                } else {
                    (after as usize - 1).min(all.len())
                };
                all[..end].iter().rev().take(limit).cloned().collect()
            } else {
                all.iter()
                    .skip(after as usize)
                    .take(limit)
                    .cloned()
                    .collect()
            }
        })))
    }

    fn event_count(&self, arn: &str) -> BoxFuture<'static, Result<u64, StoreError>> {
        ready(Ok(
            self.with(|d| d.events.get(arn).map_or(0, |e| e.len() as u64))
        ))
    }

    fn frames(&self, arn: &str) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        ready(Ok(self.with(|d| {
            d.frames
                .get(arn)
                .map(|f| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        })))
    }

    fn pending_tasks(&self) -> BoxFuture<'static, Result<Vec<PendingTask>, StoreError>> {
        ready(Ok(self.with(|d| d.tasks.values().cloned().collect())))
    }

    fn put_activity(&self, a: ActivityRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        self.with(|d| {
            d.activities.entry(a.arn.clone()).or_insert(a);
        });
        ready(Ok(()))
    }

    fn delete_activity(&self, arn: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        self.with(|d| {
            d.activities.remove(arn);
        });
        ready(Ok(()))
    }

    fn activities(&self) -> BoxFuture<'static, Result<Vec<ActivityRecord>, StoreError>> {
        ready(Ok(self.with(|d| d.activities.values().cloned().collect())))
    }

    fn put_document(
        &self,
        kind: &str,
        key: &str,
        body: &str,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        self.with(|d| {
            d.documents
                .insert((kind.to_string(), key.to_string()), body.to_string())
        });
        ready(Ok(()))
    }

    fn delete_document(
        &self,
        kind: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<bool, StoreError>> {
        let key = (kind.to_string(), key.to_string());
        ready(Ok(self.with(|d| d.documents.remove(&key).is_some())))
    }

    fn documents(
        &self,
        kind: &str,
    ) -> BoxFuture<'static, Result<Vec<(String, String)>, StoreError>> {
        ready(Ok(self.with(|d| {
            d.documents
                .iter()
                .filter(|((k, _), _)| k == kind)
                .map(|((_, key), body)| (key.clone(), body.clone()))
                .collect()
        })))
    }
}
