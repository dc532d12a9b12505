//! Activities and task tokens: Task states that wait for an answer from outside.
//!
//! Two kinds of Task state pause a durable (Standard) execution until someone answers it with
//! [`Runtime::send_task_success`](crate::Runtime::send_task_success) or
//! [`Runtime::send_task_failure`](crate::Runtime::send_task_failure):
//!
//! - **Activities** (`Resource: arn:aws:states:…:activity:NAME`): the task is queued for the
//!   activity; a worker takes it with
//!   [`Runtime::get_activity_task`](crate::Runtime::get_activity_task), which hands out the task
//!   token and the input. History: `ActivityScheduled`, `ActivityStarted` (a worker took it), then
//!   `ActivitySucceeded`, `ActivityFailed` or `ActivityTimedOut`. Scheduling a task for an
//!   activity that does not exist records `ActivityScheduleFailed` and fails the state with the
//!   catchable error [`ACTIVITY_DOES_NOT_EXIST`].
//! - **Callbacks** (`Resource` ending in `.waitForTaskToken`): a token is issued and put in the
//!   context object (`$$.Task.Token`, JSONata `$states.context.Task.Token`) while Parameters or
//!   Arguments are evaluated. The *request* part of the integration is performed by the task
//!   handler registered for the full resource, else for the resource without the suffix (e.g.
//!   `arn:aws:states:::sqs:sendMessage`), else by the registry's fallback handler; with none,
//!   nothing is called and the token is simply issued. The handler sees the token in
//!   [`TaskRequest::task_token`](super::tasks::TaskRequest::task_token); what it returns is only
//!   recorded in `TaskSubmitted`. History: `TaskScheduled`, `TaskStarted`, `TaskSubmitted` (the
//!   handler returned; `TaskSubmitFailed` when it failed), then `TaskSucceeded`, `TaskFailed` or
//!   `TaskTimedOut` on the callback.
//!
//! A fallback handler that answers whole tasks (the mocks of a Step Functions Local mock
//! configuration, [`answers_callbacks`](super::tasks::TaskHandler::answers_callbacks))
//! answers activities and callbacks directly, as Step Functions Local does; so does a handler
//! registered for the exact activity ARN (an in-process worker). Executions run by
//! [`Interpreter::execute`](super::Interpreter::execute) (in memory, Express-like) never wait:
//! they invoke handlers as for any task.
//!
//! **Timeouts.** `TimeoutSeconds` is an absolute bound from the schedule, whatever the
//! heartbeats: the task fails with `States.Timeout`. With `HeartbeatSeconds`, the heartbeat clock
//! starts when the task is scheduled and is reset by
//! [`Runtime::send_task_heartbeat`](crate::Runtime::send_task_heartbeat) and when a worker takes
//! an activity task; when it runs out the task fails with `States.HeartbeatTimeout`. Both are
//! catchable and retriable; a retry issues a new token.
//!
//! **Durability.** A pending task is a row of the store, written in the same commit as the
//! checkpoint that parks the frame on it. Taking a task, a heartbeat and an answer update the row
//! before the call returns, so after a restart ([`Runtime::open`](crate::Runtime::open) then
//! [`Runtime::resume`](crate::Runtime::resume)) a worker can still take or answer a task, an
//! answer accepted before the crash is applied, and the deadlines are kept (they are wall-clock
//! times in the row and the checkpoint).
//!
//! **Tokens.** A token is opaque (URL-safe base64, under 2048 characters). A string that is not
//! one of ours is `InvalidToken`; one of ours whose task is gone (answered, timed out, its
//! execution closed, stopped or redriven) is `TaskTimedOut` ("Provided task does not exist
//! anymore", as AWS answers for a late or repeated answer); one naming an execution this store
//! does not have is `TaskDoesNotExist`.

use super::durable::{self, Pos, RetryCk};
use super::history::History;
use super::tasks::{TaskHandler, TaskRequest};
use super::{error_details, to_text, Clock, Exec, Park, REGION};
use crate::error::{names, StatesError};
use crate::events::EventType;
use crate::io::Variables;
use crate::store::{PendingTask, Store, StoreError};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The error name of a Task whose activity does not exist when it is scheduled.
pub const ACTIVITY_DOES_NOT_EXIST: &str = "ActivityDoesNotExist";

const TOKEN_MAX: usize = 2048;

/// A new task token for an execution.
pub(crate) fn new_token(execution: &str) -> String {
    // From the OS's random source: a token is a capability (it completes the task), so it must
    // not be guessable from earlier ones.
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{execution}#{}", uuid::Uuid::new_v4()))
}

/// The execution a token belongs to; `None` when the token is not one of ours.
pub(crate) fn token_execution(token: &str) -> Option<String> {
    if token.is_empty() || token.len() > TOKEN_MAX {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (execution, nonce) = text.rsplit_once('#')?;
    (execution.starts_with("arn:aws:states:")
        && execution.contains(":execution:")
        && uuid::Uuid::parse_str(nonce).is_ok())
    .then(|| execution.to_string())
}

/// True when `resource` is an activity ARN.
pub(crate) fn is_activity(resource: &str) -> bool {
    resource.starts_with("arn:aws:states:") && resource.contains(":activity:")
}

/// The answer to a pending task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Success(Value),
    Failure(StatesError),
}

impl Answer {
    pub fn to_text(&self) -> String {
        match self {
            Answer::Success(v) => json!({"output": to_text(v)}).to_string(),
            Answer::Failure(e) => json!({"error": e.error, "cause": e.cause}).to_string(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        if let Some(o) = v.get("output").and_then(Value::as_str) {
            return Some(Answer::Success(serde_json::from_str(o).ok()?));
        }
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Some(Answer::Failure(StatesError::new(s("error"), s("cause"))))
    }
}

struct Slot {
    row: PendingTask,
    /// Wakes the frame waiting on the task.
    wake: Arc<Notify>,
}

#[derive(Default)]
struct BState {
    slots: HashMap<String, Slot>,
    /// Activity ARN → tokens not taken yet, oldest first.
    queues: HashMap<String, VecDeque<String>>,
    /// Activity ARN → wakes long polls.
    polls: HashMap<String, Arc<Notify>>,
}

/// What a deadline check found.
pub(crate) enum Due {
    /// The task was answered in time.
    Answered(PendingTask),
    /// A deadline moved (a heartbeat came): wait again.
    Later,
    /// The task is over with this error name (`States.Timeout`, `States.HeartbeatTimeout`).
    Expired(&'static str),
}

/// The pending tasks of one runtime, mirrored from the store.
pub(crate) struct Broker {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    loaded: tokio::sync::OnceCell<()>,
    st: Mutex<BState>,
}

impl Broker {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            clock: Clock::new(),
            loaded: tokio::sync::OnceCell::new(),
            st: Mutex::new(BState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BState> {
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// Loads the store's pending tasks once (after a restart).
    pub async fn ensure_loaded(&self) -> Result<(), StoreError> {
        self.loaded
            .get_or_try_init(|| async {
                for row in self.store.pending_tasks().await? {
                    self.insert(row);
                }
                Ok::<(), StoreError>(())
            })
            .await?;
        Ok(())
    }

    /// Adds a task (kept if already there); an activity task becomes available to workers.
    pub fn insert(&self, row: PendingTask) {
        let mut st = self.lock();
        if st.slots.contains_key(&row.token) {
            return;
        }
        let poll = match &row.activity {
            Some(a) if !row.started && row.answer.is_none() => {
                st.queues
                    .entry(a.clone())
                    .or_default()
                    .push_back(row.token.clone());
                st.polls.get(a).cloned()
            }
            _ => None,
        };
        st.slots.insert(
            row.token.clone(),
            Slot {
                row,
                wake: Arc::new(Notify::new()),
            },
        );
        drop(st);
        if let Some(p) = poll {
            p.notify_waiters();
        }
    }

    pub fn wake_of(&self, token: &str) -> Option<Arc<Notify>> {
        self.lock().slots.get(token).map(|s| s.wake.clone())
    }

    pub fn peek(&self, token: &str) -> Option<PendingTask> {
        self.lock().slots.get(token).map(|s| s.row.clone())
    }

    /// Removes a task; returns its last state.
    pub fn close(&self, token: &str) -> Option<PendingTask> {
        let mut st = self.lock();
        let slot = st.slots.remove(token)?;
        if let Some(q) = slot
            .row
            .activity
            .as_ref()
            .and_then(|a| st.queues.get_mut(a))
        {
            q.retain(|t| t != token);
        }
        Some(slot.row)
    }

    /// Removes every task of an execution (it closed or stopped).
    pub fn drop_execution(&self, execution: &str) {
        let tokens: Vec<String> = self
            .lock()
            .slots
            .values()
            .filter(|s| s.row.execution == execution)
            .map(|s| s.row.token.clone())
            .collect();
        for t in tokens {
            self.close(&t);
        }
    }

    /// Ends the task if a deadline has passed (and it was not answered first).
    pub fn expire_if_due(&self, token: &str, hb_s: Option<u64>, timeout_ms: Option<i64>) -> Due {
        let now = self.now_ms();
        let mut st = self.lock();
        let Some(slot) = st.slots.get(token) else {
            return Due::Expired(names::TIMEOUT);
        };
        if slot.row.answer.is_some() {
            drop(st);
            return match self.close(token) {
                Some(row) => Due::Answered(row),
                None => Due::Expired(names::TIMEOUT),
            };
        }
        let expired = if timeout_ms.is_some_and(|t| now >= t) {
            names::TIMEOUT
        } else if hb_s.is_some_and(|h| now >= slot.row.heartbeat_ms + h as i64 * 1000) {
            names::HEARTBEAT_TIMEOUT
        } else {
            return Due::Later;
        };
        let activity = slot.row.activity.clone();
        st.slots.remove(token);
        if let Some(q) = activity.and_then(|a| st.queues.get_mut(&a)) {
            q.retain(|t| t != token);
        }
        Due::Expired(expired)
    }

    /// The notifier of an activity's long polls.
    pub fn poll_notify(&self, activity: &str) -> Arc<Notify> {
        self.lock()
            .polls
            .entry(activity.to_string())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Hands the oldest waiting task of an activity to a worker.
    pub fn take(&self, activity: &str, worker: Option<&str>) -> Option<PendingTask> {
        let now = self.now_ms();
        let mut st = self.lock();
        let st = &mut *st;
        let q = st.queues.get_mut(activity)?;
        while let Some(token) = q.pop_front() {
            let Some(slot) = st.slots.get_mut(&token) else {
                continue;
            };
            if slot.row.started || slot.row.answer.is_some() {
                continue;
            }
            slot.row.started = true;
            slot.row.worker = worker.map(str::to_string);
            slot.row.heartbeat_ms = now;
            return Some(slot.row.clone());
        }
        None
    }

    /// Records an answer; `None` when the task is gone or already answered.
    pub fn answer(&self, token: &str, answer: &Answer) -> Option<PendingTask> {
        let mut st = self.lock();
        let st = &mut *st;
        let slot = st.slots.get_mut(token)?;
        if slot.row.answer.is_some() {
            return None;
        }
        slot.row.answer = Some(answer.to_text());
        let row = slot.row.clone();
        if let Some(q) = row.activity.as_ref().and_then(|a| st.queues.get_mut(a)) {
            q.retain(|t| t != token);
        }
        Some(row)
    }

    /// Resets the heartbeat clock; `None` when the task is gone or already answered.
    pub fn heartbeat(&self, token: &str) -> Option<PendingTask> {
        let now = self.now_ms();
        let mut st = self.lock();
        let slot = st.slots.get_mut(token)?;
        if slot.row.answer.is_some() {
            return None;
        }
        slot.row.heartbeat_ms = now;
        Some(slot.row.clone())
    }

    /// Wakes the frame waiting on a task.
    pub fn wake(&self, token: &str) {
        if let Some(w) = self.wake_of(token) {
            w.notify_one();
        }
    }
}

/// Closes the task when the waiting frame is dropped (a sibling branch failed, the execution
/// was stopped or timed out), so no worker takes it any more.
struct SlotGuard<'a> {
    broker: &'a Broker,
    dur: &'a durable::Durable,
    token: &'a str,
    armed: bool,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.broker.close(self.token);
            self.dur.remove_task(self.token);
        }
    }
}

/// A Task attempt's evaluated Parameters (or Arguments), TimeoutSeconds and HeartbeatSeconds.
pub(super) type Prepared = Result<(Value, Option<u64>, Option<u64>), StatesError>;

/// A callback or activity attempt in flight (from its checkpoint, or just scheduled).
pub(super) struct InFlight {
    pub params: Value,
    pub timeout_ms: Option<i64>,
    pub heartbeat_s: Option<u64>,
    pub token: Option<String>,
    pub key: String,
    pub started: bool,
    pub submitted: bool,
}

/// What a callback attempt needs to know about its Task state.
pub(super) struct Call<'a> {
    pub name: &'a str,
    pub resource: &'a str,
    pub resource_type: String,
    pub resource_short: String,
    pub activity: bool,
    pub handler: Option<Arc<dyn TaskHandler>>,
    pub attempt: u64,
}

/// How a durable Task state's resource is performed.
pub(super) enum Mode {
    /// Invoke the handler and take its result.
    Direct,
    /// Wait for an answer (activity or `.waitForTaskToken`), with this request handler.
    Wait(Option<Arc<dyn TaskHandler>>),
}

impl Exec<'_> {
    /// How a Task's resource is performed in this execution.
    pub(super) fn task_mode(&self, resource: &str) -> Mode {
        if self.broker.is_none() || self.dur.is_none() {
            return Mode::Direct;
        }
        let fallback = self.tasks.fallback();
        if fallback.is_some_and(|f| f.answers_callbacks()) {
            return Mode::Direct;
        }
        if is_activity(resource) {
            return match self.tasks.get_exact(resource) {
                Some(_) => Mode::Direct,
                None => Mode::Wait(None),
            };
        }
        if let Some(base) = resource.strip_suffix(".waitForTaskToken") {
            let h = self
                .tasks
                .get_exact(resource)
                .or_else(|| self.tasks.get_exact(base))
                .or(fallback)
                .cloned();
            return Mode::Wait(h);
        }
        Mode::Direct
    }

    fn details(&self, call: &Call<'_>, extra: Value) -> Value {
        let mut m = json!({"resourceType": call.resource_type, "resource": call.resource_short});
        if let (Some(m), Value::Object(x)) = (m.as_object_mut(), extra) {
            m.extend(x);
        }
        m
    }

    /// Records the end of a waiting task (answer or timeout) and returns its result.
    fn settle(
        &self,
        call: &Call<'_>,
        history: &History,
        prev: &AtomicU64,
        r: Result<Value, StatesError>,
        timed_out: bool,
    ) -> Result<Value, StatesError> {
        let now = || self.clock.now_rfc3339();
        let p = prev.load(Relaxed);
        let id = match (&r, call.activity) {
            (Ok(v), true) => history.push(p, EventType::ActivitySucceeded, now, || {
                Some((
                    "activitySucceededEventDetails",
                    json!({"output": to_text(v), "outputDetails": {"truncated": false}}),
                ))
            }),
            (Ok(v), false) => history.push(p, EventType::TaskSucceeded, now, || {
                Some((
                    "taskSucceededEventDetails",
                    self.details(
                        call,
                        json!({"output": to_text(v), "outputDetails": {"truncated": false}}),
                    ),
                ))
            }),
            (Err(e), true) => {
                let (kind, key) = if timed_out {
                    (EventType::ActivityTimedOut, "activityTimedOutEventDetails")
                } else {
                    (EventType::ActivityFailed, "activityFailedEventDetails")
                };
                history.push(p, kind, now, || Some((key, error_details(e))))
            }
            (Err(e), false) => {
                let (kind, key) = if timed_out {
                    (EventType::TaskTimedOut, "taskTimedOutEventDetails")
                } else {
                    (EventType::TaskFailed, "taskFailedEventDetails")
                };
                history.push(p, kind, now, || {
                    Some((key, self.details(call, error_details(e))))
                })
            }
        };
        prev.store(id, Relaxed);
        r
    }

    /// One attempt of an activity or `.waitForTaskToken` Task in a durable execution:
    /// schedules it (or picks it up after a restart), performs the request, waits for the answer
    /// or a deadline.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn wait_attempt(
        &self,
        call: Call<'_>,
        token: String,
        fresh: Option<Prepared>,
        resumed: Option<InFlight>,
        key: String,
        park: &Park<'_>,
        vars: &Variables,
        raw_input: &Value,
        rc: RetryCk,
        history: &History,
        prev: &AtomicU64,
    ) -> Result<Value, StatesError> {
        let (Some(broker), Some(dur)) = (self.broker.as_deref(), self.dur.as_deref()) else {
            return Err(StatesError::runtime("no task broker"));
        };
        let runtime_err = |e: StoreError| StatesError::runtime(e.to_string());
        broker.ensure_loaded().await.map_err(runtime_err)?;
        let name = call.name;
        let now = || self.clock.now_rfc3339();
        let mut fl = match (resumed, fresh) {
            (Some(fl), _) => {
                if broker.peek(&token).is_none() {
                    // The row is gone (it never should be): issue it again.
                    let row = PendingTask {
                        token: token.clone(),
                        execution: self.info.id.clone(),
                        activity: call.activity.then(|| call.resource.to_string()),
                        input: to_text(&fl.params),
                        started: false,
                        worker: None,
                        heartbeat_ms: broker.now_ms(),
                        answer: None,
                    };
                    dur.put_task(row.clone());
                    broker.insert(row);
                }
                fl
            }
            (None, Some(prepared)) => {
                let (params, timeout, hb) = prepared?;
                self.check_size(&params, name)?;
                let now_ms = self.clock.now().as_millisecond();
                let timeout_ms = timeout.map(|s| now_ms + s as i64 * 1000);
                let mut limits = serde_json::Map::new();
                if let Some(t) = timeout {
                    limits.insert("timeoutInSeconds".into(), json!(t));
                }
                if let Some(h) = hb {
                    limits.insert("heartbeatInSeconds".into(), json!(h));
                }
                if call.activity {
                    let exists = broker
                        .store
                        .activities()
                        .await
                        .map_err(runtime_err)?
                        .iter()
                        .any(|a| a.arn == call.resource);
                    if !exists {
                        let e = StatesError::new(
                            ACTIVITY_DOES_NOT_EXIST,
                            format!("The activity '{}' does not exist.", call.resource),
                        );
                        let p = history.push(
                            prev.load(Relaxed),
                            EventType::ActivityScheduleFailed,
                            now,
                            || Some(("activityScheduleFailedEventDetails", error_details(&e))),
                        );
                        prev.store(p, Relaxed);
                        return Err(e);
                    }
                    let p = history.push(
                        prev.load(Relaxed),
                        EventType::ActivityScheduled,
                        now,
                        || {
                            let mut d = json!({
                                "resource": call.resource,
                                "input": to_text(&params),
                                "inputDetails": {"truncated": false},
                            });
                            if let Some(m) = d.as_object_mut() {
                                m.extend(limits);
                            }
                            Some(("activityScheduledEventDetails", d))
                        },
                    );
                    prev.store(p, Relaxed);
                } else {
                    let p = history.push(prev.load(Relaxed), EventType::TaskScheduled, now, || {
                        let mut d = self.details(
                            &call,
                            json!({"region": REGION, "parameters": to_text(&params)}),
                        );
                        if let Some(m) = d.as_object_mut() {
                            m.extend(limits);
                        }
                        Some(("taskScheduledEventDetails", d))
                    });
                    let p = history.push(p, EventType::TaskStarted, now, || {
                        Some(("taskStartedEventDetails", self.details(&call, json!({}))))
                    });
                    prev.store(p, Relaxed);
                }
                let row = PendingTask {
                    token: token.clone(),
                    execution: self.info.id.clone(),
                    activity: call.activity.then(|| call.resource.to_string()),
                    input: to_text(&params),
                    started: false,
                    worker: None,
                    heartbeat_ms: now_ms,
                    answer: None,
                };
                dur.put_task(row.clone());
                let fl = InFlight {
                    params,
                    timeout_ms,
                    heartbeat_s: hb,
                    token: Some(token.clone()),
                    key,
                    started: false,
                    submitted: false,
                };
                park.commit(raw_input, vars, task_pos(park, &rc, &fl))
                    .await?;
                broker.insert(row);
                fl
            }
            (None, None) => return Err(StatesError::runtime("a task attempt without input")),
        };
        let mut guard = SlotGuard {
            broker,
            dur,
            token: &token,
            armed: true,
        };
        let expired = |error: &'static str| {
            let e = StatesError::new(error, "");
            (Err(e), true)
        };
        let (result, timed_out) = 'wait: {
            if !call.activity && !fl.submitted {
                let mut output = json!({});
                if let Some(h) = &call.handler {
                    let fut = h.invoke(TaskRequest {
                        state_name: name.to_string(),
                        resource: call.resource.to_string(),
                        input: fl.params.clone(),
                        attempt: call.attempt,
                        idempotency_key: fl.key.clone(),
                        task_token: Some(token.clone()),
                    });
                    let r = match fl.timeout_ms {
                        Some(ms) => {
                            match tokio::time::timeout(durable::until(&self.clock, ms), fut).await {
                                Ok(r) => r,
                                Err(_) => {
                                    broker.close(&token);
                                    break 'wait expired(names::TIMEOUT);
                                }
                            }
                        }
                        None => fut.await,
                    };
                    match r {
                        Ok(v) => output = v,
                        Err(e) => {
                            let p = history.push(
                                prev.load(Relaxed),
                                EventType::TaskSubmitFailed,
                                now,
                                || {
                                    Some((
                                        "taskSubmitFailedEventDetails",
                                        self.details(&call, error_details(&e)),
                                    ))
                                },
                            );
                            prev.store(p, Relaxed);
                            broker.close(&token);
                            dur.remove_task(&token);
                            guard.armed = false;
                            return Err(e);
                        }
                    }
                }
                let p = history.push(prev.load(Relaxed), EventType::TaskSubmitted, now, || {
                    Some((
                        "taskSubmittedEventDetails",
                        self.details(
                            &call,
                            json!({"output": to_text(&output), "outputDetails": {"truncated": false}}),
                        ),
                    ))
                });
                prev.store(p, Relaxed);
                fl.submitted = true;
                park.commit(raw_input, vars, task_pos(park, &rc, &fl))
                    .await?;
            }
            loop {
                let Some(wake) = broker.wake_of(&token) else {
                    break 'wait expired(names::TIMEOUT);
                };
                let notified = wake.notified();
                let Some(row) = broker.peek(&token) else {
                    break 'wait expired(names::TIMEOUT);
                };
                if call.activity && row.started && !fl.started {
                    let worker = row.worker.clone();
                    let p =
                        history.push(prev.load(Relaxed), EventType::ActivityStarted, now, || {
                            let d = match worker {
                                Some(w) => json!({"workerName": w}),
                                None => json!({}),
                            };
                            Some(("activityStartedEventDetails", d))
                        });
                    prev.store(p, Relaxed);
                    fl.started = true;
                    park.commit(raw_input, vars, task_pos(park, &rc, &fl))
                        .await?;
                    continue;
                }
                if let Some(a) = row.answer.as_deref() {
                    broker.close(&token);
                    break 'wait answer_result(a);
                }
                let hb_at = fl.heartbeat_s.map(|h| row.heartbeat_ms + h as i64 * 1000);
                let deadline = match (hb_at, fl.timeout_ms) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let sleep = async {
                    match deadline {
                        Some(d) => tokio::time::sleep(durable::until(&self.clock, d)).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = notified => {}
                    _ = sleep => match broker.expire_if_due(&token, fl.heartbeat_s, fl.timeout_ms) {
                        Due::Later => {}
                        Due::Answered(row) => {
                            break 'wait answer_result(row.answer.as_deref().unwrap_or(""));
                        }
                        Due::Expired(error) => break 'wait expired(error),
                    },
                }
            }
        };
        guard.armed = false;
        broker.close(&token);
        dur.remove_task(&token);
        if let Ok(v) = &result {
            self.check_size(v, name)?;
        }
        self.settle(&call, history, prev, result, timed_out)
    }
}

fn answer_result(text: &str) -> (Result<Value, StatesError>, bool) {
    match Answer::parse(text) {
        Some(Answer::Success(v)) => (Ok(v), false),
        Some(Answer::Failure(e)) => (Err(e), false),
        None => (
            Err(StatesError::runtime("the stored task answer is unreadable")),
            false,
        ),
    }
}

fn task_pos(park: &Park<'_>, rc: &RetryCk, fl: &InFlight) -> Pos {
    Pos::Task {
        entered: park.entered,
        entered_ms: park.entered_ms,
        retry: rc.clone(),
        params: fl.params.clone(),
        timeout_ms: fl.timeout_ms,
        heartbeat_s: fl.heartbeat_s,
        token: fl.token.clone(),
        key: fl.key.clone(),
        started: fl.started,
        submitted: fl.submitted,
    }
}
