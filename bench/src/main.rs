//! `stepfn-bench`: the stepfn side of `cargo xtask bench`.
//!
//! ```text
//! stepfn-bench [--workloads DIR] [--engine E] [--quick] [--seconds S] NAME...
//! stepfn-bench --scaling [--quick] [--seconds S] [KIND:SIZE...]
//! stepfn-bench --child --engine E --rounds WARMUP [--workloads DIR] NAME
//! stepfn-bench --child --engine E --count N [--no-run] [--workloads DIR] NAME
//! ```
//!
//! `--rounds` (what `cargo xtask bench` runs, one process per workload and engine, its rounds
//! interleaved with the other engines' and the peer's): check, warm up for WARMUP seconds
//! untimed, print `{"name","engine","ready":true,"warmup_executions","warmup_seconds"}`, then
//! time one round per `round SECONDS` line on stdin (the two phases below) and print its record,
//! until the end of stdin. `--count` (what `cargo xtask bench --instructions` runs under
//! callgrind): check, make N inputs and execute them untimed and unchecked (`--no-run`: make
//! them only, the count to subtract).
//!
//! Every workload (and every scaling size) runs in a process of its own (this binary
//! re-spawns itself with `--child`), so the peak RSS it reports (`VmHWM`) is that
//! workload's alone. For each workload and engine it prints one JSON line on stdout, the
//! same fields as the peer's runner (`xtask/peer/run.mjs`) plus `engine`:
//!
//! ```text
//! {"name","engine","executions","seconds","executions_per_sec","transitions_per_sec",
//!  "p50_us","p99_us","peak_rss_bytes", ...extra fields}
//! ```
//!
//! or `{"name","engine","error"}` when a workload fails, or `{"name","engine","unsupported"}`
//! when the engine cannot run it (not a failure). Progress goes to stderr.
//!
//! How one workload is run (Express-like: `keep_history: false`, but for the `history:N`
//! scaling runs): load the workload once,
//! run it once untimed and check the output equals `NAME.expected.json` exactly (as JSON
//! values), then run executions one after another, awaited in one `block_on` of a
//! current-thread tokio runtime (as the peer awaits its executions in one Node event loop), for
//! the time budget (3 s; `--quick` 0.5 s), in two halves:
//! 1. latencies: each execution timed alone, at least one. A latency is the execute call
//!    alone: the input is made (parsed from the JSON text the harness keeps) before the timer
//!    starts (the API takes it by value), and the result is checked against the expected
//!    output and dropped after it stops. Latencies go into a fixed-size histogram (p50/p99
//!    within 0.8 %);
//! 2. throughput: batches of executions (about 50 µs of them by the mean latency, 1 to 64)
//!    timed as a whole, inputs made before a batch's timer starts and outputs checked and
//!    dropped after it stops, at least one batch. `executions_per_sec` is the executions of
//!    this phase over `seconds`, the sum of the batches' times: no clock read sits between
//!    two executions of a batch (a read costs tens of nanoseconds, a tenth of the shortest
//!    execution). The peer's runner measures the same two phases the same way. `cpu_seconds`
//!    is the process's CPU time over the same batches (`getrusage`-like, all threads): on a
//!    loaded machine it leaves out the time the process waited for a core.
//!
//! `wall_seconds` is both phases' wall time, harness included. The workload's input and
//! expected output are kept as text, so the harness's memory does not grow with the number of
//! executions and the peak RSS is the engine's (plus the loaded workload and one batch).
//!
//! Engines:
//! * `interpreter`: `Interpreter::execute` over the workload's `.asl.json` (validated once).
//! * `compiled`: the matching `workflow!` type of `stepfn-examples` (`TrivialThree`,
//!   `PassChain100`, `ChoiceLoop10k`, `Map10k`, `Parallel10x10`, `RetryCatch`) run with
//!   `Workflow::execute` (its generated Rust) on the same JSON input and options. Before
//!   timing, the type's exported ASL is checked equal to the workload's definition (so both
//!   engines run the same state machine) and `COMPILED` to be true (else `execute` would
//!   fall back to the interpreter).
//! * `compiled-typed` (`typed_chain_100` only): `Workflow::execute_typed` from a `Counter`
//!   value (cloned outside the timer), no JSON conversion on the way in.
//! * `durable` (shared workloads): Standard executions through [`stepfn::Runtime`] on a fresh
//!   SQLite file in a temporary folder (WAL, `synchronous=FULL`: every commit is fsync'd; the
//!   store's writer thread group-commits what is queued), removed afterwards. One execution is
//!   run and checked first (untimed); then executions are started from a current-thread tokio
//!   runtime with up to 64 in flight (a sliding window: one starts as one ends; fewer in
//!   flight for long executions, see [`durable_window`]) until the time budget is spent, and
//!   the ones in flight are drained. A latency is `Runtime::start` to `Runtime::wait`
//!   returning (the execution described from the store); every output is checked.
//!   `seconds` is the wall time of the window, so `transitions_per_sec` is throughput under
//!   concurrency, not the inverse of a latency. The runtime enforces the 256 KiB payload limit
//!   on `start` with no option to lift it: a workload whose input is over it (`c_map_10k`)
//!   prints `{"name","engine","unsupported": reason}` instead of figures.
//!
//! `typed_chain_100` is generated here, not read from the workloads directory:
//! `stepfn_examples::typed::TypedChain100`, 100 typed Rust task handlers in a row, input
//! `{"n": 0, "label": "x", "tags": ["a","b"]}`, expected `{"n": 100, "label": "x", "tags":
//! ["a","b"]}`, 100 transitions. Its `interpreter` engine is `TypedChain100::interpreter()`
//! (the exported ASL with the same handlers: every hop goes through JSON). It has no peer.
//!
//! By default every engine a workload has is run (shared workloads: `interpreter`,
//! `compiled`, `durable`; `typed_chain_100`: `interpreter`, `compiled`, `compiled-typed`);
//! `--engine E` runs one.
//!
//! Per-workload settings (every engine):
//! * `e_retry_catch`: the retrier waits `IntervalSeconds` (the model requires at least 1,
//!   so the bench sets 1; the `workflow!` version has 1 already) twice per execution; the
//!   runtime's clock is paused (`start_paused`), so tokio skips each wait as soon as nothing
//!   else can run. The peer gets `retryIntervalOverrides: { Guarded: 0 }` instead.
//! * `c_map_10k`: its input (576 KB) and output exceed Step Functions' 256 KiB payload
//!   limit, so it runs with `payload_limit: None`; every other workload keeps the limit.
//!
//! `--scaling` generates a Map over 1k, 10k, 100k items (the shape of `c_map_10k`) and a
//! Choice loop of 1k, 10k, 100k, 1M iterations (the shape of `b_choice_loop_10k`), runs
//! each with the interpreter (payload limit off) for ~1 s (`--quick` ~0.2 s, at least one
//! timed execution after the checking one) and prints one JSON line per size.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use cpu_time::ProcessTime;
use futures::StreamExt;
use mimalloc::MiMalloc;
use serde_json::{json, Value};
use stepfn::{
    ExecutionOptions, ExecutionResult, ExecutionStatus, Interpreter, Runtime, RuntimeError,
    TaskRegistry, Workflow,
};
use stepfn_examples::typed::{Counter, TypedChain100};
use stepfn_examples::workloads::{
    ChoiceLoop10k, Map10k, Parallel10x10, PassChain100, RetryCatch, TrivialThree,
};

mod durable;
mod plan;
mod scaling;
mod stats;
mod workload;
use durable::*;
use plan::Plan;
use scaling::*;
use stats::*;
use workload::*;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const FULL_SECONDS: f64 = 3.0;
const QUICK_SECONDS: f64 = 0.5;
const SCALING_FULL_SECONDS: f64 = 1.0;
const SCALING_QUICK_SECONDS: f64 = 0.2;

/// The most durable executions in flight at once (group commit shares fsyncs among them).
const DURABLE_IN_FLIGHT: u64 = 64;
/// Fewer in flight for long executions: about this many transitions in flight at most (each
/// execution keeps its events in memory until its next commit), and never fewer than 2.
const DURABLE_TRANSITIONS_IN_FLIGHT: u64 = 16_384;

/// The engines this binary can time.
const ENGINES: &[&str] = &["interpreter", "compiled", "compiled-typed", "durable"];
/// The engines of a shared (ASL) workload.
const SHARED_ENGINES: &[&str] = &["interpreter", "compiled", "durable"];
/// The engines of the typed workload.
const TYPED_ENGINES: &[&str] = &["interpreter", "compiled", "compiled-typed"];
/// The engines of a scaling size (generated ASL: no `workflow!` type to compile).
const SCALING_ENGINES: &[&str] = &["interpreter"];

/// The workload generated by the bench itself: `TypedChain100`, 100 typed task handlers.
const TYPED_CHAIN: &str = "typed_chain_100";

/// Workloads whose input or output exceed the 256 KiB payload limit.
const NO_PAYLOAD_LIMIT: &[&str] = &["c_map_10k"];
/// Workloads whose retry waits run on a paused tokio clock.
const PAUSED_CLOCK: &[&str] = &["e_retry_catch"];

/// The scaling sizes: a Map of 1k, 10k, 100k items; a Choice loop of 1k … 1M iterations; the
/// same loop with its history kept, 1k … 100k iterations (~4k … 400k events).
const SCALING: &[(Kind, u64)] = &[
    (Kind::Map, 1_000),
    (Kind::Map, 10_000),
    (Kind::Map, 100_000),
    (Kind::Choice, 1_000),
    (Kind::Choice, 10_000),
    (Kind::Choice, 100_000),
    (Kind::Choice, 1_000_000),
    (Kind::History, 1_000),
    (Kind::History, 10_000),
    (Kind::History, 100_000),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match Args::parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("stepfn-bench: {e}");
            eprintln!(
                "usage: stepfn-bench [--workloads DIR] [--engine E] [--quick] [--seconds S] NAME...\n       \
                 stepfn-bench --scaling [--quick] [--seconds S] [KIND:SIZE...]"
            );
            return ExitCode::from(2);
        }
    };
    match args.mode {
        Mode::Workloads => parent(&args),
        Mode::ChildWorkload => child_workload(&args),
        Mode::ChildScaling => child_scaling(&args),
    }
}

// ------------------------------------------------------------------ arguments ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Spawn a child per workload (or per scaling size) and forward its line.
    Workloads,
    ChildWorkload,
    ChildScaling,
}

#[derive(Debug)]
struct Args {
    mode: Mode,
    scaling: bool,
    workloads: Option<PathBuf>,
    seconds: f64,
    /// Only this engine; `None`: every engine the workload has (a child: `interpreter`).
    engine: Option<String>,
    names: Vec<String>,
    /// A child serving timed rounds on demand after this many seconds of warm-up (`--rounds`).
    rounds_warmup: Option<f64>,
    /// A child making this many inputs and executing them untimed (`--count N`; `--no-run`:
    /// making them only).
    count: Option<(u64, bool)>,
}

impl Args {
    fn parse(argv: &[String]) -> Result<Args, String> {
        let mut workloads = None;
        let mut quick = false;
        let mut seconds = None;
        let mut scaling = false;
        let mut child = false;
        let mut engine: Option<String> = None;
        let mut names = Vec::new();
        let (mut rounds_warmup, mut count, mut run) = (None, None, true);
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{a} needs a value"))
            };
            match a.as_str() {
                "--workloads" => workloads = Some(PathBuf::from(value()?)),
                "--quick" => quick = true,
                "--scaling" => scaling = true,
                "--child" => child = true,
                "--engine" => engine = Some(value()?),
                "--seconds" => seconds = Some(non_negative(a, &value()?)?),
                "--rounds" => rounds_warmup = Some(non_negative(a, &value()?)?),
                "--count" => {
                    let v = value()?;
                    count = Some(
                        v.parse::<u64>()
                            .map_err(|_| format!("--count needs a whole number, not {v}"))?,
                    );
                }
                "--no-run" => run = false,
                s if s.starts_with("--") => return Err(format!("unknown option {s}")),
                _ => names.push(a.clone()),
            }
        }
        if let Some(e) = &engine {
            let have = if scaling { SCALING_ENGINES } else { ENGINES };
            if !have.contains(&e.as_str()) {
                return Err(format!("unknown engine {e} (have: {have:?})"));
            }
        }
        let seconds = seconds.unwrap_or(match (scaling, quick) {
            (false, false) => FULL_SECONDS,
            (false, true) => QUICK_SECONDS,
            (true, false) => SCALING_FULL_SECONDS,
            (true, true) => SCALING_QUICK_SECONDS,
        });
        let mode = match (child, scaling) {
            (false, _) => Mode::Workloads,
            (true, false) => Mode::ChildWorkload,
            (true, true) => Mode::ChildScaling,
        };
        if !scaling && workloads.is_none() && names.iter().any(|n| n != TYPED_CHAIN) {
            return Err("--workloads DIR is required".into());
        }
        if !scaling && names.is_empty() {
            return Err("no workload names given".into());
        }
        if scaling {
            for n in &names {
                parse_scaling_name(n)?;
            }
        }
        if child && names.len() != 1 {
            return Err("--child takes exactly one name".into());
        }
        if (rounds_warmup.is_some() || count.is_some()) && mode != Mode::ChildWorkload {
            return Err("--rounds and --count are for a --child of a workload".into());
        }
        if rounds_warmup.is_some() && count.is_some() {
            return Err("--rounds and --count exclude each other".into());
        }
        if !run && count.is_none() {
            return Err("--no-run goes with --count".into());
        }
        Ok(Args {
            mode,
            scaling,
            workloads,
            seconds,
            engine,
            names,
            rounds_warmup,
            count: count.map(|n| (n, run)),
        })
    }

    /// What a workload child does after its checking run.
    fn plan<'a>(&self, stdin: &'a mut dyn std::io::BufRead) -> Plan<'a> {
        match (self.rounds_warmup, self.count) {
            (Some(warmup), _) => Plan::Rounds {
                warmup,
                commands: stdin,
            },
            (None, Some((executions, run))) => Plan::Count { executions, run },
            (None, None) => Plan::Once(self.seconds),
        }
    }
}

/// `value` of option `option` as a non-negative number of seconds.
fn non_negative(option: &str, value: &str) -> Result<f64, String> {
    value
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("{option} needs a non-negative number, not {value}"))
}

// --------------------------------------------------------------------- parent ---

/// Runs every name × engine in a child process, one after another; prints each child's
/// JSON line. Exit status 1 if any failed.
fn parent(args: &Args) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("stepfn-bench: cannot find my own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<String> = if args.scaling && args.names.is_empty() {
        SCALING.iter().map(|(k, n)| scaling_name(*k, *n)).collect()
    } else {
        args.names.clone()
    };
    let mut failed = false;
    for name in &names {
        let engines = engines_for(name, args.scaling)
            .iter()
            .filter(|e| args.engine.as_deref().is_none_or(|only| only == **e));
        for engine in engines {
            eprintln!("stepfn: {name} ({engine}) ...");
            let mut cmd = Command::new(&exe);
            cmd.arg("--child")
                .args(["--engine", engine])
                .args(["--seconds", &args.seconds.to_string()]);
            if args.scaling {
                cmd.arg("--scaling");
            }
            if let Some(dir) = &args.workloads {
                cmd.arg("--workloads").arg(dir);
            }
            cmd.arg(name);
            let line = run_child(cmd, name, engine);
            if let Some(why) = line.get("unsupported") {
                eprintln!(
                    "stepfn: {name} ({engine}): n/a: {}",
                    why.as_str().unwrap_or("?")
                );
            } else if let Some(e) = line.get("error") {
                failed = true;
                eprintln!(
                    "stepfn: {name} ({engine}) FAILED: {}",
                    e.as_str().unwrap_or("?")
                );
            } else {
                eprintln!("stepfn: {name} ({engine}): {}", summary(&line));
            }
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The engines `name` can run on.
fn engines_for(name: &str, scaling: bool) -> &'static [&'static str] {
    if scaling {
        SCALING_ENGINES
    } else if name == TYPED_CHAIN {
        TYPED_ENGINES
    } else {
        SHARED_ENGINES
    }
}

/// Runs one child; returns its last stdout line parsed, or an error record.
fn run_child(mut cmd: Command, name: &str, engine: &str) -> Value {
    let out = match cmd.stdin(Stdio::null()).stderr(Stdio::inherit()).output() {
        Ok(o) => o,
        Err(e) => return error_record(name, engine, &format!("cannot start a child: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    match last.and_then(|l| serde_json::from_str::<Value>(l).ok()) {
        Some(v) if v.get("name").and_then(Value::as_str) == Some(name) => v,
        _ => error_record(
            name,
            engine,
            &format!("child process gave no result ({})", out.status),
        ),
    }
}

fn error_record(name: &str, engine: &str, error: &str) -> Value {
    json!({ "name": name, "engine": engine, "error": error })
}

fn summary(v: &Value) -> String {
    let f = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    format!(
        "{} executions in {:.2} s, {:.1} exec/s, p50 {:.0} us, peak RSS {:.1} MiB",
        f("executions"),
        f("seconds"),
        f("executions_per_sec"),
        f("p50_us"),
        f("peak_rss_bytes") / 1_048_576.0
    )
}

// ---------------------------------------------------------------- child: work ---

fn child_workload(args: &Args) -> ExitCode {
    let name = &args.names[0];
    let engine = args.engine.as_deref().unwrap_or("interpreter");
    let result = if engines_for(name, false).contains(&engine) {
        let mut stdin = std::io::stdin().lock();
        load_workload(args.workloads.as_deref(), name)
            .and_then(|w| time_workload(name, engine, &w, args.plan(&mut stdin)))
    } else {
        Err(format!("{name} has no engine {engine}"))
    };
    emit(name, engine, result)
}

fn child_scaling(args: &Args) -> ExitCode {
    let name = &args.names[0];
    let engine = args.engine.as_deref().unwrap_or("interpreter");
    let result = parse_scaling_name(name).and_then(|(k, n)| {
        let w = scaling_workload(k, n);
        let mut v = time_workload(name, engine, &w, Plan::Once(args.seconds))?;
        v["kind"] = json!(k.as_str());
        v["size"] = json!(n);
        Ok(v)
    });
    emit(name, engine, result)
}

fn emit(name: &str, engine: &str, result: Result<Value, String>) -> ExitCode {
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", error_record(name, engine, &e));
            ExitCode::FAILURE
        }
    }
}

/// Builds `engine` for `w`, checks one execution, then follows `plan`.
fn time_workload(name: &str, engine: &str, w: &Workload, plan: Plan) -> Result<Value, String> {
    let payload_limit = if w.payload_limit {
        ExecutionOptions::default().payload_limit
    } else {
        None
    };
    let options = ExecutionOptions {
        name: None,
        keep_history: w.keep_history,
        payload_limit,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(w.paused_clock)
        .build()
        .map_err(|e| format!("cannot build the tokio runtime: {e}"))?;
    match engine {
        "interpreter" => {
            let interpreter = match &w.source {
                Source::Asl(definition) => {
                    let machine =
                        stepfn::asl::StateMachine::from_json(definition).map_err(|diags| {
                            let msgs: Vec<String> = diags.iter().map(ToString::to_string).collect();
                            format!("definition rejected: {}", msgs.join("; "))
                        })?;
                    Interpreter::new(machine, name, TaskRegistry::new())
                }
                Source::TypedChain => TypedChain100::interpreter(),
            };
            runtime.block_on(time_runs(
                name,
                engine,
                w,
                plan,
                || w.input.value(),
                async |input| interpreter.execute(input, options.clone()).await,
            ))
        }
        "compiled" => {
            let (execute, compiled, asl) = compiled_workflow(name)?;
            if !compiled {
                return Err(format!(
                    "the workflow! type of {name} is not compiled (COMPILED is false)"
                ));
            }
            if let Source::Asl(definition) = &w.source {
                if let Some(d) = first_difference(&asl, definition, "$") {
                    return Err(format!(
                        "the workflow! type's ASL differs from {name}.asl.json: {d}"
                    ));
                }
            }
            runtime.block_on(time_runs(
                name,
                engine,
                w,
                plan,
                || w.input.value(),
                async |input| execute(input, options.clone()).await,
            ))
        }
        "compiled-typed" if matches!(w.source, Source::TypedChain) => {
            if !TypedChain100::COMPILED {
                return Err("TypedChain100 is not compiled (COMPILED is false)".into());
            }
            let input: Counter = serde_json::from_value(w.input.value())
                .map_err(|e| format!("the input is not a Counter: {e}"))?;
            runtime.block_on(time_runs(
                name,
                engine,
                w,
                plan,
                || input.clone(),
                async |input| TypedChain100::execute_typed(input, options.clone()).await,
            ))
        }
        "durable" if matches!(w.source, Source::Asl(_)) => {
            drop(runtime);
            time_durable(name, w, plan)
        }
        _ => Err(format!("{name} has no engine {engine}")),
    }
}

/// Runs `run` once on a clone of `input` and checks the output, then follows `plan`: timed
/// runs (each input made outside the timer) or untimed ones to count instructions.
async fn time_runs<I>(
    name: &str,
    engine: &str,
    w: &Workload,
    plan: Plan<'_>,
    mut make_input: impl FnMut() -> I,
    mut run: impl AsyncFnMut(I) -> ExecutionResult,
) -> Result<Value, String> {
    let mut run_once = async |input: I| {
        let result = run(input).await;
        if result.status != ExecutionStatus::Succeeded {
            return Err(format!(
                "execution {}: {}: {}",
                result.status.as_str(),
                result.error.as_deref().unwrap_or("-"),
                result.cause.as_deref().unwrap_or("-")
            ));
        }
        Ok(result.output.unwrap_or(Value::Null))
    };

    // The correctness check, not counted in the timings.
    let first_input = make_input();
    // Loaded: the definition, the interpreter, the input and the clone the first run takes.
    let loaded_rss = peak_rss_bytes();
    let t0 = Instant::now();
    let output = run_once(first_input).await?;
    let first_run = t0.elapsed();
    if let Some(d) = w.check.difference(&output) {
        return Err(format!("wrong output: {d}"));
    }
    drop(output);
    let first_run_rss = peak_rss_bytes();
    let rss = (first_run_rss, loaded_rss);

    match plan {
        Plan::Once(seconds) => {
            time_round(
                (name, engine, w),
                seconds,
                (first_run, rss),
                &mut make_input,
                &mut run_once,
            )
            .await
        }
        Plan::Rounds { warmup, commands } => {
            let budget = Duration::from_secs_f64(warmup);
            let (mut executions, start) = (0u64, Instant::now());
            while start.elapsed() < budget {
                run_once(make_input()).await?;
                executions += 1;
            }
            ready_line(name, engine, executions, start.elapsed());
            let mut rounds = 0;
            while let Some(seconds) = plan::next_round(commands)? {
                let record = time_round(
                    (name, engine, w),
                    seconds,
                    (first_run, rss),
                    &mut make_input,
                    &mut run_once,
                )
                .await?;
                print_line(&record);
                rounds += 1;
            }
            Ok(json!({ "name": name, "engine": engine, "rounds": rounds }))
        }
        Plan::Count { executions, run } => {
            let inputs: Vec<I> = (0..executions).map(|_| make_input()).collect();
            if run {
                for input in inputs {
                    run_once(input).await?;
                }
            }
            Ok(json!({ "name": name, "engine": engine, "executions": executions, "run": run }))
        }
    }
}

/// Prints `{"name","engine","ready":true,"warmup_executions","warmup_seconds"}`: the checking
/// run passed and the warm-up is over; the child now reads round commands.
fn ready_line(name: &str, engine: &str, executions: u64, took: Duration) {
    print_line(&json!({
        "name": name,
        "engine": engine,
        "ready": true,
        "warmup_executions": executions,
        "warmup_seconds": took.as_secs_f64(),
    }));
}

fn print_line(v: &Value) {
    println!("{v}");
    let _ = std::io::stdout().flush();
}

/// One timed run of ~`seconds`, executions one after another, in two halves: latencies, each
/// execution timed alone (at least one), then throughput, batches of executions timed as a
/// whole (at least one batch).
async fn time_round<I>(
    (name, engine, w): (&str, &str, &Workload),
    seconds: f64,
    (first_run, rss): (Duration, (Option<u64>, Option<u64>)),
    make_input: &mut impl FnMut() -> I,
    run_once: &mut impl AsyncFnMut(I) -> Result<Value, String>,
) -> Result<Value, String> {
    // 1. Latencies: each execution timed alone (at least one).
    let half = Duration::from_secs_f64(seconds / 2.0);
    let mut latencies = Latencies::new();
    let start = Instant::now();
    loop {
        let input = make_input();
        let t0 = Instant::now();
        let output = run_once(input).await;
        latencies.record(t0.elapsed());
        let output = output?;
        if let Some(d) = w.check.difference(&output) {
            return Err(format!(
                "wrong output on execution {}: {d}",
                latencies.count + 1
            ));
        }
        drop(output);
        if start.elapsed() >= half {
            break;
        }
    }
    let stats = latencies.stats();

    // 2. Throughput: batches of executions timed as a whole, so no clock read falls between
    // two executions (one costs more than some whole executions); the batch's inputs are made
    // before its timer starts, its outputs checked and dropped after it stops (at least one
    // batch).
    let batch = throughput_batch(stats.mean_us);
    let mut inputs = Vec::with_capacity(batch);
    let mut outputs = Vec::with_capacity(batch);
    let (mut executions, mut timed, mut cpu) = (0u64, Duration::ZERO, Duration::ZERO);
    let phase = Instant::now();
    loop {
        inputs.extend((0..batch).map(|_| make_input()));
        let (c0, t0) = (ProcessTime::now(), Instant::now());
        for input in inputs.drain(..) {
            outputs.push(run_once(input).await);
        }
        timed += t0.elapsed();
        cpu += c0.elapsed();
        for output in outputs.drain(..) {
            executions += 1;
            if let Some(d) = w.check.difference(&output?) {
                return Err(format!(
                    "wrong output on execution {}: {d}",
                    latencies.count + executions
                ));
            }
        }
        if phase.elapsed() >= half {
            break;
        }
    }
    let wall = start.elapsed();
    let mut record = timing_record(
        (name, engine, w),
        &stats,
        ((executions, timed), wall, first_run),
        rss,
    );
    record["latency_executions"] = json!(stats.executions);
    record["throughput_batch"] = json!(batch);
    record["cpu_seconds"] = json!(cpu.as_secs_f64());
    Ok(record)
}

/// How many executions a throughput batch holds: about 50 µs of them (by the mean latency),
/// 1 to [`MAX_BATCH`]. A clock read costs tens of nanoseconds, a rounding error from 64
/// executions on; a small batch keeps what the harness holds (inputs, outputs) small.
fn throughput_batch(mean_us: f64) -> usize {
    if mean_us.is_nan() || mean_us <= 0.0 {
        return 1;
    }
    ((50.0 / mean_us).round() as usize).clamp(1, MAX_BATCH)
}

const MAX_BATCH: usize = 64;

/// The JSON record of one timed engine: the rate is `executions` over `seconds` (timed
/// batches, or the wall time of overlapping executions), `wall` is the whole timed part's.
fn timing_record(
    (name, engine, w): (&str, &str, &Workload),
    stats: &Stats,
    ((executions, seconds), wall, first_run): ((u64, Duration), Duration, Duration),
    (first_run_rss, loaded_rss): (Option<u64>, Option<u64>),
) -> Value {
    let executions_per_sec = executions as f64 / seconds.as_secs_f64();
    json!({
        "name": name,
        "engine": engine,
        "executions": executions,
        "seconds": seconds.as_secs_f64(),
        "executions_per_sec": executions_per_sec,
        "transitions_per_sec": executions_per_sec * w.transitions as f64,
        "p50_us": stats.p50_us,
        "p99_us": stats.p99_us,
        "peak_rss_bytes": peak_rss_bytes().unwrap_or(0),
        "transitions_per_execution": w.transitions,
        "mean_us": stats.mean_us,
        "min_us": stats.min_us,
        "max_us": stats.max_us,
        "wall_seconds": wall.as_secs_f64(),
        "first_run_us": first_run.as_secs_f64() * 1e6,
        "first_run_peak_rss_bytes": first_run_rss.unwrap_or(0),
        "loaded_peak_rss_bytes": loaded_rss.unwrap_or(0),
        "payload_limit": w.payload_limit,
        "paused_clock": w.paused_clock,
        "allocator": "mimalloc",
    })
}

#[cfg(test)]
mod tests;
