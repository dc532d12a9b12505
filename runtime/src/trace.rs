//! Tracing: the spans and events of an execution, for the interpreter and the compiled form
//! alike, with their names and fields defined here once.
//!
//! - `execution` span (INFO): `state_machine`, `execution` (its name), `arn`.
//! - `state` span (DEBUG), inside it: `state` (its name), `type` (`Task`, `Choice`, …),
//!   `attempt` (recorded when a retry starts: 1, 2, …) and `error` (recorded when the state
//!   fails; a caught error is a `catch` event instead).
//! - `retry` event (INFO): `state`, `attempt` (the attempt about to run, 1 for the first retry),
//!   `delay_ms`, `error`.
//! - `catch` event (INFO): `state`, `error`, `next` (the catcher's target).
//!
//! Everything is under the `stepfn` target (`RUST_LOG=stepfn=debug`). With no subscriber
//! installed, each span and event costs a check of tracing's cached interest.

use crate::error::StatesError;
use std::time::Duration;
use stepfn_asl::StateKind;
use tracing::field::Empty;
use tracing::Span;

/// The span of one execution; `name` is its name when one is known, `arn` its ARN.
#[inline]
pub(crate) fn execution(state_machine: &str, name: Option<&str>, arn: Option<&str>) -> Span {
    tracing::info_span!(
        target: "stepfn",
        "execution",
        state_machine,
        execution = name,
        arn = arn,
    )
}

/// The span of one state, entered afresh or restarted; its parent is the current span.
#[inline]
pub(crate) fn state(name: &str, kind: &StateKind) -> Span {
    tracing::debug_span!(
        target: "stepfn",
        "state",
        state = name,
        r#type = kind.type_name(),
        attempt = Empty,
        error = Empty,
    )
}

/// [`state`] with an explicit parent (the compiled form, which does not enter its spans).
#[inline]
pub(crate) fn state_in(parent: &Span, name: &str, kind: &StateKind) -> Span {
    tracing::debug_span!(
        target: "stepfn",
        parent: parent,
        "state",
        state = name,
        r#type = kind.type_name(),
        attempt = Empty,
        error = Empty,
    )
}

/// True when a subscriber listens to execution spans (so a name is worth making for one).
#[inline]
pub(crate) fn wants_execution_name() -> bool {
    tracing::enabled!(target: "stepfn", tracing::Level::INFO)
}

/// Records the state's failure on its span.
#[inline]
pub(crate) fn failed(span: &Span, e: &StatesError) {
    if !span.is_disabled() {
        span.record("error", e.error.as_str());
    }
}

/// A retry: attempt `attempt` of state `state` runs after `delay`, because of `error`.
#[cold]
pub(crate) fn retry(span: &Span, state: &str, attempt: u64, delay: Duration, error: &StatesError) {
    span.record("attempt", attempt);
    tracing::info!(
        target: "stepfn",
        parent: span,
        state,
        attempt,
        delay_ms = delay.as_millis() as u64,
        error = error.error.as_str(),
        "retry"
    );
}

/// A catch: state `state`'s `error` goes to the catcher's `next`.
#[cold]
pub(crate) fn catch(span: &Span, state: &str, error: &StatesError, next: &str) {
    tracing::info!(
        target: "stepfn",
        parent: span,
        state,
        error = error.error.as_str(),
        next,
        "catch"
    );
}
