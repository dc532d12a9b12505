//! `stepfn run FILE`: runs one execution of an ASL definition and prints its outcome as JSON.
//!
//! Output contract: stdout holds one JSON object, `{"status": "SUCCEEDED", "output": …}` or
//! `{"status": "FAILED" | "TIMED_OUT" | "ABORTED", "error": …, "cause": …}`, plus `"history"` with
//! `--history`. Exit 0 on SUCCEEDED, 1 on any other terminal status, 2 when the definition or the
//! input is invalid (nothing runs; diagnostics on stderr).

use crate::engine::tasks::{MockResponses, TaskRegistry};
use crate::engine::{ExecutionOptions, ExecutionStatus, Interpreter};
use crate::io::size;
use crate::runtime::{execution_arn, Runtime};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use stepfn_asl::StateMachine;

/// Arguments of `stepfn run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The ASL definition (JSON).
    pub file: PathBuf,
    /// The execution input as JSON text (default `{}`).
    #[arg(long, conflicts_with = "input_file")]
    pub input: Option<String>,
    /// A file holding the execution input.
    #[arg(long)]
    pub input_file: Option<PathBuf>,
    /// Print the execution history too.
    #[arg(long)]
    pub history: bool,
    /// A Step Functions Local mock configuration file answering Task states.
    #[arg(long, requires = "test_case")]
    pub mock_config: Option<PathBuf>,
    /// The test case of the mock configuration to use.
    #[arg(long, requires = "mock_config")]
    pub test_case: Option<String>,
    /// The state machine of the mock configuration (default: the one that has the test case).
    #[arg(long)]
    pub state_machine: Option<String>,
    /// The execution's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Run durably (a Standard execution) in this database: a SQLite file or a `postgres://`
    /// URL; run again with the same `--db` and `--name` after a crash to continue the execution
    /// (or print its result). On PostgreSQL another process may continue it.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Lift the 25,000-event history quota of Standard executions (local development only:
    /// AWS enforces it).
    #[arg(long)]
    pub no_history_quota: bool,
    /// With a `postgres://` `--db`: how long after this process stops renewing its leases
    /// (killed, paused, cut off) another process takes over its executions, e.g. `10s`, `500ms`.
    #[arg(long, default_value = "10s", value_parser = lease_timeout)]
    pub lease_timeout: std::time::Duration,
    /// Fill the `${NAME}` placeholder of the definition with VALUE, like a template's
    /// `DefinitionSubstitutions` (repeatable).
    #[arg(long = "substitution", value_name = "NAME=VALUE", value_parser = parse_substitution)]
    pub substitutions: Vec<(String, String)>,
    /// Send Task states on Lambda functions (function ARNs, `arn:aws:states:::lambda:invoke`) to
    /// this Lambda Invoke endpoint, e.g. `cargo lambda watch`'s `http://127.0.0.1:9000`.
    #[cfg(feature = "lambda-invoke")]
    #[arg(long, value_name = "URL", conflicts_with = "mock_config")]
    pub lambda_endpoint: Option<String>,
}

/// Parses `--lease-timeout`: seconds (`10`, `1.5`, `10s`) or milliseconds (`500ms`).
pub(crate) fn lease_timeout(text: &str) -> Result<std::time::Duration, String> {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(n) => (n, 0.001),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n * scale >= 0.1 && n * scale <= 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(n * scale))
        }
        _ => Err(format!(
            "`{text}` is not a lease timeout between 100ms and 24h (e.g. `10s`, `500ms`)"
        )),
    }
}

fn parse_substitution(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

fn fail_usage(msg: impl std::fmt::Display) -> i32 {
    eprintln!("error: {msg}");
    2
}

/// Runs `stepfn run`; returns the process exit code.
pub fn run(args: &RunArgs) -> i32 {
    crate::quotas::lift_history_quota(args.no_history_quota);
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => return fail_usage(format!("cannot read `{}`: {e}", args.file.display())),
    };
    let text = match crate::template::substitute(&text, &args.substitutions) {
        Ok(t) => t,
        Err(e) => return fail_usage(format!("{}: {e}", args.file.display())),
    };
    let machine = match StateMachine::from_json_str(&text) {
        Ok(m) => m,
        Err(diags) => {
            for d in diags {
                eprintln!("{}: {d}", args.file.display());
            }
            return 2;
        }
    };
    let input_text = match (&args.input, &args.input_file) {
        (Some(s), _) => s.clone(),
        (None, Some(p)) => match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => return fail_usage(format!("cannot read `{}`: {e}", p.display())),
        },
        (None, None) => "{}".to_string(),
    };
    let input: Value = match crate::quotas::read_json(&input_text) {
        Ok(v) => v,
        Err(e) => return fail_usage(format!("the execution input is not valid JSON: {e}")),
    };
    if input_text.len() > size::PAYLOAD_LIMIT {
        return fail_usage(format!(
            "the execution input is {} bytes; Step Functions accepts at most {} bytes",
            input_text.len(),
            size::PAYLOAD_LIMIT
        ));
    }
    let mut tasks = TaskRegistry::new();
    if let (Some(cfg_path), Some(case)) = (&args.mock_config, &args.test_case) {
        let cfg: Value = match std::fs::read_to_string(cfg_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("not valid JSON: {e}")))
        {
            Ok(v) => v,
            Err(e) => {
                return fail_usage(format!("mock configuration `{}`: {e}", cfg_path.display()))
            }
        };
        match MockResponses::from_config(&cfg, args.state_machine.as_deref(), case) {
            Ok(m) => {
                tasks.set_fallback(m.into_handler());
            }
            Err(e) => {
                return fail_usage(format!("mock configuration `{}`: {e}", cfg_path.display()))
            }
        }
    }
    #[cfg(feature = "lambda-invoke")]
    if let Some(url) = &args.lambda_endpoint {
        tasks.set_fallback(std::sync::Arc::new(
            crate::lambda_endpoint::LambdaEndpoint::new(url),
        ));
    }
    let sm_name = args
        .state_machine
        .clone()
        .or_else(|| {
            args.file
                .file_stem()
                .map(|s| s.to_string_lossy().trim_end_matches(".asl").to_string())
        })
        .unwrap_or_else(|| "StateMachine".into());
    if let Some(db) = &args.db {
        return run_durable(args, db, machine, &sm_name, tasks, input);
    }
    let interpreter = Interpreter::new(machine, sm_name, tasks);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail_usage(format!("cannot start the async runtime: {e}")),
    };
    let options = ExecutionOptions {
        name: args.name.clone(),
        keep_history: args.history,
        ..ExecutionOptions::default()
    };
    let result = rt.block_on(interpreter.execute(input, options));
    print_result(
        result.status,
        result.output,
        result.error,
        result.cause,
        args.history
            .then(|| result.history.iter().map(|e| e.to_json()).collect()),
    )
}

/// Prints the output contract's JSON object; returns the exit code.
fn print_result(
    status: ExecutionStatus,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    history: Option<Vec<Value>>,
) -> i32 {
    let mut out = Map::new();
    out.insert("status".into(), json!(status.as_str()));
    match status {
        ExecutionStatus::Succeeded => {
            out.insert("output".into(), output.unwrap_or(Value::Null));
        }
        _ => {
            out.insert("error".into(), error.map_or(Value::Null, Value::String));
            out.insert("cause".into(), cause.map_or(Value::Null, Value::String));
        }
    }
    if let Some(h) = history {
        out.insert("history".into(), Value::Array(h));
    }
    if !super::write_stdout(&format!("{}\n", Value::Object(out))) {
        return 2;
    }
    if status == ExecutionStatus::Succeeded {
        0
    } else {
        1
    }
}

/// `stepfn run --db`: starts the execution, or continues it when the database has it RUNNING
/// (after a crash), or reports it when it is closed; then prints the same JSON as in memory.
/// The execution is looked up first: [`Runtime::start`] refuses the name of a closed execution
/// (`ExecutionAlreadyExists`, as AWS does).
fn run_durable(
    args: &RunArgs,
    db: &std::path::Path,
    machine: StateMachine,
    sm_name: &str,
    tasks: TaskRegistry,
    input: Value,
) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail_usage(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(async {
        let runtime = match Runtime::open_with_lease(db, args.lease_timeout) {
            Ok(r) => r,
            Err(e) => return fail_usage(format!("cannot open `{}`: {e}", db.display())),
        };
        if let Err(e) = runtime.register(sm_name, machine, tasks) {
            return fail_usage(e);
        }
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let arn = execution_arn(sm_name, &name);
        let started = match runtime.describe(&arn).await {
            Ok(d) => match runtime.resume_execution(&arn).await {
                Ok(_)
                    if crate::quotas::read_json::<Value>(&d.record.input).ok()
                        == Some(input.clone()) =>
                {
                    Ok(arn.clone())
                }
                Ok(_) => Err(crate::runtime::RuntimeError::ExecutionAlreadyExists(
                    arn.clone(),
                )),
                Err(e) => Err(e),
            },
            Err(_) => runtime.start(sm_name, input, Some(&name)).await,
        };
        let arn = match started {
            Ok(a) => a,
            Err(e) => return fail_usage(e),
        };
        let d = match runtime.wait(&arn).await {
            Ok(d) => d,
            Err(e) => return fail_usage(e),
        };
        let history = if args.history {
            match runtime.full_history(&arn).await {
                Ok(h) => Some(h),
                Err(e) => return fail_usage(e),
            }
        } else {
            None
        };
        let output = match (&d.record.output, d.output()) {
            (Some(_), None) => {
                return fail_usage(format!("the stored output of `{arn}` cannot be read"))
            }
            (_, output) => output,
        };
        print_result(
            d.status(),
            output,
            d.record.error.clone(),
            d.record.cause.clone(),
            history,
        )
    })
}
