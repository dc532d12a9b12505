//! `stepfn executions --db PATH`: lists the executions of a database, newest first, as
//! ListExecutions does: `{"executions": [...]}`.

use crate::engine::ExecutionStatus;
use crate::runtime::Runtime;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Arguments of `stepfn executions`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long)]
    pub db: PathBuf,
    /// Only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED).
    #[arg(long)]
    pub status: Option<String>,
    /// Only executions of this state machine.
    #[arg(long)]
    pub state_machine: Option<String>,
}

/// The ARN of the execution called `name` (or with ARN `name`).
pub(crate) async fn find(runtime: &Runtime, name: &str) -> Option<String> {
    let all = runtime.list(None, None).await.ok()?;
    all.into_iter()
        .find(|d| d.record.arn == name || d.record.name == name)
        .map(|d| d.record.arn)
}

/// Runs `stepfn executions`; returns the exit code.
pub fn run(args: &Args) -> i32 {
    let status = match &args.status {
        Some(s) => match ExecutionStatus::parse(&s.to_ascii_uppercase()) {
            Some(s) => Some(s),
            None => {
                eprintln!("error: unknown status `{s}`");
                return 2;
            }
        },
        None => None,
    };
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
        match runtime.list(args.state_machine.as_deref(), status).await {
            Ok(list) => {
                let items: Vec<Value> = list
                    .iter()
                    .map(|d| {
                        let mut v = d.to_json();
                        if let Some(m) = v.as_object_mut() {
                            m.remove("input");
                            m.remove("output");
                        }
                        v
                    })
                    .collect();
                if super::write_stdout(&format!("{}\n", json!({ "executions": items }))) {
                    0
                } else {
                    2
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        }
    })
}
