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

mod plan;
use plan::Plan;

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
const ENGINES: &[&str] = &[
    "interpreter",
    "compiled",
    "compiled-typed",
    "durable",
    "durable-postgres",
];
/// The engines of a shared (ASL) workload.
const SHARED_ENGINES: &[&str] = &["interpreter", "compiled", "durable"];
/// The durable engine on PostgreSQL: a shared workload's engine when asked for by name (needs
/// `STEPFN_BENCH_POSTGRES` and the `postgres` feature).
const DURABLE_POSTGRES: &str = "durable-postgres";
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

/// One loaded workload, ready to time.
struct Workload {
    source: Source,
    input: JsonText,
    /// What every execution must output.
    check: Check,
    transitions: u64,
    payload_limit: bool,
    paused_clock: bool,
    /// Keep the history (only the `history:N` scaling runs; Express-like otherwise).
    keep_history: bool,
}

/// Where a workload's state machine comes from.
enum Source {
    /// An ASL definition (a shared workload or a scaling size).
    Asl(Value),
    /// `stepfn_examples::typed::TypedChain100` (`typed_chain_100`).
    TypedChain,
}

/// A JSON value kept as its compact text. The harness holds workload inputs and expected
/// outputs this way, so the peak RSS it reports is the engine's, not that of the harness's own
/// copies of large values (c_map_10k's input and output are about 10 MiB each as `Value`s).
#[derive(Debug, Clone, PartialEq)]
struct JsonText(String);

impl JsonText {
    fn new(v: &Value) -> Self {
        JsonText(v.to_string())
    }

    /// The JSON file at `path`, checked and made compact without building its value (a
    /// large file's value would raise the peak RSS the harness reports).
    fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        Ok(JsonText(compact(&text)))
    }

    /// The value (parsed from text checked to be JSON, so it parses).
    fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// `text` (valid JSON) without the whitespace between its tokens.
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

enum Check {
    /// Exactly this JSON value.
    Exact(JsonText),
    /// A generated Map's output: item `i` is `map_output_item(i)`; `n` items.
    MapItems(u64),
}

impl Check {
    /// `None` when `output` is right, else where it first differs.
    fn difference(&self, output: &Value) -> Option<String> {
        match self {
            Check::Exact(want) => {
                // Equal text is an equal value; otherwise compare values (key order aside).
                if serde_json::to_string(output).is_ok_and(|got| got == want.0) {
                    None
                } else {
                    first_difference(output, &want.value(), "$")
                }
            }
            Check::MapItems(n) => {
                let Some(items) = output.as_array() else {
                    return Some(format!("$: got {}, want an array", kind(output)));
                };
                if items.len() as u64 != *n {
                    return Some(format!("$: got {} items, want {n}", items.len()));
                }
                items.iter().enumerate().find_map(|(i, got)| {
                    first_difference(got, &map_output_item(i as u64), &format!("$[{i}]"))
                })
            }
        }
    }
}

fn child_workload(args: &Args) -> ExitCode {
    let name = &args.names[0];
    let engine = args.engine.as_deref().unwrap_or("interpreter");
    let shared = engines_for(name, false) == SHARED_ENGINES;
    let result =
        if engines_for(name, false).contains(&engine) || (engine == DURABLE_POSTGRES && shared) {
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

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// `NAME` from `dir` (`typed_chain_100` is generated and needs no `dir`).
fn load_workload(dir: Option<&Path>, name: &str) -> Result<Workload, String> {
    if name == TYPED_CHAIN {
        return Ok(typed_chain_workload());
    }
    let dir = dir.ok_or("--workloads DIR is required")?;
    let manifest = read_json(&dir.join("manifest.json"))?;
    let transitions = manifest
        .get(name)
        .and_then(|m| m.get("transitions"))
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{name} has no transitions in manifest.json"))?;
    let mut definition = read_json(&dir.join(format!("{name}.asl.json")))?;
    let input = JsonText::read(&dir.join(format!("{name}.input.json")))?;
    let expected = JsonText::read(&dir.join(format!("{name}.expected.json")))?;
    let paused_clock = PAUSED_CLOCK.contains(&name);
    if paused_clock {
        set_retry_intervals(&mut definition, 1);
    }
    Ok(Workload {
        source: Source::Asl(definition),
        input,
        check: Check::Exact(expected),
        transitions,
        payload_limit: !NO_PAYLOAD_LIMIT.contains(&name),
        paused_clock,
        keep_history: false,
    })
}

/// `typed_chain_100`: `TypedChain100` counting `n` from 0 to 100.
fn typed_chain_workload() -> Workload {
    Workload {
        source: Source::TypedChain,
        input: JsonText::new(&json!({ "n": 0, "label": "x", "tags": ["a", "b"] })),
        check: Check::Exact(JsonText::new(
            &json!({ "n": 100, "label": "x", "tags": ["a", "b"] }),
        )),
        transitions: 100,
        payload_limit: true,
        paused_clock: false,
        keep_history: false,
    }
}

/// A compiled workflow's `Workflow::execute`.
type Execute = fn(Value, ExecutionOptions) -> Pin<Box<dyn Future<Output = ExecutionResult> + Send>>;

/// The `workflow!` type of shared workload `name` (or of `typed_chain_100`): its `execute`,
/// `COMPILED`, and its ASL as JSON.
fn compiled_workflow(name: &str) -> Result<(Execute, bool, Value), String> {
    fn of<W: Workflow>() -> Result<(Execute, bool, Value), String> {
        let asl = serde_json::from_str(W::ASL)
            .map_err(|e| format!("{}::ASL is not JSON: {e}", W::NAME))?;
        Ok((W::execute, W::COMPILED, asl))
    }
    match name {
        "t_trivial_3" => of::<TrivialThree>(),
        "a_pass_chain_100" => of::<PassChain100>(),
        "b_choice_loop_10k" => of::<ChoiceLoop10k>(),
        "c_map_10k" => of::<Map10k>(),
        "d_parallel_10x10" => of::<Parallel10x10>(),
        "e_retry_catch" => of::<RetryCatch>(),
        TYPED_CHAIN => of::<TypedChain100>(),
        _ => Err(format!("{name} has no workflow! type to compile")),
    }
}

/// Sets `IntervalSeconds` of every retrier anywhere in `definition` to `secs`.
fn set_retry_intervals(definition: &mut Value, secs: u64) {
    match definition {
        Value::Object(map) => {
            if let Some(Value::Array(retriers)) = map.get_mut("Retry") {
                for r in retriers.iter_mut().filter_map(Value::as_object_mut) {
                    r.insert("IntervalSeconds".into(), json!(secs));
                }
            }
            for v in map.values_mut() {
                set_retry_intervals(v, secs);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| set_retry_intervals(v, secs)),
        _ => {}
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
        "durable" | DURABLE_POSTGRES if matches!(w.source, Source::Asl(_)) => {
            drop(runtime);
            time_durable(name, engine, w, plan)
        }
        _ => Err(format!("{name} has no engine {engine}")),
    }
}

/// How many durable executions of `transitions` transitions each are kept in flight.
fn durable_window(transitions: u64) -> usize {
    (DURABLE_TRANSITIONS_IN_FLIGHT / transitions.max(1)).clamp(2, DURABLE_IN_FLIGHT) as usize
}

/// A fresh temporary folder for one durable run's database.
fn durable_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "stepfn-bench-durable-{name}-{}-{nanos}",
        std::process::id()
    ))
}

/// The `durable` engine: Standard executions on a fresh SQLite database with fsync on;
/// `durable-postgres`: the same on the PostgreSQL database `STEPFN_BENCH_POSTGRES` names (its
/// default settings; the executions have fresh names, so the database may hold earlier runs).
fn time_durable(name: &str, engine: &str, w: &Workload, plan: Plan) -> Result<Value, String> {
    let Source::Asl(definition) = &w.source else {
        return Err(format!("{name} has no engine durable"));
    };
    let machine = stepfn::asl::StateMachine::from_json(definition).map_err(|diags| {
        let msgs: Vec<String> = diags.iter().map(ToString::to_string).collect();
        format!("definition rejected: {}", msgs.join("; "))
    })?;
    // b_choice_loop_10k's 40,006 events pass Step Functions' 25,000-event quota of Standard
    // executions, which the runtime enforces: the durable rows measure checkpointing throughput
    // on the workloads as given, so the quota is lifted here (AWS would fail that execution).
    stepfn::quotas::lift_history_quota(true);
    let dir = durable_dir(name);
    let result = (|| {
        // The clock is paused for the retry waits, which needs a current-thread runtime; the
        // other workloads use the same kind of runtime so the figures compare.
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(w.paused_clock)
            .build()
            .map_err(|e| format!("cannot build the tokio runtime: {e}"))?;
        let db = match engine {
            DURABLE_POSTGRES => std::env::var("STEPFN_BENCH_POSTGRES").map_err(|_| {
                "durable-postgres needs STEPFN_BENCH_POSTGRES (a postgres:// URL)".to_string()
            })?,
            _ => dir.join("bench.db").to_string_lossy().into_owned(),
        };
        let runtime = Runtime::open(&db).map_err(|e| format!("cannot open {db}: {e}"))?;
        runtime
            .register(name, machine, TaskRegistry::new())
            .map_err(|e| format!("cannot register {name}: {e}"))?;
        tokio.block_on(durable_runs(name, engine, w, plan, &runtime))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Why a durable execution could not be timed.
enum DurableError {
    /// The runtime refuses the workload (its input is over the payload limit).
    Unsupported(String),
    Failed(String),
}

/// Starts one durable execution and waits for its end: its latency and output.
async fn durable_once(
    runtime: &Runtime,
    machine: &str,
    input: Value,
) -> Result<(Duration, Value), DurableError> {
    let t0 = Instant::now();
    let arn = match runtime.start(machine, input, None).await {
        Ok(arn) => arn,
        Err(RuntimeError::InvalidExecutionInput(why)) => {
            return Err(DurableError::Unsupported(format!(
                "Runtime::start refuses the input ({why}); the durable runtime enforces Step \
                 Functions' 256 KiB payload limit and has no option to lift it"
            )))
        }
        Err(e) => return Err(DurableError::Failed(format!("start: {e}"))),
    };
    let d = runtime
        .wait(&arn)
        .await
        .map_err(|e| DurableError::Failed(format!("wait: {e}")))?;
    let took = t0.elapsed();
    if d.status() != ExecutionStatus::Succeeded {
        return Err(DurableError::Failed(format!(
            "execution {}: {}: {}",
            d.status().as_str(),
            d.record.error.as_deref().unwrap_or("-"),
            d.record.cause.as_deref().unwrap_or("-")
        )));
    }
    Ok((took, d.output().unwrap_or(Value::Null)))
}

/// The durable engine's check run, then its timed sliding windows of executions as `plan`
/// says (no instruction counts: the store has threads of its own).
async fn durable_runs(
    name: &str,
    engine: &str,
    w: &Workload,
    plan: Plan<'_>,
    runtime: &Runtime,
) -> Result<Value, String> {
    let failed = |e: DurableError| match e {
        DurableError::Failed(e) => e,
        DurableError::Unsupported(e) => e,
    };
    let loaded_rss = peak_rss_bytes();
    let t0 = Instant::now();
    let output = match durable_once(runtime, name, w.input.value()).await {
        Ok((_, output)) => output,
        Err(DurableError::Unsupported(why)) => {
            return Ok(json!({ "name": name, "engine": engine, "unsupported": why }))
        }
        Err(e) => return Err(failed(e)),
    };
    let first_run = t0.elapsed();
    if let Some(d) = w.check.difference(&output) {
        return Err(format!("wrong output: {d}"));
    }
    drop(output);
    let first_run_rss = peak_rss_bytes();
    let window = |seconds: f64| async move {
        let (latencies, wall) = durable_window_run(name, w, seconds, runtime).await?;
        let stats = latencies.stats();
        let mut record = timing_record(
            (name, engine, w),
            &stats,
            ((stats.executions, wall), wall, first_run),
            (first_run_rss, loaded_rss),
        );
        record["in_flight"] = json!(durable_window(w.transitions));
        // The durable runtime always enforces the payload limit.
        record["payload_limit"] = json!(true);
        Ok::<Value, String>(record)
    };
    match plan {
        Plan::Once(seconds) => window(seconds).await,
        Plan::Rounds { warmup, commands } => {
            let (latencies, took) = durable_window_run(name, w, warmup, runtime).await?;
            ready_line(name, engine, latencies.count, took);
            let mut rounds = 0;
            while let Some(seconds) = plan::next_round(commands)? {
                print_line(&window(seconds).await?);
                rounds += 1;
            }
            Ok(json!({ "name": name, "engine": engine, "rounds": rounds }))
        }
        Plan::Count { .. } => Err("the durable engine has no instruction count".into()),
    }
}

/// Durable executions with up to [`durable_window`] in flight, started until `seconds` are
/// spent, then drained: their latencies and the window's wall time. Every output is checked.
async fn durable_window_run(
    name: &str,
    w: &Workload,
    seconds: f64,
    runtime: &Runtime,
) -> Result<(Latencies, Duration), String> {
    let window = durable_window(w.transitions);
    let budget = Duration::from_secs_f64(seconds);
    let mut latencies = Latencies::new();
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let start = Instant::now();
    for _ in 0..window {
        in_flight.push(durable_once(runtime, name, w.input.value()));
    }
    while let Some(r) = in_flight.next().await {
        let (took, output) = r.map_err(|e| match e {
            DurableError::Failed(e) | DurableError::Unsupported(e) => e,
        })?;
        latencies.record(took);
        if let Some(d) = w.check.difference(&output) {
            return Err(format!(
                "wrong output on execution {}: {d}",
                latencies.count + 1
            ));
        }
        drop(output);
        if start.elapsed() < budget {
            in_flight.push(durable_once(runtime, name, w.input.value()));
        }
    }
    Ok((latencies, start.elapsed()))
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

/// Latency figures of the timed executions.
#[derive(Debug, PartialEq)]
struct Stats {
    executions: u64,
    total: Duration,
    p50_us: f64,
    p99_us: f64,
    mean_us: f64,
    min_us: f64,
    max_us: f64,
}

/// Sub-buckets per power of two in [`Latencies`]: a recorded latency is known to within
/// 1/128 (under 0.8 %); below 128 ns exactly.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) << SUB_BITS;

/// A log-linear histogram of latencies in nanoseconds (~59 KB, whatever the number of
/// executions), so the harness's memory does not grow with the executions it times and
/// peak RSS stays the engine's. Sum, min and max are exact; percentiles are the midpoint
/// of the bucket holding the nearest-rank sample.
struct Latencies {
    counts: Vec<u64>,
    count: u64,
    total_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

impl Latencies {
    fn new() -> Latencies {
        Latencies {
            counts: vec![0; BUCKETS],
            count: 0,
            total_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }

    fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(ns)] += 1;
        self.count += 1;
        self.total_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Nearest-rank percentile, ns; 0 when nothing was recorded.
    fn percentile_ns(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil() as u64;
        let rank = rank.clamp(1, self.count);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bucket_range(b);
                let mid = low as f64 + (width - 1) as f64 / 2.0;
                // The true sample lies in the bucket and within [min, max].
                return mid.clamp(self.min_ns as f64, self.max_ns as f64);
            }
        }
        self.max_ns as f64
    }

    /// Must have recorded at least one latency.
    fn stats(&self) -> Stats {
        let us = |ns: f64| ns / 1e3;
        Stats {
            executions: self.count,
            total: Duration::from_nanos(u64::try_from(self.total_ns).unwrap_or(u64::MAX)),
            p50_us: us(self.percentile_ns(50.0)),
            p99_us: us(self.percentile_ns(99.0)),
            mean_us: us(self.total_ns as f64 / self.count as f64),
            min_us: us(self.min_ns as f64),
            max_us: us(self.max_ns as f64),
        }
    }
}

/// The histogram bucket of `ns`.
fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let msb = 63 - ns.leading_zeros();
    let shift = msb - SUB_BITS;
    let mantissa = (ns >> shift) - SUB;
    (((shift + 1) as usize) << SUB_BITS) + mantissa as usize
}

/// The lowest value of bucket `b` and how many values it holds.
fn bucket_range(b: usize) -> (u64, u64) {
    if (b as u64) < SUB {
        return (b as u64, 1);
    }
    let shift = (b >> SUB_BITS) as u32 - 1;
    let mantissa = (b as u64 & (SUB - 1)) + SUB;
    (mantissa << shift, 1 << shift)
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`); `None` where
/// that file does not exist (not Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `got` first differs from `want` (a JSON path and both values), or `None` when
/// they are equal as JSON values.
fn first_difference(got: &Value, want: &Value, at: &str) -> Option<String> {
    if got == want {
        return None;
    }
    let show = |v: &Value| {
        let s = v.to_string();
        if s.chars().count() > 80 {
            format!("{}...", s.chars().take(77).collect::<String>())
        } else {
            s
        }
    };
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                return Some(format!("{at}: got {} items, want {}", g.len(), w.len()));
            }
            g.iter()
                .zip(w)
                .enumerate()
                .find_map(|(i, (g, w))| first_difference(g, w, &format!("{at}[{i}]")))
        }
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    None => return Some(format!("{at}.{k}: missing")),
                    Some(gv) => {
                        if let Some(d) = first_difference(gv, wv, &format!("{at}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}.{k}: unexpected field"))
        }
        _ if kind(got) != kind(want) => Some(format!(
            "{at}: got {} {}, want {} {}",
            kind(got),
            show(got),
            kind(want),
            show(want)
        )),
        _ => Some(format!("{at}: got {}, want {}", show(got), show(want))),
    }
}

// ------------------------------------------------------------------- scaling ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Inline Map over N items, shaped like `c_map_10k`.
    Map,
    /// Choice + Pass loop of N iterations, shaped like `b_choice_loop_10k`.
    Choice,
    /// The Choice loop with its history kept: how time and memory grow with history length.
    History,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Map => "map",
            Kind::Choice => "choice",
            Kind::History => "history",
        }
    }
}

fn scaling_name(k: Kind, n: u64) -> String {
    format!("{}:{n}", k.as_str())
}

fn parse_scaling_name(s: &str) -> Result<(Kind, u64), String> {
    let bad = || format!("bad scaling name {s:?} (want map:N, choice:N or history:N)");
    let (k, n) = s.split_once(':').ok_or_else(bad)?;
    let k = match k {
        "map" => Kind::Map,
        "choice" => Kind::Choice,
        "history" => Kind::History,
        _ => return Err(bad()),
    };
    let n: u64 = n.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(bad());
    }
    Ok((k, n))
}

fn scaling_workload(k: Kind, n: u64) -> Workload {
    match k {
        Kind::Map => Workload {
            source: Source::Asl(map_definition(n)),
            input: JsonText::new(&map_input(n)),
            check: Check::MapItems(n),
            transitions: n + 1,
            payload_limit: false,
            paused_clock: false,
            keep_history: false,
        },
        Kind::Choice | Kind::History => Workload {
            source: Source::Asl(choice_definition(n)),
            input: JsonText::new(&json!({ "i": 0 })),
            check: Check::Exact(JsonText::new(&json!({ "i": n }))),
            transitions: 2 * n + 2,
            payload_limit: false,
            paused_clock: false,
            keep_history: k == Kind::History,
        },
    }
}

/// `c_map_10k.asl.json` for `n` items (the definition does not depend on `n`).
fn map_definition(n: u64) -> Value {
    json!({
        "Comment": format!("Map over {} items", human_count(n)),
        "StartAt": "EachItem",
        "States": {
            "EachItem": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Reshape",
                    "States": {
                        "Reshape": {
                            "Type": "Pass",
                            "Parameters": {
                                "key.$": "$.id",
                                "label.$": "States.Format('#{}:{}', $.id, $.name)",
                                "cost.$": "$.price",
                                "dims": { "qty.$": "$.qty" }
                            },
                            "End": true
                        }
                    }
                },
                "End": true
            }
        }
    })
}

/// `c_map_10k.input.json` for `n` items.
fn map_input(n: u64) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({ "id": i, "name": format!("item-{i}"), "price": i % 100, "qty": i % 7 }))
        .collect();
    json!({ "items": items })
}

/// Item `i` of `c_map_10k.expected.json`.
fn map_output_item(i: u64) -> Value {
    json!({ "key": i, "label": format!("#{i}:item-{i}"), "cost": i % 100, "dims": { "qty": i % 7 } })
}

/// `b_choice_loop_10k.asl.json` counting to `n`.
fn choice_definition(n: u64) -> Value {
    json!({
        "Comment": format!("count 0..{n} with MathAdd + Choice"),
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    { "Variable": "$.i", "NumericLessThan": n, "Next": "Incr" }
                ],
                "Default": "Done"
            },
            "Incr": {
                "Type": "Pass",
                "Parameters": { "i.$": "States.MathAdd($.i, 1)" },
                "Next": "Check"
            },
            "Done": { "Type": "Succeed" }
        }
    })
}

fn human_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        let v: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
        Args::parse(&v)
    }

    fn workload_dir() -> Option<PathBuf> {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/workloads");
        d.is_dir().then_some(d)
    }

    #[test]
    fn parses_arguments() {
        let a = args("--workloads w --quick a b").unwrap();
        assert_eq!(a.mode, Mode::Workloads);
        assert_eq!(a.seconds, QUICK_SECONDS);
        assert_eq!(a.names, ["a", "b"]);
        let a = args("--workloads w a").unwrap();
        assert_eq!(a.seconds, FULL_SECONDS);
        let a = args("--child --workloads w --seconds 0 a").unwrap();
        assert_eq!(a.mode, Mode::ChildWorkload);
        assert_eq!(a.seconds, 0.0);
        let a = args("--scaling").unwrap();
        assert_eq!(a.mode, Mode::Workloads);
        assert_eq!(a.seconds, SCALING_FULL_SECONDS);
        let a = args("--scaling --child map:10").unwrap();
        assert_eq!(a.mode, Mode::ChildScaling);
        assert!(args("a").is_err());
        assert!(args("--workloads w").is_err());
        assert!(args("--workloads w --seconds -1 a").is_err());
        let a = args("--workloads w --engine compiled a").unwrap();
        assert_eq!(a.engine.as_deref(), Some("compiled"));
        let a = args("--workloads w --engine durable a").unwrap();
        assert_eq!(a.engine.as_deref(), Some("durable"));
        assert!(args("--workloads w --engine bogus a").is_err());
        assert!(args("--scaling --engine compiled").is_err());
        let a = args("typed_chain_100").unwrap();
        assert_eq!(a.names, [TYPED_CHAIN]);
        assert!(args("typed_chain_100 a").is_err());
        assert_eq!(
            engines_for("a", false),
            ["interpreter", "compiled", "durable"]
        );
        assert_eq!(engines_for(TYPED_CHAIN, false).len(), 3);
        assert_eq!(engines_for("map:10", true), ["interpreter"]);
        assert!(args("--workloads w --child a b").is_err());
        assert!(args("--scaling map:x").is_err());
        let a = args("--child --rounds 0.5 --workloads w a").unwrap();
        assert_eq!(a.rounds_warmup, Some(0.5));
        let a = args("--child --count 7 --no-run --workloads w a").unwrap();
        assert_eq!(a.count, Some((7, false)));
        assert!(args("--child --count 7 --workloads w a b").is_err());
        assert!(
            args("--rounds 1 --workloads w a").is_err(),
            "a child's option"
        );
        assert!(args("--child --rounds 1 --count 2 --workloads w a").is_err());
        assert!(args("--child --no-run --workloads w a").is_err());
        assert!(args("--child --count x --workloads w a").is_err());
        assert!(args("--workloads w --bogus a").is_err());
    }

    #[test]
    fn histogram_buckets_cover_every_value_tightly() {
        let mut values: Vec<u64> = (0..2000).collect();
        values.extend((0..64).flat_map(|s| [1u64 << s, (1u64 << s) - 1, (1u64 << s) + 1]));
        values.extend([u64::MAX, 123_456_789, 3_449_441, 987_654_321_012]);
        for v in values {
            let b = bucket(v);
            assert!(b < BUCKETS, "{v}");
            let (low, width) = bucket_range(b);
            assert!(
                low <= v && v - low < width,
                "{v}: bucket {b} = {low}+{width}"
            );
            assert!(
                width == 1 || width as f64 / low as f64 <= 1.0 / SUB as f64,
                "{v}"
            );
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::new();
        for us in 1..=100 {
            l.record(Duration::from_micros(us));
        }
        let close = |got: f64, want: f64| (got - want).abs() / want < 1.0 / SUB as f64;
        let s = l.stats();
        assert_eq!(s.executions, 100);
        assert!(close(s.p50_us, 50.0), "{}", s.p50_us);
        assert!(close(s.p99_us, 99.0), "{}", s.p99_us);
        assert_eq!(s.min_us, 1.0);
        assert_eq!(s.max_us, 100.0);
        assert_eq!(s.mean_us, 50.5);
        assert_eq!(s.total, Duration::from_micros(5050));

        let mut l = Latencies::new();
        l.record(Duration::from_micros(3));
        l.record(Duration::from_nanos(100));
        let s = l.stats();
        assert_eq!(s.p50_us, 0.1, "small values are exact");
        assert!((s.p99_us - 3.0).abs() < 0.01, "{}", s.p99_us);
        assert_eq!(s.mean_us, 1.55);

        let mut one = Latencies::new();
        one.record(Duration::from_millis(7));
        assert_eq!(one.stats().p50_us, 7000.0);
        assert_eq!(one.stats().p99_us, 7000.0);
        assert_eq!(Latencies::new().percentile_ns(50.0), 0.0);
    }

    #[test]
    fn reads_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(5 * 1024 * 1024));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
        if cfg!(target_os = "linux") {
            assert!(peak_rss_bytes().unwrap() > 0);
        }
    }

    #[test]
    fn reports_the_first_difference() {
        let want = json!({"a": [1, {"b": "x"}], "c": true});
        assert_eq!(first_difference(&want.clone(), &want, "$"), None);
        let got = json!({"a": [1, {"b": "y"}], "c": true});
        assert_eq!(
            first_difference(&got, &want, "$").unwrap(),
            r#"$.a[1].b: got "y", want "x""#
        );
        let got = json!({"a": [1], "c": true});
        assert_eq!(
            first_difference(&got, &want, "$").unwrap(),
            "$.a: got 1 items, want 2"
        );
        let got = json!({"a": [1, {"b": "x"}]});
        assert_eq!(first_difference(&got, &want, "$").unwrap(), "$.c: missing");
        let got = json!({"a": [1, {"b": "x"}], "c": true, "d": 0});
        assert_eq!(
            first_difference(&got, &want, "$").unwrap(),
            "$.d: unexpected field"
        );
        assert_eq!(
            first_difference(&json!(1), &json!("1"), "$").unwrap(),
            r#"$: got number 1, want string "1""#
        );
        // 1 and 1.0 are different JSON values to serde_json; the expected files hold integers.
        assert!(first_difference(&json!(1.0), &json!(1), "$").is_some());
    }

    #[test]
    fn sets_retry_intervals_everywhere() {
        let mut d = json!({"States": {"G": {"Retry": [{"IntervalSeconds": 5}, {}],
            "Branches": [{"States": {"I": {"Retry": [{"MaxAttempts": 1}]}}}]}}});
        set_retry_intervals(&mut d, 1);
        assert_eq!(d["States"]["G"]["Retry"][0]["IntervalSeconds"], 1);
        assert_eq!(d["States"]["G"]["Retry"][1]["IntervalSeconds"], 1);
        assert_eq!(
            d["States"]["G"]["Branches"][0]["States"]["I"]["Retry"][0]["IntervalSeconds"],
            1
        );
    }

    #[test]
    fn scaling_names_round_trip() {
        for (k, n) in SCALING {
            assert_eq!(parse_scaling_name(&scaling_name(*k, *n)), Ok((*k, *n)));
        }
        assert!(parse_scaling_name("map:0").is_err());
        assert!(parse_scaling_name("loop:5").is_err());
        assert_eq!(human_count(10_000), "10k");
        assert_eq!(human_count(1_000_000), "1M");
        assert_eq!(human_count(1_500), "1500");
    }

    /// The generated scaling workloads at 10k are the shared workloads themselves.
    #[test]
    fn compact_drops_whitespace_between_tokens_only() {
        let text = "{ \"a b\" : [1, 2.5 ,\n\t\"x \\\" y\"], \"c\":{ } }";
        assert_eq!(compact(text), r#"{"a b":[1,2.5,"x \" y"],"c":{}}"#);
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(compact(text), v.to_string());
    }

    #[test]
    fn generated_workloads_match_the_shared_ones() {
        let Some(dir) = workload_dir() else {
            eprintln!("skipped: no ../shared/bench/workloads");
            return;
        };
        let read = |f: &str| read_json(&dir.join(f)).unwrap();
        assert_eq!(map_definition(10_000), read("c_map_10k.asl.json"));
        assert_eq!(map_input(10_000), read("c_map_10k.input.json"));
        let expected = read("c_map_10k.expected.json");
        assert_eq!(Check::MapItems(10_000).difference(&expected), None);
        assert_eq!(
            choice_definition(10_000),
            read("b_choice_loop_10k.asl.json")
        );
        let Check::Exact(want) = scaling_workload(Kind::Choice, 10_000).check else {
            panic!()
        };
        assert_eq!(want.value(), read("b_choice_loop_10k.expected.json"));
        let manifest = read("manifest.json");
        assert_eq!(
            scaling_workload(Kind::Map, 10_000).transitions,
            manifest["c_map_10k"]["transitions"]
        );
        assert_eq!(
            scaling_workload(Kind::Choice, 10_000).transitions,
            manifest["b_choice_loop_10k"]["transitions"]
        );
    }

    #[test]
    fn throughput_batches_hold_about_50_us() {
        assert_eq!(throughput_batch(0.4), MAX_BATCH);
        assert_eq!(throughput_batch(20.0), 3);
        assert_eq!(throughput_batch(1_000.0), 1);
        assert_eq!(throughput_batch(0.0), 1);
        assert_eq!(throughput_batch(f64::NAN), 1);
    }

    /// Every shared workload passes its check with a zero time budget (one timed run, then one
    /// batch).
    #[test]
    fn shared_workloads_run_and_check() {
        let Some(dir) = workload_dir() else {
            eprintln!("skipped: no ../shared/bench/workloads");
            return;
        };
        for name in ["t_trivial_3", "e_retry_catch", "d_parallel_10x10"] {
            let w = load_workload(Some(&dir), name).unwrap();
            for engine in SHARED_ENGINES {
                let v = time_workload(name, engine, &w, Plan::Once(0.0)).unwrap();
                // The durable engine fills its window once (its executions overlap).
                if *engine == "durable" {
                    assert_eq!(v["executions"], durable_window(w.transitions), "{name}");
                } else {
                    assert_eq!(v["latency_executions"], 1, "{name} {engine}");
                    assert_eq!(v["executions"], v["throughput_batch"], "{name} {engine}");
                }
                assert_eq!(v["engine"], *engine);
            }
        }
        // A workload whose input is over the payload limit is unsupported, not a failure.
        let mut big = load_workload(Some(&dir), "t_trivial_3").unwrap();
        big.input = JsonText::new(&json!({ "pad": "x".repeat(300 * 1024) }));
        let v = time_workload("t_trivial_3", "durable", &big, Plan::Once(0.0)).unwrap();
        assert!(
            v["unsupported"].as_str().unwrap().contains("256 KiB"),
            "{v}"
        );
        assert_eq!(durable_window(3), 64);
        assert_eq!(durable_window(20_002), 2);
        let mut w = load_workload(Some(&dir), "t_trivial_3").unwrap();
        w.check = Check::Exact(JsonText::new(&json!({"nope": 1})));
        for engine in SHARED_ENGINES {
            let err = time_workload("t_trivial_3", engine, &w, Plan::Once(0.0)).unwrap_err();
            assert!(err.starts_with("wrong output: $.nope: missing"), "{err}");
        }
        let err = time_workload("t_trivial_3", "compiled-typed", &w, Plan::Once(0.0)).unwrap_err();
        assert_eq!(err, "t_trivial_3 has no engine compiled-typed");
    }

    /// Rounds mode serves one timed round per command until the end of its input; count mode
    /// makes (and runs) the executions asked for; both after the checking run.
    #[test]
    fn serves_rounds_and_counts() {
        let w = load_workload(None, TYPED_CHAIN).unwrap();
        for engine in TYPED_ENGINES {
            let mut commands: &[u8] = b"round 0\nround 0\nround 0\n";
            let plan = Plan::Rounds {
                warmup: 0.0,
                commands: &mut commands,
            };
            let v = time_workload(TYPED_CHAIN, engine, &w, plan).unwrap();
            assert_eq!(v["rounds"], 3, "{engine}");
            let mut bad: &[u8] = b"round 0\nnope\n";
            let plan = Plan::Rounds {
                warmup: 0.0,
                commands: &mut bad,
            };
            let err = time_workload(TYPED_CHAIN, engine, &w, plan).unwrap_err();
            assert!(err.contains("bad round command"), "{err}");
            for run in [true, false] {
                let plan = Plan::Count { executions: 5, run };
                let v = time_workload(TYPED_CHAIN, engine, &w, plan).unwrap();
                assert_eq!(
                    (v["executions"].as_u64(), v["run"].as_bool()),
                    (Some(5), Some(run))
                );
            }
        }
        // The check still runs first: a wrong expected output fails before any round.
        let mut w = load_workload(None, TYPED_CHAIN).unwrap();
        w.check = Check::Exact(JsonText::new(&json!({"nope": 1})));
        let plan = Plan::Count {
            executions: 1,
            run: false,
        };
        let err = time_workload(TYPED_CHAIN, "interpreter", &w, plan).unwrap_err();
        assert!(err.starts_with("wrong output"), "{err}");
        let Some(dir) = workload_dir() else {
            eprintln!("skipped the durable rounds: no ../shared/bench/workloads");
            return;
        };
        let w = load_workload(Some(&dir), "t_trivial_3").unwrap();
        let mut commands: &[u8] = b"round 0\nround 0\n";
        let plan = Plan::Rounds {
            warmup: 0.0,
            commands: &mut commands,
        };
        let v = time_workload("t_trivial_3", "durable", &w, plan).unwrap();
        assert_eq!(v["rounds"], 2);
        let plan = Plan::Count {
            executions: 1,
            run: true,
        };
        assert!(time_workload("t_trivial_3", "durable", &w, plan).is_err());
    }

    /// The compiled engine refuses a workload whose `workflow!` type differs from its ASL.
    #[test]
    fn compiled_checks_the_definition_matches() {
        let mut w = typed_chain_workload();
        w.source = Source::Asl(json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}));
        let err = time_workload("t_trivial_3", "compiled", &w, Plan::Once(0.0)).unwrap_err();
        assert!(
            err.starts_with("the workflow! type's ASL differs from t_trivial_3.asl.json"),
            "{err}"
        );
        let err = time_workload("z_unknown", "compiled", &w, Plan::Once(0.0)).unwrap_err();
        assert_eq!(err, "z_unknown has no workflow! type to compile");
    }

    /// The typed chain runs and checks on its three engines, without a workloads directory.
    #[test]
    fn typed_chain_runs_on_every_engine() {
        let w = load_workload(None, TYPED_CHAIN).unwrap();
        for engine in TYPED_ENGINES {
            let v = time_workload(TYPED_CHAIN, engine, &w, Plan::Once(0.0)).unwrap();
            assert_eq!(v["executions"], 1, "{engine}");
            assert_eq!(v["engine"], *engine);
            assert_eq!(v["transitions_per_execution"], 100);
        }
        assert!(load_workload(None, "t_trivial_3").is_err());
    }
}
