//! The execution history: Step Functions' `HistoryEvent`s, with their types and details.

pub use crate::events::{EventType, HistoryEvent};
use serde_json::Value;
use std::sync::Mutex;

/// Records the events of one execution. Ids are assigned even when events are not kept
/// (Express without history), because error causes cite them.
#[derive(Debug)]
pub struct History {
    keep: bool,
    /// The quota of kept events (`quotas::HISTORY_EVENTS`), `None` when lifted.
    quota: Option<u64>,
    /// Set once an event was refused for the quota.
    exceeded: std::sync::atomic::AtomicBool,
    /// The next event id. Without kept events, counting is all `push` does (no lock).
    next_id: std::sync::atomic::AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<HistoryEvent>,
}

impl History {
    /// A recorder; `keep` decides whether events are stored or only counted.
    pub fn new(keep: bool) -> Self {
        Self {
            keep,
            quota: crate::quotas::history_events(),
            exceeded: Default::default(),
            next_id: std::sync::atomic::AtomicU64::new(1),
            inner: Mutex::new(Inner { events: Vec::new() }),
        }
    }

    /// A recorder that continues a stored history whose last event id is `last_id`.
    pub fn resume(last_id: u64) -> Self {
        Self {
            keep: true,
            quota: crate::quotas::history_events(),
            exceeded: Default::default(),
            next_id: std::sync::atomic::AtomicU64::new(last_id + 1),
            inner: Mutex::new(Inner { events: Vec::new() }),
        }
    }

    /// Moves the kept events out (they are being written to a store).
    pub fn take_events(&self) -> Vec<HistoryEvent> {
        if !self.keep {
            return Vec::new();
        }
        std::mem::take(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()).events)
    }

    /// Appends an event and returns its id. `details` is called only when events are kept.
    #[inline]
    pub fn push(
        &self,
        previous: u64,
        kind: EventType,
        timestamp: impl FnOnce() -> String,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        if !self.keep {
            // Only counted, inlined into the caller. Only the futures of one execution touch its
            // history, and they run as one task (branches and iterations are joined, never
            // spawned), so a plain load and store suffice: no atomic read-modify-write (a locked
            // instruction) per event.
            let id = self.next_id.load(std::sync::atomic::Ordering::Relaxed);
            self.next_id
                .store(id + 1, std::sync::atomic::Ordering::Relaxed);
            return id;
        }
        self.push_kept(previous, kind, timestamp, details)
    }

    /// [`Self::push`] when events are kept: the id and the append happen under one lock, so ids
    /// follow the list.
    #[inline(never)]
    fn push_kept(
        &self,
        previous: u64,
        kind: EventType,
        timestamp: impl FnOnce() -> String,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.next_id.load(std::sync::atomic::Ordering::SeqCst);
        // Past the quota only the execution's last event is kept, as the quota's last event.
        let last = matches!(
            kind,
            EventType::ExecutionSucceeded
                | EventType::ExecutionFailed
                | EventType::ExecutionTimedOut
                | EventType::ExecutionAborted
        );
        if self.quota.is_some_and(|q| id >= q) && !last {
            self.exceeded
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return id;
        }
        self.next_id
            .store(id + 1, std::sync::atomic::Ordering::SeqCst);
        inner.events.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: timestamp(),
            kind,
            details: details(),
        });
        id
    }

    /// `States.Runtime` once an event was refused for the history quota.
    pub fn check_quota(&self) -> Result<(), crate::StatesError> {
        if self.exceeded.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(crate::quotas::history_exceeded());
        }
        Ok(())
    }

    /// Counts one event without keeping it and returns its id (a history that keeps events
    /// records them with [`Self::push`]).
    #[inline]
    pub fn count_one(&self) -> u64 {
        debug_assert!(!self.keep, "kept events are pushed, not counted");
        let id = self.next_id.load(std::sync::atomic::Ordering::Relaxed);
        self.next_id
            .store(id + 1, std::sync::atomic::Ordering::Relaxed);
        id
    }

    /// The number of events so far.
    pub fn len(&self) -> u64 {
        self.next_id.load(std::sync::atomic::Ordering::Relaxed) - 1
    }

    /// The kept events.
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .events
            .clone()
    }
}

impl super::ExecutionResult {
    /// The names of the states entered, in the order their `…StateEntered` events were recorded
    /// (states inside Parallel branches and Map iterations included). Empty when the history was
    /// not kept.
    pub fn states_entered(&self) -> Vec<&str> {
        self.history
            .iter()
            .filter(|e| is_state_entered(e.kind))
            .filter_map(|e| e.details.as_ref()?.1.get("name")?.as_str())
            .collect()
    }
}

/// True for the `…StateEntered` event types.
fn is_state_entered(kind: EventType) -> bool {
    use EventType as E;
    matches!(
        kind,
        E::PassStateEntered
            | E::TaskStateEntered
            | E::ChoiceStateEntered
            | E::WaitStateEntered
            | E::SucceedStateEntered
            | E::FailStateEntered
            | E::ParallelStateEntered
            | E::MapStateEntered
    )
}
