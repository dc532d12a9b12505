//! PostgreSQL `LISTEN/NOTIFY` for the shared store: a process learns at once what another did
//! to pending tasks (`stepfn_tasks`: a task added, taken, answered, heartbeaten), instead of
//! polling for it. Released leases are not announced: a process that cannot run an execution
//! (its state machine unknown there) claims and releases it, and announcing that would wake the
//! others into a race for it; their takeover instead sleeps until the next expiry.
//!
//! Notifications are sent inside the transactions that make the change (delivered at commit).
//! One connection per store listens; it reconnects with a growing pause when lost and then
//! announces a change (what happened meanwhile is unknown). Leases that expire because
//! their process died announce nothing: [`super::Store::next_expiry`] says when to look.

use super::Change;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio_postgres::AsyncMessage;

/// The channel of pending-task changes.
pub(super) const TASKS: &str = "stepfn_tasks";

/// Listens on `config`'s database until `closed` says the store is gone, announcing on `tx`.
pub(super) async fn listen(
    config: tokio_postgres::Config,
    tx: broadcast::Sender<Change>,
    mut closed: watch::Receiver<()>,
) {
    let mut pause = Duration::from_millis(100);
    loop {
        if let Ok((client, mut connection)) = config.connect(tokio_postgres::NoTls).await {
            let (to_listener, mut channels) = futures::channel::mpsc::unbounded::<String>();
            let driver = tokio::spawn(async move {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(m)) = messages.next().await {
                    if let AsyncMessage::Notification(n) = m {
                        let _ = to_listener.unbounded_send(n.channel().to_string());
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {TASKS}"))
                .await
                .is_ok()
            {
                pause = Duration::from_millis(100);
                let _ = tx.send(Change::Tasks);
                loop {
                    tokio::select! {
                        channel = channels.next() => match channel {
                            Some(c) => {
                                if c == TASKS {
                                    let _ = tx.send(Change::Tasks);
                                }
                            }
                            None => break,
                        },
                        gone = closed.changed() => if gone.is_err() {
                            driver.abort();
                            return;
                        },
                    }
                }
            }
            driver.abort();
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            gone = closed.changed() => if gone.is_err() { return },
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
