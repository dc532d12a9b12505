//! Tracing: a run with a retry and a catch gives the same execution and state spans and the same
//! retry and catch events from the interpreter and from the compiled form.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use stepfn::{workflow, ExecutionOptions, TaskError, Workflow};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    id: String,
}

/// Busy on the first call, declined on the second: one retry, then a catch.
static CALLS: AtomicU32 = AtomicU32::new(0);
/// One run at a time (they share `CALLS`).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn charge(o: Order) -> Result<Order, TaskError> {
    match CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => Err(TaskError::new("Gateway.Busy", "try again")),
        _ => Err(TaskError::new("Payment.Declined", "no")),
    }
    .map(|()| o)
}

workflow! {
    /// Charge with a retry and a catch.
    Traced(Order) -> Order {
        start Charge;
        Charge: task charge {
            retry [Gateway.Busy] every 2s, 3 times;
            catch [Payment.Declined] into "$.error" -> Declined;
        } -> Done;
        Done: succeed;
        Declined: fail "Order.Declined", "the card was declined";
    }
}

/// What the subscriber saw, one line per span (with its fields, as last recorded) or event.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

/// A span's fields, updated by `record`.
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        match self.0.iter_mut().find(|(k, _)| k == field.name()) {
            Some((_, old)) => *old = v,
            None => self.0.push((field.name().to_string(), v)),
        }
    }
}

fn line(name: &str, fields: &Fields) -> String {
    let f: Vec<String> = fields.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name} {}", f.join(" "))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut f = Fields(Vec::new());
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(f);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(f) = span.extensions_mut().get_mut::<Fields>() {
                values.record(f);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut f = Fields(Vec::new());
        event.record(&mut f);
        let parent = ctx
            .event_span(event)
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(format!("event in {parent}: {}", line("", &f).trim()));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            let parent = span.parent().map(|p| p.name().to_string());
            let ext = span.extensions();
            let empty = Fields(Vec::new());
            let f = ext.get::<Fields>().unwrap_or(&empty);
            self.0.lock().unwrap().push(format!(
                "span {} (in {}): {}",
                span.name(),
                parent.unwrap_or_default(),
                line("", f).trim()
            ));
        }
    }
}

/// Runs `run` under a capturing subscriber; returns what it saw, sorted (spans close in a
/// different order than they open).
async fn capture<F: std::future::Future<Output = stepfn::ExecutionResult>>(run: F) -> Vec<String> {
    let _one = ONE_AT_A_TIME.lock().await;
    CALLS.store(0, Ordering::SeqCst);
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let result = run.await;
    assert_eq!(result.error.as_deref(), Some("Order.Declined"));
    drop(_guard);
    let mut lines = seen.0.lock().unwrap().clone();
    lines.sort();
    lines
}

fn options() -> ExecutionOptions {
    ExecutionOptions {
        name: Some("run-1".into()),
        ..ExecutionOptions::default()
    }
}

const EXPECTED: &[&str] = &[
    r#"event in state: message=catch state="Charge" error="Payment.Declined" next="Declined""#,
    r#"event in state: message=retry state="Charge" attempt=1 delay_ms=2000 error="Gateway.Busy""#,
    r#"span execution (in ): state_machine="Traced" execution="run-1" arn="arn:aws:states:us-east-1:123456789012:execution:Traced:run-1""#,
    r#"span state (in execution): state="Charge" type="Task" attempt=1"#,
    r#"span state (in execution): state="Declined" type="Fail" error="Order.Declined""#,
];

#[tokio::test(start_paused = true)]
async fn interpreter_traces_states_retries_and_catches() {
    let input = serde_json::json!({"id": "o-1"});
    let lines = capture(Traced::interpreter().execute(input, options())).await;
    assert_eq!(lines, EXPECTED);
}

#[tokio::test(start_paused = true)]
async fn compiled_form_traces_the_same() {
    const { assert!(Traced::COMPILED) };
    let input = Order { id: "o-1".into() };
    let lines = capture(Traced::execute_typed(input, options())).await;
    assert_eq!(lines, EXPECTED);
}
