//! `stepfn history NAME --db PATH`: prints an execution's events as GetExecutionHistory does,
//! `{"events": [...]}`.

use crate::runtime::{HistoryQuery, Runtime};
use serde_json::json;
use std::path::PathBuf;

/// Arguments of `stepfn history`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The execution's name (or its ARN).
    pub name: String,
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long)]
    pub db: PathBuf,
    /// Newest first.
    #[arg(long)]
    pub reverse: bool,
    /// At most this many events (default: all).
    #[arg(long)]
    pub max_results: Option<usize>,
}

/// Runs `stepfn history`; returns the exit code (1: no such execution, 2: unreadable database).
pub fn run(args: &Args) -> i32 {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return 2;
    };
    rt.block_on(async {
        let runtime = match Runtime::open(&args.db) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot open `{}`: {e}", args.db.display());
                return 2;
            }
        };
        let Some(arn) = super::executions::find(&runtime, &args.name).await else {
            eprintln!(
                "error: no execution `{}` in `{}`",
                args.name,
                args.db.display()
            );
            return 1;
        };
        let mut events = Vec::new();
        let mut token = None;
        let want = args.max_results.unwrap_or(usize::MAX);
        while events.len() < want {
            let q = HistoryQuery {
                max_results: (want - events.len()).min(1000),
                reverse_order: args.reverse,
                next_token: token.take(),
            };
            match runtime.history(&arn, q).await {
                Ok(page) => {
                    events.extend(page.events);
                    match page.next_token {
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
        }
        if super::write_stdout(&format!("{}\n", json!({ "events": events }))) {
            0
        } else {
            2
        }
    })
}
