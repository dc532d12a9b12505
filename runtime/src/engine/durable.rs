//! Checkpoints of Standard executions: what each frame (the top level, a Parallel branch, a Map
//! iteration) needs to continue after a crash, and the handle that commits them.
//!
//! An execution runs as one tokio task, so its frames interleave only at `.await` points. Every
//! await of a durable execution is preceded by setting the frame's checkpoint to describe exactly
//! that point (a Wait sleeping until a deadline, a task invoked, a retry backoff, children being
//! awaited). So whenever a frame takes a snapshot (the kept events since the last commit plus the
//! checkpoints that changed), every other frame is parked at a point its checkpoint describes, and
//! the snapshot is consistent. Snapshots are taken only before observable steps (a task invoked, a
//! wait begun, the end); Pass and Choice transitions ride along with the next one: a crash before
//! that commit replays them from the previous checkpoint to the same events.

use super::history::History;
use crate::error::StatesError;
use crate::store::{Commit, PendingTask, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Retry counters of a state: one per retrier, and the total (`$$.State.RetryCount`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RetryCk {
    pub counters: Vec<u64>,
    pub retry_count: u64,
}

/// Where a frame is parked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "at")]
pub(crate) enum Pos {
    /// A Wait state sleeping until `until_ms`; it then exits with `output`.
    Wait {
        entered: u64,
        entered_ms: i64,
        until_ms: i64,
        output: Value,
    },
    /// A task attempt invoked (TaskScheduled and TaskStarted recorded).
    Task {
        entered: u64,
        entered_ms: i64,
        retry: RetryCk,
        params: Value,
        timeout_ms: Option<i64>,
        heartbeat_s: Option<u64>,
        token: Option<String>,
        key: String,
        /// Activities: `ActivityStarted` is recorded.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        started: bool,
        /// Callbacks: the request part returned and `TaskSubmitted` is recorded.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        submitted: bool,
    },
    /// Between two attempts, sleeping until `until_ms`.
    Backoff {
        entered: u64,
        entered_ms: i64,
        retry: RetryCk,
        until_ms: i64,
    },
    /// A Parallel or Map awaiting its children; `started` is the event they follow.
    Children {
        entered: u64,
        entered_ms: i64,
        retry: RetryCk,
        started: u64,
    },
    /// The frame ended with an uncaught error in `state` (what a redrive restarts).
    Failed { error: String, cause: String },
    /// Set by a redrive: enter `state` afresh; a Parallel or Map keeps the checkpoints of its
    /// finished children (only failed or aborted ones rerun).
    Redrive,
    /// A finished child frame.
    Done {
        output: Option<Value>,
        error: Option<(String, String)>,
    },
}

impl Pos {
    /// The entered event and time of the state parked in.
    pub fn entered(&self) -> Option<(u64, i64)> {
        match self {
            Pos::Wait {
                entered,
                entered_ms,
                ..
            }
            | Pos::Task {
                entered,
                entered_ms,
                ..
            }
            | Pos::Backoff {
                entered,
                entered_ms,
                ..
            }
            | Pos::Children {
                entered,
                entered_ms,
                ..
            } => Some((*entered, *entered_ms)),
            Pos::Done { .. } | Pos::Failed { .. } | Pos::Redrive => None,
        }
    }
}

/// One frame's checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FrameCk {
    /// The state parked in.
    pub state: String,
    /// That state's raw input.
    pub input: Value,
    /// The frame's own variables.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub vars: HashMap<String, Value>,
    /// The last event of the frame (the next event's `previousEventId`).
    pub prev: u64,
    /// Where.
    pub pos: Pos,
}

/// The durable side of one running Standard execution.
pub(crate) struct Durable {
    pub arn: String,
    store: Arc<dyn Store>,
    st: Mutex<DurState>,
    /// The checkpoints loaded at resume, taken by frames as they restart.
    resume: Mutex<HashMap<String, FrameCk>>,
}

#[derive(Default)]
struct DurState {
    dirty: BTreeMap<String, Option<String>>,
    persisted: BTreeSet<String>,
    put_tasks: Vec<PendingTask>,
    remove_tasks: Vec<String>,
}

impl Durable {
    pub fn new(arn: String, store: Arc<dyn Store>, frames: Vec<(String, String)>) -> Self {
        let mut persisted = BTreeSet::new();
        let mut resume = HashMap::new();
        for (k, v) in frames {
            persisted.insert(k.clone());
            if let Ok(ck) = crate::quotas::read_json::<FrameCk>(&v) {
                resume.insert(k, ck);
            }
        }
        Self {
            arn,
            store,
            st: Mutex::new(DurState {
                dirty: BTreeMap::new(),
                persisted,
                ..DurState::default()
            }),
            resume: Mutex::new(resume),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DurState> {
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored checkpoint of a frame, once (when the frame restarts after a crash).
    pub fn take_resume(&self, key: &str) -> Option<FrameCk> {
        self.resume
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key)
    }

    /// Sets a frame's checkpoint (written with the next snapshot).
    pub fn set(&self, key: &str, ck: &FrameCk) {
        let text = serde_json::to_string(ck).unwrap_or_default();
        self.lock().dirty.insert(key.to_string(), Some(text));
    }

    /// Adds a pending task row (written with the next snapshot).
    pub fn put_task(&self, t: PendingTask) {
        self.lock().put_tasks.push(t);
    }

    /// Removes a pending task row (with the next snapshot).
    pub fn remove_task(&self, token: &str) {
        let mut st = self.lock();
        let before = st.put_tasks.len();
        st.put_tasks.retain(|t| t.token != token);
        if st.put_tasks.len() == before {
            st.remove_tasks.push(token.to_string());
        }
    }

    /// Forgets the checkpoints of the children of state `state` of frame `frame`.
    pub fn remove_children(&self, frame: &str, state: &str) {
        let prefixes = [format!("{frame}/{state}@"), format!("{frame}/{state}#")];
        {
            let mut resume = self.resume.lock().unwrap_or_else(|p| p.into_inner());
            if !resume.is_empty() {
                resume.retain(|k, _| !prefixes.iter().any(|p| k.starts_with(p.as_str())));
            }
        }
        let mut st = self.lock();
        let st = &mut *st;
        for p in &prefixes {
            let dirty: Vec<String> = st
                .dirty
                .range(p.clone()..)
                .take_while(|(k, _)| k.starts_with(p.as_str()))
                .map(|(k, _)| k.clone())
                .collect();
            for k in dirty {
                st.dirty.remove(&k);
            }
            let stored: Vec<String> = st
                .persisted
                .range(p.clone()..)
                .take_while(|k| k.starts_with(p.as_str()))
                .cloned()
                .collect();
            for k in stored {
                st.dirty.insert(k, None);
            }
        }
    }

    /// The events and checkpoints written since the last snapshot, as one commit.
    pub fn snapshot(&self, history: &History) -> Commit {
        let mut c = Commit::new(self.arn.clone());
        c.events = history.take_events();
        let mut st = self.lock();
        let dirty = std::mem::take(&mut st.dirty);
        for (k, v) in &dirty {
            if v.is_some() {
                st.persisted.insert(k.clone());
            } else {
                st.persisted.remove(k);
            }
        }
        c.frames = dirty.into_iter().collect();
        c.put_tasks = std::mem::take(&mut st.put_tasks);
        c.remove_tasks = std::mem::take(&mut st.remove_tasks);
        c
    }

    /// Commits a snapshot and waits until it is durable.
    pub async fn sync(&self, history: &History) -> Result<(), StatesError> {
        let c = self.snapshot(history);
        self.commit(c).await
    }

    /// Commits `c` and waits until it is durable.
    pub async fn commit(&self, c: Commit) -> Result<(), StatesError> {
        self.store
            .commit(c)
            .await
            .map_err(|e| StatesError::runtime(e.to_string()))
    }
}

/// The checkpoints a redrive continues from: failed frames, and frames aborted inside a state,
/// re-enter their state ([`Pos::Redrive`]; a Parallel or Map keeps its finished children);
/// finished children keep their output; a Wait keeps its deadline. `prev` (the
/// `ExecutionRedriven` event) is what the top frame's next event follows.
pub(crate) fn redrive_frames(frames: Vec<(String, String)>, prev: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in frames {
        let Ok(mut ck) = crate::quotas::read_json::<FrameCk>(&v) else {
            continue;
        };
        match &ck.pos {
            Pos::Done { error: None, .. } | Pos::Wait { .. } => {}
            Pos::Done { error: Some(_), .. } => continue,
            Pos::Failed { .. }
            | Pos::Task { .. }
            | Pos::Backoff { .. }
            | Pos::Children { .. }
            | Pos::Redrive => {
                ck.pos = Pos::Redrive;
                if k.is_empty() {
                    ck.prev = prev;
                }
            }
        }
        if let Ok(text) = serde_json::to_string(&ck) {
            out.push((k, text));
        }
    }
    out
}

/// A frame's key: `""` for the top level, `{parent}/{state}@{branch}` for a Parallel branch,
/// `{parent}/{state}#{index}` for a Map iteration.
pub(crate) fn child_key(frame: &str, state: &str, sep: char, index: usize) -> String {
    format!("{frame}/{state}{sep}{index}")
}

/// The time until `until_ms` on `clock` (zero when past).
pub(crate) fn until(clock: &super::Clock, until_ms: i64) -> std::time::Duration {
    let left = until_ms - clock.now().as_millisecond();
    std::time::Duration::from_millis(left.max(0) as u64)
}
