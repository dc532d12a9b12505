//! The execution history: Step Functions' `HistoryEvent`s, with their types and details.

use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Mutex;

/// One history event, in the shape of GetExecutionHistory's `events[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEvent {
    /// Sequential from 1.
    pub id: u64,
    /// The event this one follows in its branch of the execution (0 for the first).
    #[serde(rename = "previousEventId")]
    pub previous_event_id: u64,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// The event type, e.g. `PassStateEntered`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The details object, under its AWS field name (e.g. `stateEnteredEventDetails`).
    #[serde(skip)]
    pub details: Option<(&'static str, Value)>,
}

impl HistoryEvent {
    /// The event as GetExecutionHistory returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), Value::String(self.timestamp.clone()));
        m.insert("type".into(), Value::String(self.kind.clone()));
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        if let Some((k, v)) = &self.details {
            m.insert((*k).to_string(), v.clone());
        }
        Value::Object(m)
    }

    /// [`Self::to_json`] as JSON text, written straight from the event (the details are not
    /// copied into a new value first).
    pub fn to_text(&self) -> String {
        use serde::ser::{SerializeMap, Serializer};
        struct Shape<'a>(&'a HistoryEvent);
        impl Serialize for Shape<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let e = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("timestamp", &e.timestamp)?;
                m.serialize_entry("type", &e.kind)?;
                m.serialize_entry("id", &e.id)?;
                m.serialize_entry("previousEventId", &e.previous_event_id)?;
                if let Some((k, v)) = &e.details {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        serde_json::to_string(&Shape(self)).unwrap_or_default()
    }
}

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

    /// True when events are kept.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// Appends an event and returns its id. `details` is called only when events are kept.
    #[inline]
    pub fn push(
        &self,
        previous: u64,
        kind: &str,
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
        kind: &str,
        timestamp: impl FnOnce() -> String,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.next_id.load(std::sync::atomic::Ordering::SeqCst);
        // Past the quota only the execution's last event is kept, as the quota's last event.
        if self.quota.is_some_and(|q| id >= q) && !kind.starts_with("Execution") {
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
            kind: kind.to_string(),
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

    /// The number of events so far.
    pub fn len(&self) -> u64 {
        self.next_id.load(std::sync::atomic::Ordering::Relaxed) - 1
    }

    /// Forgets the events after the first `len` (only counted events: kept ones are never
    /// taken back).
    pub fn rewind(&self, len: u64) {
        if !self.keep {
            self.next_id
                .store(len + 1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// True before the first event.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_the_json_form() {
        let mut e = HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: "2026-11-25T10:00:00.000Z".into(),
            kind: "PassStateExited".into(),
            details: None,
        };
        assert_eq!(e.to_text(), e.to_json().to_string());
        e.details = Some((
            "stateExitedEventDetails",
            json!({"name": "P", "output": "{\"a\":[1,2.5]}", "outputDetails": {"truncated": false}}),
        ));
        assert_eq!(e.to_text(), e.to_json().to_string());
    }
}
