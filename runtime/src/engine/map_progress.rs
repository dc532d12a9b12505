//! Live item counts of Distributed Map runs, as DescribeMapRun reports them.
//!
//! A run's items execute inside its execution (not as child executions), so their progress is
//! kept here while the run goes, keyed by the execution and its `MapRunStarted` event id; the
//! last few thousand runs stay readable after they end.

// The counts are read by `stepfn serve` (DescribeMapRun) only.
#![cfg_attr(not(feature = "server"), allow(dead_code))]

use crate::error::StatesError;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// How many runs' counts are kept (the oldest go first).
const KEPT: usize = 4096;

/// The progress of one run (counters updated as items start and end).
#[derive(Debug, Default)]
pub(crate) struct MapRunProgress {
    total: u64,
    started: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
}

/// A run's item counts at one moment (`itemCounts`/`executionCounts` of DescribeMapRun).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ItemCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub total: u64,
}

impl ItemCounts {
    /// The counts of a run that has ended: items not run to their end were aborted.
    pub fn ended(mut self) -> Self {
        self.aborted += self.pending + self.running;
        self.pending = 0;
        self.running = 0;
        self
    }
}

impl MapRunProgress {
    pub fn item_started(&self) {
        self.started.fetch_add(1, Relaxed);
    }

    pub fn item_ended(&self, r: &Result<Value, StatesError>) {
        let counter = match r {
            Ok(_) => &self.succeeded,
            Err(e) if e.error == crate::error::names::TIMEOUT => &self.timed_out,
            Err(_) => &self.failed,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub fn counts(&self) -> ItemCounts {
        let (succeeded, failed, timed_out) = (
            self.succeeded.load(Relaxed),
            self.failed.load(Relaxed),
            self.timed_out.load(Relaxed),
        );
        let started = self.started.load(Relaxed).min(self.total);
        ItemCounts {
            pending: self.total - started,
            running: started.saturating_sub(succeeded + failed + timed_out),
            succeeded,
            failed,
            timed_out,
            aborted: 0,
            total: self.total,
        }
    }
}

type Runs = (HashMap<String, Arc<MapRunProgress>>, VecDeque<String>);

static RUNS: Mutex<Option<Runs>> = Mutex::new(None);

fn key(execution: &str, run_event: u64) -> String {
    format!("{execution}#{run_event}")
}

/// Registers a run of `total` items (again on resume: its counts start over).
pub(crate) fn start(execution: &str, run_event: u64, total: u64) -> Option<Arc<MapRunProgress>> {
    if execution.is_empty() {
        return None;
    }
    let progress = Arc::new(MapRunProgress {
        total,
        ..MapRunProgress::default()
    });
    let mut guard = RUNS.lock().unwrap_or_else(|p| p.into_inner());
    let (runs, order) = guard.get_or_insert_with(Default::default);
    let k = key(execution, run_event);
    if runs.insert(k.clone(), progress.clone()).is_none() {
        order.push_back(k);
    }
    while order.len() > KEPT {
        if let Some(old) = order.pop_front() {
            runs.remove(&old);
        }
    }
    Some(progress)
}

/// The counts of the run whose `MapRunStarted` is event `run_event` of `execution`, if known to
/// this process.
pub(crate) fn counts(execution: &str, run_event: u64) -> Option<ItemCounts> {
    let guard = RUNS.lock().unwrap_or_else(|p| p.into_inner());
    let (runs, _) = guard.as_ref()?;
    runs.get(&key(execution, run_event)).map(|p| p.counts())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_items() {
        let p = start("arn:test:progress", 3, 4).unwrap();
        p.item_started();
        p.item_started();
        p.item_ended(&Ok(Value::Null));
        p.item_started();
        p.item_ended(&Err(StatesError::new(crate::error::names::TIMEOUT, "")));
        let c = counts("arn:test:progress", 3).unwrap();
        let expected = ItemCounts {
            pending: 1,
            running: 1,
            succeeded: 1,
            timed_out: 1,
            total: 4,
            ..ItemCounts::default()
        };
        assert_eq!(c, expected);
        assert_eq!(c.ended().aborted, 2);
        assert!(counts("arn:test:progress", 4).is_none());
        assert!(start("", 1, 1).is_none());
    }
}
