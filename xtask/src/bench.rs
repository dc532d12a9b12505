//! `cargo xtask bench [--quick] [--scaling] [WORKLOAD...]`: stepfn against its peer,
//! `aws-local-stepfunctions` 3.0.0, on the shared ASL workloads, in one run on one machine.
//!
//! * builds `stepfn-bench` (the `bench/` crate) in release mode and runs it: one process
//!   per workload and engine (`interpreter`: the ASL interpreter; `compiled`: the
//!   `workflow!` type of `stepfn-examples` running its generated Rust; `durable`: Standard
//!   executions through `stepfn::Runtime` on a fresh SQLite file with fsync on, up to 64 in
//!   flight so group commit can share fsyncs), each checking its output against
//!   `<name>.expected.json` before timing; plus `typed_chain_100`, generated
//!   by the bench (100 typed Rust task handlers: `interpreter`, `compiled` and
//!   `compiled-typed`, no peer);
//! * installs the peer if needed ([`peer::ensure_installed`]) and runs it the same way
//!   ([`peer::run_each`]);
//! * measures the `workflow!` macro's expansion time on a generated 200-state workflow
//!   (`cargo test [--release] -p stepfn-macros expansion -- --nocapture`: release and debug
//!   builds; `--quick` the debug build alone) and, without `--quick`, the wall time of
//!   `cargo check` / `cargo build` of a crate holding such a workflow ([`compile_time`]);
//! * prints a table per workload (executions/s, transitions/s, p50, p99, peak RSS, the
//!   ratio to the interpreter, and the stepfn/peer ratios), footnotes, and a last `bench:`
//!   summary line:
//!   `bench: interpreter/peer min N×, compiled/interpreter min N× (typed chain N×), durable N transitions/s`
//!   (minimums over the shared workloads; the typed chain's ratio is compiled-typed over
//!   interpreter; durable is the median transitions/s over the workloads it ran — it cannot
//!   run `c_map_10k`, whose input is over the payload limit the runtime enforces on start).
//!
//! `--quick` times each workload for ~0.5 s per engine instead of ~3 s, measures the
//! expansion with the debug test build only and skips the compile-time measurement (for
//! CI; nothing here asserts a speed). `--scaling` instead runs the interpreter on generated Maps of
//! 1k…100k items, Choice loops of 1k…1M iterations and the same loops of 1k…100k iterations
//! with their history kept, and prints time and peak memory per size with the growth per 10×
//! step.
//!
//! The workloads are read from `../shared/bench/workloads` relative to the workspace root.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde::Deserialize;

use crate::instructions::{self, Action};
use crate::peer::{self, PeerOutcome, PeerResult};
use crate::rounds::{self, median, Contender, Schedule, Spread};

/// The workload `stepfn-bench` generates itself (typed Rust handlers; no ASL peer).
pub const TYPED_CHAIN: &str = "typed_chain_100";
/// Its transitions per execution (100 Task states).
const TYPED_CHAIN_TRANSITIONS: u64 = 100;

/// One workload's figures for one stepfn engine, as `stepfn-bench` prints them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EngineResult {
    pub name: String,
    pub engine: String,
    pub executions: u64,
    pub seconds: f64,
    pub executions_per_sec: f64,
    pub transitions_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub peak_rss_bytes: u64,
    #[serde(default)]
    pub transitions_per_execution: Option<u64>,
    #[serde(default)]
    pub first_run_peak_rss_bytes: Option<u64>,
    /// Peak RSS once the workload is loaded and its first input parsed, before any execution.
    #[serde(default)]
    pub loaded_peak_rss_bytes: Option<u64>,
    /// False when the workload ran with the 256 KiB payload limit lifted.
    #[serde(default = "yes")]
    pub payload_limit: bool,
    /// True when retry waits ran on a paused tokio clock.
    #[serde(default)]
    pub paused_clock: bool,
    #[serde(default)]
    pub allocator: Option<String>,
    /// Scaling runs only: `map`, `choice` or `history`, and the number of items or iterations.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    /// Transitions/s of each timed round, in order (the fields above hold the rounds' medians).
    #[serde(default)]
    pub round_tps: Vec<f64>,
    /// The untimed warm-up before the rounds: executions and seconds.
    #[serde(default)]
    pub warmup: Option<(u64, f64)>,
}

fn yes() -> bool {
    true
}

/// A workload `stepfn-bench` could not run (bad definition, failed execution, wrong output),
/// or one an engine does not support (`unsupported`: not a failure; `error` says why).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EngineFailure {
    pub name: String,
    #[serde(default)]
    pub engine: Option<String>,
    pub error: String,
    #[serde(default)]
    pub unsupported: bool,
}

impl EngineFailure {
    /// False for a failure, true for an unsupported workload.
    fn is_unsupported(&self) -> bool {
        self.unsupported
    }
}

pub type EngineOutcome = Result<EngineResult, EngineFailure>;

#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    quick: bool,
    scaling: bool,
    /// Instruction counts instead of times (`--instructions`, implied by the baseline options).
    instructions: Option<Action>,
    names: Vec<String>,
}

const USAGE: &str = "usage: cargo xtask bench [--quick] [WORKLOAD...]\n       \
                     cargo xtask bench --scaling [--quick]\n       \
                     cargo xtask bench --instructions [--write-baseline | --check-baseline] \
                     [WORKLOAD...]";

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    for a in args {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--scaling" => o.scaling = true,
            "--instructions" => {
                o.instructions.get_or_insert(Action::Print);
            }
            flag @ ("--write-baseline" | "--check-baseline") => {
                let action = if flag == "--write-baseline" {
                    Action::WriteBaseline
                } else {
                    Action::CheckBaseline
                };
                if o.instructions
                    .is_some_and(|x| x != Action::Print && x != action)
                {
                    return Err("--write-baseline and --check-baseline exclude each other".into());
                }
                o.instructions = Some(action);
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => o.names.push(s.to_owned()),
        }
    }
    if o.scaling && !o.names.is_empty() {
        return Err("--scaling takes no workload names".into());
    }
    if o.scaling && o.instructions.is_some() {
        return Err("--scaling and --instructions exclude each other".into());
    }
    Ok(o)
}

/// `cargo xtask bench ARGS`.
pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cargo xtask bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if opts.scaling {
        scaling(&opts)
    } else {
        compare(&opts)
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("cargo xtask bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    here.canonicalize().unwrap_or(here)
}

/// The cargo target directory: `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

/// `<root>/../shared/bench/workloads`, checked.
fn workload_dir(root: &Path) -> Result<PathBuf, String> {
    let dir = root
        .join("..")
        .join("shared")
        .join("bench")
        .join("workloads");
    if !dir.join("manifest.json").is_file() {
        return Err(format!(
            "the bench workloads are missing: expected {} with manifest.json and \
             <name>.asl.json/.input.json/.expected.json (../shared/bench/workloads \
             relative to the workspace root)",
            dir.display()
        ));
    }
    Ok(dir.canonicalize().unwrap_or(dir))
}

/// Workload names and transitions per execution, from `manifest.json`.
fn manifest(dir: &Path) -> Result<BTreeMap<String, u64>, String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{}: not an object", path.display()))?;
    Ok(obj
        .iter()
        .filter_map(|(k, m)| Some((k.clone(), m.get("transitions")?.as_u64()?)))
        .collect())
}

/// Builds `stepfn-bench` in release mode; returns the binary's path.
fn build_bench(root: &Path, target: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("bench: cargo build --release -p stepfn-bench");
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "stepfn-bench"])
        .current_dir(root)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building stepfn-bench failed ({status})"));
    }
    let exe = target
        .join("release")
        .join(format!("stepfn-bench{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        return Err(format!("{} is missing after the build", exe.display()));
    }
    Ok(exe)
}

/// Runs `stepfn-bench ARGS` and parses its lines.
fn run_stepfn(exe: &Path, args: &[String]) -> Result<Vec<EngineOutcome>, String> {
    let out = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    parse_output(&String::from_utf8_lossy(&out.stdout))
        .map_err(|e| format!("bad output from {} ({}): {e}", exe.display(), out.status))
}

/// Parses `stepfn-bench`'s stdout: one JSON object per non-blank line, a result or a
/// failure (`{"name","engine","error"}`).
pub fn parse_output(stdout: &str) -> Result<Vec<EngineOutcome>, String> {
    stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_line(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Parses one line of `stepfn-bench`'s output.
pub fn parse_line(line: &str) -> Result<EngineOutcome, String> {
    let value: serde_json::Value =
        serde_json::from_str(line.trim()).map_err(|e| format!("not JSON ({e}): {line}"))?;
    if let Some(why) = value.get("unsupported") {
        let field = |k: &str| value.get(k).and_then(serde_json::Value::as_str);
        let name = field("name").ok_or_else(|| format!("bad unsupported record: {line}"))?;
        return Ok(Err(EngineFailure {
            name: name.to_owned(),
            engine: field("engine").map(str::to_owned),
            error: why.as_str().unwrap_or("unsupported").to_owned(),
            unsupported: true,
        }));
    }
    if value.get("error").is_some() {
        return serde_json::from_value(value)
            .map(Err)
            .map_err(|e| format!("bad failure record ({e}): {line}"));
    }
    let r: EngineResult =
        serde_json::from_value(value).map_err(|e| format!("bad result record ({e}): {line}"))?;
    if r.executions == 0 {
        return Err(format!("{}: zero executions", r.name));
    }
    Ok(Ok(r))
}

// ------------------------------------------------------------------ compare ---

/// The full comparison; `Ok(false)` when some workload failed on either side.
fn compare(opts: &Options) -> Result<bool, String> {
    let root = root();
    let dir = workload_dir(&root)?;
    let manifest = manifest(&dir)?;
    let names: Vec<String> = if opts.names.is_empty() {
        let mut n: Vec<String> = manifest.keys().cloned().collect();
        n.push(TYPED_CHAIN.to_owned());
        n
    } else {
        opts.names.clone()
    };
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !manifest.contains_key(*n) && *n != TYPED_CHAIN)
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown workloads {unknown:?}; {} has {:?} (and the bench generates {TYPED_CHAIN})",
            dir.display(),
            manifest.keys().collect::<Vec<_>>()
        ));
    }
    let target = target_dir(&root);
    let exe = build_bench(&root, &target)?;
    if let Some(action) = opts.instructions {
        let workloads: Vec<(String, u64)> = names
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    manifest.get(n).copied().unwrap_or(TYPED_CHAIN_TRANSITIONS),
                )
            })
            .collect();
        return instructions::run(&root, &exe, &dir, &workloads, action);
    }

    let has_peer = names.iter().any(|n| n != TYPED_CHAIN);
    let peer_dir = if has_peer {
        peer::ensure_installed(&target)
    } else {
        Err("no workload has a peer".into())
    };
    let peer_error = has_peer.then(|| peer_dir.clone().err()).flatten();
    let schedule = if opts.quick {
        rounds::QUICK
    } else {
        rounds::FULL
    };
    let (mut stepfn, mut peer) = (Vec::new(), Vec::new());
    for name in &names {
        let (s, p) = run_rounds(&exe, &dir, peer_dir.as_deref().ok(), name, schedule);
        stepfn.extend(s);
        peer.extend(p);
    }

    // --quick (CI): the debug test build only, which `cargo test --workspace` has built.
    let mut build = Vec::new();
    if !opts.quick {
        build.push(expansion_time(&root, true));
    }
    build.push(expansion_time(&root, false));
    if !opts.quick {
        build.extend(compile_time(&root, &target));
    }

    let mut report = Report::new(&names, stepfn, peer);
    report.build = build;
    print!("{}", report.render(schedule));
    if let Some(e) = &peer_error {
        println!("peer: FAILED: {e}");
    }
    Ok(peer_error.is_none() && report.all_ok())
}

/// The stepfn engines of workload `name`, in the order of the rounds (the peer runs second).
fn engines_of(name: &str) -> &'static [&'static str] {
    if name == TYPED_CHAIN {
        &["interpreter", "compiled", "compiled-typed"]
    } else {
        &["interpreter", "compiled", "durable"]
    }
}

/// Runs workload `name` in interleaved rounds on every stepfn engine and on the peer (when
/// `peer_dir` is given and the workload has one): each engine's outcome, the rounds'
/// medians, and the peer's.
fn run_rounds(
    exe: &Path,
    dir: &Path,
    peer_dir: Option<&Path>,
    name: &str,
    schedule: Schedule,
) -> (Vec<EngineOutcome>, Option<PeerOutcome>) {
    let warmup = schedule.warmup_seconds.to_string();
    let mut labels: Vec<&str> = engines_of(name).to_vec();
    if name != TYPED_CHAIN && peer_dir.is_some() {
        labels.insert(1, "peer");
    }
    // Started one after another, so no check or warm-up overlaps another's.
    let mut contenders: Vec<(Option<Contender>, Vec<String>, Option<String>)> = labels
        .iter()
        .map(|label| {
            let cmd = match (*label, peer_dir) {
                ("peer", Some(p)) => peer::rounds_command(p, dir, name, schedule.warmup_seconds),
                _ => {
                    let mut cmd = Command::new(exe);
                    cmd.args(["--child", "--engine", label, "--rounds", &warmup])
                        .arg("--workloads")
                        .arg(dir)
                        .arg(name);
                    cmd
                }
            };
            match Contender::start(label, name, cmd) {
                Ok(c) => (Some(c), Vec::new(), None),
                Err(line) => (None, Vec::new(), Some(line)),
            }
        })
        .collect();
    for round in 1..=schedule.rounds {
        eprintln!("bench: {name}: round {round}/{}", schedule.rounds);
        for (slot, records, failed) in &mut contenders {
            let Some(c) = slot else { continue };
            match c.round(name, schedule.round_seconds) {
                Ok(line) => records.push(line),
                Err(line) => {
                    *failed = Some(line);
                    if let Some(c) = slot.take() {
                        c.finish();
                    }
                }
            }
        }
    }
    let (mut stepfn, mut peer) = (Vec::new(), None);
    for (label, (slot, records, failed)) in labels.iter().zip(contenders) {
        let warmup = slot.map(|c| {
            let w = c.warmup;
            c.finish();
            w
        });
        if *label == "peer" {
            peer = Some(peer_rounds(name, &records, failed, warmup));
        } else {
            stepfn.push(engine_rounds(name, label, &records, failed, warmup));
        }
    }
    (stepfn, peer)
}

/// One stepfn engine's rounds as one result: medians, the spread in `round_tps`.
fn engine_rounds(
    name: &str,
    engine: &str,
    records: &[String],
    failed: Option<String>,
    warmup: Option<(u64, f64)>,
) -> EngineOutcome {
    let fail = |error: String| EngineFailure {
        name: name.to_owned(),
        engine: Some(engine.to_owned()),
        error,
        unsupported: false,
    };
    if let Some(line) = failed {
        return match parse_line(&line) {
            Ok(Err(f)) => Err(f),
            Ok(Ok(_)) => Err(fail(format!("unexpected record: {line}"))),
            Err(e) => Err(fail(e)),
        };
    }
    let rounds: Vec<EngineResult> = records
        .iter()
        .map(|l| match parse_line(l) {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(f)) => Err(f),
            Err(e) => Err(fail(e)),
        })
        .collect::<Result<_, _>>()?;
    let Some(last) = rounds.last() else {
        return Err(fail("no round ran".into()));
    };
    let mid = |f: fn(&EngineResult) -> f64| {
        median(&rounds.iter().map(f).collect::<Vec<_>>()).unwrap_or(f64::NAN)
    };
    Ok(EngineResult {
        executions: rounds.iter().map(|r| r.executions).sum(),
        seconds: rounds.iter().map(|r| r.seconds).sum(),
        executions_per_sec: mid(|r| r.executions_per_sec),
        transitions_per_sec: mid(|r| r.transitions_per_sec),
        p50_us: mid(|r| r.p50_us),
        p99_us: mid(|r| r.p99_us),
        peak_rss_bytes: rounds.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0),
        round_tps: rounds.iter().map(|r| r.transitions_per_sec).collect(),
        warmup,
        ..last.clone()
    })
}

/// The peer's rounds as one result, as [`engine_rounds`] does for stepfn's.
fn peer_rounds(
    name: &str,
    records: &[String],
    failed: Option<String>,
    warmup: Option<(u64, f64)>,
) -> PeerOutcome {
    let fail = |error: String| peer::PeerFailure {
        name: name.to_owned(),
        error,
    };
    if let Some(line) = failed {
        return match peer::parse_line(&line) {
            Ok(Err(f)) => Err(f),
            Ok(Ok(_)) => Err(fail(format!("unexpected record: {line}"))),
            Err(e) => Err(fail(e)),
        };
    }
    let rounds: Vec<PeerResult> = records
        .iter()
        .map(|l| match peer::parse_line(l) {
            Ok(r) => r,
            Err(e) => Err(fail(e)),
        })
        .collect::<Result<_, _>>()?;
    let Some(last) = rounds.last() else {
        return Err(fail("no round ran".into()));
    };
    let mid = |f: fn(&PeerResult) -> f64| {
        median(&rounds.iter().map(f).collect::<Vec<_>>()).unwrap_or(f64::NAN)
    };
    Ok(PeerResult {
        executions: rounds.iter().map(|r| r.executions).sum(),
        seconds: rounds.iter().map(|r| r.seconds).sum(),
        executions_per_sec: mid(|r| r.executions_per_sec),
        transitions_per_sec: mid(|r| r.transitions_per_sec),
        p50_us: mid(|r| r.p50_us),
        p99_us: mid(|r| r.p99_us),
        peak_rss_bytes: rounds.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0),
        round_tps: rounds.iter().map(|r| r.transitions_per_sec).collect(),
        warmup,
        ..last.clone()
    })
}

// ------------------------------------------------------- macro and compile time ---

/// One build-time figure: a label and its value, or why it is missing.
#[derive(Debug, Clone, PartialEq)]
struct BuildFigure {
    label: String,
    value: Result<String, String>,
}

/// Runs the `workflow!` expansion test of `stepfn-macros` (release or debug build) and
/// reads its `workflow! expansion of 200 states: X ms (median of N)` line.
fn expansion_time(root: &Path, release: bool) -> BuildFigure {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["test"];
    if release {
        args.push("--release");
    }
    args.extend(["-p", "stepfn-macros", "expansion", "--", "--nocapture"]);
    eprintln!("bench: cargo {}", args.join(" "));
    let label = format!(
        "macro: 200-state workflow! parse + expand, {} (proc_macro2 fallback, no rustc)",
        if release {
            "release test build"
        } else {
            "debug test build (opt-level 0, as cargo builds proc macros by default)"
        }
    );
    let value = Command::new(&cargo)
        .args(&args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))
        .and_then(|out| {
            let stdout = String::from_utf8_lossy(&out.stdout);
            match parse_expansion(&stdout) {
                Some(v) if out.status.success() => Ok(v),
                _ => Err(format!(
                    "no expansion line from the macro test ({})",
                    out.status
                )),
            }
        });
    BuildFigure { label, value }
}

/// `X ms (median of N)` from the expansion test's output.
fn parse_expansion(stdout: &str) -> Option<String> {
    let prefix = "workflow! expansion of 200 states: ";
    let line = stdout.lines().find_map(|l| l.trim().strip_prefix(prefix))?;
    let (ms, rest) = line.split_once(" ms (median of ")?;
    let ms: f64 = ms.trim().parse().ok()?;
    let n: u32 = rest.trim_end_matches(')').trim().parse().ok()?;
    Some(format!("{ms:.1} ms (median of {n})"))
}

/// The 200-state chain of the macro test as `workflow!` source: a Choice looping over
/// 198 Pass states with Parameters and ResultPath, then Succeed.
fn chain_workflow_source(states: usize) -> String {
    let passes = states - 2;
    let mut src = String::from(
        "//! Generated by `cargo xtask bench`: compile time of a 200-state workflow!.\n\n\
         stepfn::workflow! {\n    \
         /// Generated.\n    \
         pub Chain200 {\n        \
         comment \"generated chain for compile timing\";\n        \
         start Check;\n        \
         Check: choice {\n            \
         \"$.counter.n\" < 1000 => P0,\n            \
         $.counter.last == \"stop\" => Done,\n            \
         _ => Done,\n        \
         }\n",
    );
    for i in 0..passes {
        let next = if i + 1 == passes {
            "Check".to_owned()
        } else {
            format!("P{}", i + 1)
        };
        let _ = writeln!(
            src,
            "        P{i}: pass {{\n            result_path \"$.counter\";\n            \
             parameters {{\"n.$\": \"States.MathAdd($.counter.n, 1)\", \"last\": \"P{i}\", \
             \"tags\": [\"a\", \"b\"], \"nested\": {{\"at.$\": \"$.counter.last\"}}}};\n        \
             }} -> {next};"
        );
    }
    src.push_str("        Done: succeed;\n    }\n}\n");
    src
}

/// The wall time of `cargo check` and `cargo build` (debug) of a scratch crate holding a
/// 200-state `workflow!` (`target/bench-compile/`, its own target directory so the
/// workspace's builds stay untouched; the first run builds the dependencies once, then
/// each timed build recompiles that crate alone after its source changed). Median of 3.
fn compile_time(root: &Path, target: &Path) -> Vec<BuildFigure> {
    let labels = [
        "compile: cargo check of a crate with a 200-state workflow! (incremental off)",
        "compile: cargo build (debug) of a crate with a 200-state workflow! (incremental off)",
    ];
    match compile_time_runs(root, target) {
        Ok(v) => labels
            .iter()
            .zip(v)
            .map(|(l, v)| BuildFigure {
                label: (*l).to_owned(),
                value: Ok(v),
            })
            .collect(),
        Err(e) => labels
            .iter()
            .map(|l| BuildFigure {
                label: (*l).to_owned(),
                value: Err(e.clone()),
            })
            .collect(),
    }
}

fn compile_time_runs(root: &Path, target: &Path) -> Result<Vec<String>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = target.join("bench-compile");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("cannot create {}: {e}", src.display()))?;
    let manifest = format!(
        "[package]\nname = \"stepfn-compile-200\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[lib]\npath = \"src/lib.rs\"\n\n[dependencies]\n\
         stepfn = {{ path = {:?} }}\n\n[workspace]\n",
        root.join("runtime").display().to_string()
    );
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(&dir.join("Cargo.toml"), &manifest)?;
    // The workspace's lock file, so the scratch crate uses the same dependency versions.
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        write(&dir.join("Cargo.lock"), &lock)?;
    }
    let lib = src.join("lib.rs");
    let source = chain_workflow_source(200);
    let run = |sub: &str| -> Result<f64, String> {
        let t0 = std::time::Instant::now();
        let out = Command::new(&cargo)
            .args([sub, "--quiet", "--lib"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(5).collect();
            return Err(format!(
                "cargo {sub} of the scratch crate failed ({}): {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        Ok(t0.elapsed().as_secs_f64())
    };
    eprintln!(
        "bench: compile time of a 200-state workflow! in {} (the first run builds the \
         dependencies)",
        dir.display()
    );
    write(&lib, &source)?;
    run("check")?;
    run("build")?;
    let mut figures = Vec::new();
    for sub in ["check", "build"] {
        let mut times = Vec::new();
        for i in 0..3 {
            // A changed source (not just a touched file) so cargo recompiles the crate.
            write(
                &lib,
                &format!("{source}// {sub} {i} {:?}\n", std::time::SystemTime::now()),
            )?;
            times.push(run(sub)?);
        }
        times.sort_by(f64::total_cmp);
        figures.push(format!(
            "{:.2} s (median of 3; min {:.2} s)",
            times[1], times[0]
        ));
    }
    Ok(figures)
}

/// One workload's rows.
#[derive(Debug)]
struct Row {
    name: String,
    stepfn: Vec<EngineOutcome>,
    peer: Option<PeerOutcome>,
    /// False for the typed workload: it has no ASL peer.
    has_peer: bool,
}

#[derive(Debug)]
struct Report {
    rows: Vec<Row>,
    /// Macro expansion and compile times, printed before the summary line.
    build: Vec<BuildFigure>,
}

impl Report {
    fn new(names: &[String], stepfn: Vec<EngineOutcome>, peer: Vec<PeerOutcome>) -> Report {
        let mut peer: BTreeMap<String, PeerOutcome> = peer
            .into_iter()
            .map(|o| (peer_outcome_name(&o).to_owned(), o))
            .collect();
        let rows = names
            .iter()
            .map(|n| Row {
                name: n.clone(),
                stepfn: stepfn
                    .iter()
                    .filter(|o| engine_outcome_name(o) == n)
                    .cloned()
                    .collect(),
                peer: peer.remove(n),
                has_peer: n != TYPED_CHAIN,
            })
            .collect();
        Report {
            rows,
            build: Vec::new(),
        }
    }

    fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| {
            !r.stepfn.is_empty()
                && r.stepfn.iter().all(|o| match o {
                    Ok(_) => true,
                    Err(f) => f.is_unsupported(),
                })
                && (!r.has_peer || matches!(r.peer, Some(Ok(_))))
        })
    }

    /// The smallest compiled/interpreter transitions/s ratio over the shared workloads, and
    /// its workload.
    fn min_compiled_ratio(&self) -> Option<(f64, &str)> {
        self.rows
            .iter()
            .filter(|r| r.has_peer)
            .filter_map(|r| Some((engine_ratio(r, "compiled")?, r.name.as_str())))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// The median durable transitions/s over the workloads the durable engine ran, and how
    /// many it ran.
    fn durable_median(&self) -> Option<(f64, usize)> {
        let mut tps: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|r| engine(r, "durable"))
            .map(|s| s.transitions_per_sec)
            .filter(|t| t.is_finite())
            .collect();
        if tps.is_empty() {
            return None;
        }
        tps.sort_by(f64::total_cmp);
        let n = tps.len();
        let median = if n % 2 == 1 {
            tps[n / 2]
        } else {
            (tps[n / 2 - 1] + tps[n / 2]) / 2.0
        };
        Some((median, n))
    }

    /// The typed chain's compiled-typed/interpreter transitions/s ratio.
    fn typed_ratio(&self) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == TYPED_CHAIN)
            .and_then(|r| engine_ratio(r, "compiled-typed"))
    }

    /// The smallest interpreter/peer transitions/s ratio and its workload.
    fn min_ratio(&self) -> Option<(f64, &str)> {
        self.rows
            .iter()
            .filter_map(|r| Some((peer_ratio(r)?.median, r.name.as_str())))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    fn render(&self, schedule: Schedule) -> String {
        let mut out = String::new();
        let peer_info = self
            .rows
            .iter()
            .find_map(|r| r.peer.as_ref()?.as_ref().ok())
            .map(|p| {
                format!(
                    "{} on node {}",
                    p.peer.as_deref().unwrap_or("aws-local-stepfunctions"),
                    p.node.as_deref().unwrap_or("?")
                )
            })
            .unwrap_or_else(|| format!("{}@{}", peer::PEER_PACKAGE, peer::PEER_VERSION));
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let cpu = cpu_model().map(|m| format!(" ({m})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "\nstepfn vs {peer_info}; per workload, every engine and the peer in a process of its \
             own, checked and warmed up ({} s, untimed), then {} interleaved rounds of ~{} s \
             each (interpreter, peer, compiled, …, interpreter, …); figures are the rounds' \
             medians, ratios the median of per-round ratios; {cores} cores{cpu}\n",
            schedule.warmup_seconds, schedule.rounds, schedule.round_seconds
        );
        let mut notes = Notes::default();
        for row in &self.rows {
            out.push_str(&render_row(row, &mut notes));
            out.push('\n');
        }
        out.push_str(&notes.render());
        for b in &self.build {
            match &b.value {
                Ok(v) => {
                    let _ = writeln!(out, "{}: {v}", b.label);
                }
                Err(e) => {
                    let _ = writeln!(out, "{}: n/a ({e})", b.label);
                }
            }
        }
        let min = match self.min_ratio() {
            Some((r, name)) => {
                let _ = writeln!(out, "lowest interpreter/peer ratio: {name}");
                fmt_ratio(r)
            }
            None => "n/a".to_owned(),
        };
        let compiled = match self.min_compiled_ratio() {
            Some((r, name)) => {
                let _ = writeln!(out, "lowest compiled/interpreter ratio: {name}");
                fmt_ratio(r)
            }
            None => "n/a".to_owned(),
        };
        let typed = self.typed_ratio().map_or("n/a".to_owned(), fmt_ratio);
        let durable = match self.durable_median() {
            Some((tps, n)) => {
                let _ = writeln!(
                    out,
                    "durable: median transitions/s over the {n} workload{} it ran",
                    if n == 1 { "" } else { "s" }
                );
                format!("{} transitions/s", fmt_count(tps))
            }
            None => "n/a".to_owned(),
        };
        let _ = writeln!(
            out,
            "bench: interpreter/peer min {min}, compiled/interpreter min {compiled} (typed chain \
             {typed}), durable {durable}"
        );
        out
    }
}

fn interpreter(r: &Row) -> Option<&EngineResult> {
    engine(r, "interpreter")
}

fn engine<'a>(r: &'a Row, name: &str) -> Option<&'a EngineResult> {
    r.stepfn
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .find(|s| s.engine == name)
}

/// `engine`'s transitions/s over the interpreter's on row `r`: the median of the per-round
/// ratios.
fn engine_ratio(r: &Row, name: &str) -> Option<f64> {
    engine_spread(r, name).map(|s| s.median)
}

/// `engine`'s transitions/s over the interpreter's on row `r`, per round.
fn engine_spread(r: &Row, name: &str) -> Option<Spread> {
    let (e, i) = (engine(r, name)?, interpreter(r)?);
    Spread::ratio(
        (&e.round_tps, e.transitions_per_sec),
        (&i.round_tps, i.transitions_per_sec),
    )
}

/// The interpreter's transitions/s over the peer's on row `r`, per round.
fn peer_ratio(r: &Row) -> Option<Spread> {
    let (s, p) = (interpreter(r)?, r.peer.as_ref()?.as_ref().ok()?);
    Spread::ratio(
        (&s.round_tps, s.transitions_per_sec),
        (&p.round_tps, p.transitions_per_sec),
    )
}

/// A ratio's median, and its range over the rounds when there were several:
/// `51× (rounds 47×–55×)`.
fn fmt_spread_ratio(s: Option<Spread>) -> String {
    match s {
        Some(s) if s.rounds >= 2 => format!(
            "{} (rounds {}–{})",
            fmt_ratio(s.median),
            fmt_ratio(s.min),
            fmt_ratio(s.max)
        ),
        Some(s) => fmt_ratio(s.median),
        None => "n/a".into(),
    }
}

/// The CPU model from `/proc/cpuinfo` (Linux), e.g. `Intel(R) Xeon(R) Processor`.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
}

fn engine_outcome_name(o: &EngineOutcome) -> &str {
    match o {
        Ok(r) => &r.name,
        Err(f) => &f.name,
    }
}

fn peer_outcome_name(o: &PeerOutcome) -> &str {
    match o {
        Ok(r) => &r.name,
        Err(f) => &f.name,
    }
}

/// Footnotes gathered while rendering the rows, each printed once.
#[derive(Debug, Default)]
struct Notes {
    no_payload_limit: Vec<String>,
    paused_clock: Vec<String>,
    allocator: Option<String>,
    /// Some row has a durable result.
    durable: bool,
    /// `(workload, engine, why)` of the engines that cannot run a workload.
    unsupported: Vec<(String, String, String)>,
}

impl Notes {
    fn render(&self) -> String {
        let mut out = String::from("notes:\n");
        if !self.no_payload_limit.is_empty() {
            let _ = writeln!(
                out,
                "  * {}: run by stepfn with the payload limit off (payload_limit: None): the \
                 input and output exceed Step Functions' 256 KiB limit; every other workload \
                 keeps it. The peer has no such limit.",
                self.no_payload_limit.join(", ")
            );
        }
        if !self.paused_clock.is_empty() {
            let _ = writeln!(
                out,
                "  ** {}: stepfn's retrier has IntervalSeconds 1 (the model's minimum) and runs \
                 on a paused tokio clock (start_paused), which skips each wait at once; the \
                 peer gets retryIntervalOverrides 0.",
                self.paused_clock.join(", ")
            );
        }
        if self.durable {
            out.push_str(
                "  durable = Standard executions through stepfn::Runtime on a fresh SQLite file \
                 (WAL, synchronous=FULL: every commit fsync'd; the writer thread group-commits \
                 what is queued), started from a current-thread tokio runtime with up to 64 in \
                 flight (a sliding window; fewer for long executions: ~16k transitions in flight \
                 at most, at least 2); its transitions/s is throughput (executions × transitions \
                 / wall time), its p50/p99 the latency from Runtime::start to Runtime::wait \
                 returning; one checked execution runs first, and every output is checked.\n",
            );
        }
        for (name, engine, why) in &self.unsupported {
            let _ = writeln!(out, "  n/a: {name} on {engine}: {why}");
        }
        out.push_str(
            "  stepfn/peer memory ratio: peak RSS over peak RSS. The peer's peak grows with the \
             number of executions it fits in the budget on Parallel/Map workloads; its first-run \
             RSS (after loading and one execution) is shown beside it.\n",
        );
        out.push_str(
            "  timing (stepfn in process and the peer alike): in each round, half the time times \
             each execution alone (p50/p99), the other half times batches of executions as a \
             whole (about 50 µs of them, 1 to 64: no clock read between two executions) for \
             executions/s; inputs are made before and outputs checked after the timer. Every \
             figure is the median of the rounds; \"rounds\" is the range of the rounds' \
             transitions/s around it; a ratio is the median of the per-round ratios (the two \
             sides ran seconds apart), with their range.\n",
        );
        let _ = writeln!(
            out,
            "  stepfn: Express-like (keep_history false), executions awaited one after another in \
             one block_on of a current-thread tokio runtime, allocator \
             {}; a latency is the execute call (input parsed and output checked outside the \
             timer); p50/p99 from a histogram (within 0.8 %). Engines: interpreter = the ASL \
             interpreter on the workload's .asl.json; compiled = the stepfn-examples workflow! \
             type (same ASL, checked) running its generated Rust from JSON input (with the \
             history counted, its specialized path: Pass/Choice/Succeed/Fail and the Parallel \
             and Map states made of them evaluated on Rust locals; e_retry_catch's Parallel has a \
             Retry, which the general compiled form runs before handing back); compiled-typed = the same from a typed Rust input value (execute_typed). \
             \"vs interp.\" is transitions/s over the interpreter's.",
            self.allocator.as_deref().unwrap_or("?")
        );
        out
    }
}

fn render_row(row: &Row, notes: &mut Notes) -> String {
    let transitions = row
        .stepfn
        .iter()
        .filter_map(|o| o.as_ref().ok()?.transitions_per_execution)
        .next();
    let (mut no_limit, mut paused) = (false, false);
    for o in &row.stepfn {
        match o {
            Ok(s) if s.engine == "durable" => notes.durable = true,
            Err(f) if f.is_unsupported() => notes.unsupported.push((
                f.name.clone(),
                f.engine.clone().unwrap_or_else(|| "stepfn".into()),
                f.error.clone(),
            )),
            _ => {}
        }
    }
    for s in row.stepfn.iter().filter_map(|o| o.as_ref().ok()) {
        if !s.payload_limit && !notes.no_payload_limit.contains(&s.name) {
            notes.no_payload_limit.push(s.name.clone());
        }
        if s.paused_clock && !notes.paused_clock.contains(&s.name) {
            notes.paused_clock.push(s.name.clone());
        }
        no_limit |= !s.payload_limit;
        paused |= s.paused_clock;
        if notes.allocator.is_none() {
            notes.allocator = s.allocator.clone();
        }
    }
    // One mark per footnote, whatever the number of engines.
    let mark = format!(
        "{}{}",
        if no_limit { " *" } else { "" },
        if paused { " **" } else { "" }
    );
    let mut out = String::new();
    match transitions {
        Some(t) => {
            let _ = writeln!(
                out,
                "{}{mark} ({} transitions/execution)",
                row.name,
                fmt_count(t as f64)
            );
        }
        None => {
            let _ = writeln!(out, "{}{mark}", row.name);
        }
    }
    let header = [
        "engine",
        "executions/s",
        "transitions/s",
        "rounds",
        "vs interp.",
        "p50",
        "p99",
        "peak RSS",
        "first-run RSS",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for o in &row.stepfn {
        match o {
            Ok(s) => rows.push(vec![
                s.engine.clone(),
                fmt_rate(s.executions_per_sec),
                fmt_rate(s.transitions_per_sec),
                fmt_range(&s.round_tps),
                if s.engine == "interpreter" {
                    "-".into()
                } else {
                    engine_ratio(row, &s.engine).map_or("n/a".into(), fmt_ratio)
                },
                fmt_us(s.p50_us),
                fmt_us(s.p99_us),
                fmt_bytes(s.peak_rss_bytes),
                s.first_run_peak_rss_bytes.map_or("-".into(), fmt_bytes),
            ]),
            Err(f) if f.is_unsupported() => rows.push(vec![
                f.engine.clone().unwrap_or_else(|| "stepfn".into()),
                "n/a (see the notes)".into(),
            ]),
            Err(f) => rows.push(failed_row(
                f.engine.as_deref().unwrap_or("stepfn"),
                &f.error,
            )),
        }
    }
    if row.stepfn.is_empty() {
        rows.push(failed_row("stepfn", "no result"));
    }
    match &row.peer {
        Some(Ok(p)) => rows.push(peer_row(p)),
        Some(Err(f)) => rows.push(failed_row("peer", &f.error)),
        None if row.has_peer => rows.push(failed_row("peer", "not run")),
        None => {}
    }
    out.push_str(&render_table(&header, &rows, "  "));
    for s in row.stepfn.iter().filter_map(|o| o.as_ref().ok()) {
        let Some(i) = interpreter(row).filter(|_| s.engine != "interpreter") else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {}/interpreter: transitions/s {}, memory {} (peak RSS)",
            s.engine,
            fmt_spread_ratio(engine_spread(row, &s.engine)),
            ratio(s.peak_rss_bytes as f64, i.peak_rss_bytes as f64).map_or("n/a".into(), fmt_ratio),
        );
    }
    if let Some(w) = warmup_line(row) {
        out.push_str(&w);
    }
    if !row.has_peer {
        let _ = writeln!(
            out,
            "  no peer: typed Rust task handlers have no counterpart in aws-local-stepfunctions"
        );
    }
    if let (Some(s), Some(Ok(p))) = (interpreter(row), &row.peer) {
        let _ = writeln!(
            out,
            "  interpreter/peer: transitions/s {}, memory {} (peak RSS vs the peer's peak RSS)",
            fmt_spread_ratio(peer_ratio(row)),
            ratio(s.peak_rss_bytes as f64, p.peak_rss_bytes as f64).map_or("n/a".into(), fmt_ratio),
        );
    }
    out
}

fn peer_row(p: &PeerResult) -> Vec<String> {
    vec![
        "peer".into(),
        fmt_rate(p.executions_per_sec),
        fmt_rate(p.transitions_per_sec),
        fmt_range(&p.round_tps),
        "-".into(),
        fmt_us(p.p50_us),
        fmt_us(p.p99_us),
        fmt_bytes(p.peak_rss_bytes),
        p.first_run_peak_rss_bytes.map_or("-".into(), fmt_bytes),
    ]
}

/// The range of the rounds' transitions/s around their median: `-4%..+6%`.
fn fmt_range(round_tps: &[f64]) -> String {
    Spread::of(round_tps).map_or("-".into(), |s| s.range_percent())
}

/// The untimed warm-up of each engine of a row that had one, beside its rounds' median.
fn warmup_line(row: &Row) -> Option<String> {
    let mut parts = Vec::new();
    let mut add = |label: &str, warmup: Option<(u64, f64)>, steady_eps: f64| {
        if let Some((n, secs)) = warmup.filter(|(n, secs)| *n > 0 && *secs > 0.0) {
            let eps = n as f64 / secs;
            parts.push(format!(
                "{label} {} executions in {secs:.2} s, {} exec/s ({} of its rounds' median)",
                fmt_count(n as f64),
                fmt_rate(eps),
                ratio(eps, steady_eps).map_or("n/a".into(), fmt_ratio)
            ));
        }
    };
    for s in row.stepfn.iter().filter_map(|o| o.as_ref().ok()) {
        add(&s.engine, s.warmup, s.executions_per_sec);
    }
    if let Some(Ok(p)) = &row.peer {
        add("peer", p.warmup, p.executions_per_sec);
    }
    (!parts.is_empty()).then(|| format!("  warm-up (untimed, excluded): {}\n", parts.join("; ")))
}

fn failed_row(engine: &str, error: &str) -> Vec<String> {
    vec![engine.to_owned(), format!("FAILED: {error}")]
}

/// Renders rows under `header`: the first column left-aligned, the others right-aligned.
/// A row shorter than the header (a failure) prints its cells as they are.
pub(crate) fn render_table(header: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        if r.len() == header.len() {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        } else if let Some(first) = r.first() {
            widths[0] = widths[0].max(first.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(indent);
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(s, "{c:<w$}");
            } else {
                let _ = write!(s, "  {c:>w$}");
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        if r.len() == header.len() {
            out.push_str(&line(r));
        } else {
            let first = format!(
                "{:<w$}",
                r.first().map_or("", String::as_str),
                w = widths[0]
            );
            let rest: Vec<&str> = r.iter().skip(1).map(String::as_str).collect();
            let _ = writeln!(out, "{indent}{first}  {}", rest.join("  "));
        }
    }
    out
}

/// `a / b`, when both are positive and finite.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0).then(|| a / b)
}

/// A ratio: `181×`, `32×`, `3.2×`, `0.14×`, `0.007×`.
fn fmt_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{}×", fmt_count(r))
    } else if r >= 1.0 {
        format!("{r:.1}×")
    } else if r >= 0.01 {
        format!("{r:.2}×")
    } else {
        format!("{r:.3}×")
    }
}

/// A rate: thousands separators; one decimal under 100, two under 10.
fn fmt_rate(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x >= 100.0 {
        fmt_count(x)
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `x` rounded to a whole number, with thousands separators: `1,234,567`.
pub(crate) fn fmt_count(x: f64) -> String {
    let digits = format!("{:.0}", x.round().abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 && x.round() != 0.0 {
        out.insert(0, '-');
    }
    out
}

/// A duration given in microseconds: `1.42 µs`, `45.0 µs`, `345 µs`, `13.9 ms`, `1.23 s`.
fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        return "n/a".into();
    }
    let three = |v: f64, unit: &str| {
        if v >= 100.0 {
            format!("{v:.0} {unit}")
        } else if v >= 10.0 {
            format!("{v:.1} {unit}")
        } else {
            format!("{v:.2} {unit}")
        }
    };
    if us < 1_000.0 {
        three(us, "µs")
    } else if us < 1_000_000.0 {
        three(us / 1e3, "ms")
    } else {
        three(us / 1e6, "s")
    }
}

/// Bytes as MiB (`14.4 MiB`), or GiB from 1 GiB on (`1.23 GiB`).
fn fmt_bytes(b: u64) -> String {
    let mib = b as f64 / 1_048_576.0;
    if mib >= 1024.0 {
        format!("{:.2} GiB", mib / 1024.0)
    } else if mib >= 100.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

// ------------------------------------------------------------------ scaling ---

fn scaling(opts: &Options) -> Result<bool, String> {
    let root = root();
    let target = target_dir(&root);
    let exe = build_bench(&root, &target)?;
    let mut args = vec!["--scaling".to_owned()];
    if opts.quick {
        args.push("--quick".into());
    }
    let outcomes = run_stepfn(&exe, &args)?;
    let ok = !outcomes.is_empty() && outcomes.iter().all(Result::is_ok);
    print!("{}", render_scaling(&outcomes));
    Ok(ok)
}

fn render_scaling(outcomes: &[EngineOutcome]) -> String {
    let mut out = String::from(
        "\nscaling: interpreter, payload limit off, each size in its own process; time is the \
         median execution (after one untimed checking run), peak RSS includes the input\n",
    );
    let kinds = [
        ("map", "inline Map over N items, the shape of c_map_10k"),
        (
            "choice",
            "Choice + Pass loop of N iterations, the shape of b_choice_loop_10k",
        ),
        (
            "history",
            "the same loop with its history kept (2 events per transition, returned in the result)",
        ),
    ];
    for (kind, what) in kinds {
        let _ = writeln!(out, "\n{kind}: {what}");
        let header = [
            "N",
            "transitions",
            "time/exec",
            "×time",
            "µs/transition",
            "peak RSS",
            "×RSS",
            "before run",
        ];
        let mut rows = Vec::new();
        let mut prev: Option<&EngineResult> = None;
        for o in outcomes {
            match o {
                Ok(r) if r.kind.as_deref() == Some(kind) => {
                    let size = r.size.unwrap_or(0);
                    let step = prev.filter(|p| p.size.map(|s| s * 10) == Some(size));
                    let t = r.transitions_per_execution.unwrap_or(0);
                    rows.push(vec![
                        fmt_count(size as f64),
                        fmt_count(t as f64),
                        fmt_us(r.p50_us),
                        step.and_then(|p| growth(p.p50_us, r.p50_us))
                            .unwrap_or_else(|| "-".into()),
                        if t > 0 {
                            format!("{:.3}", r.p50_us / t as f64)
                        } else {
                            "-".into()
                        },
                        fmt_bytes(r.peak_rss_bytes),
                        step.and_then(|p| growth(p.peak_rss_bytes as f64, r.peak_rss_bytes as f64))
                            .unwrap_or_else(|| "-".into()),
                        r.loaded_peak_rss_bytes.map_or("-".into(), fmt_bytes),
                    ]);
                    prev = Some(r);
                }
                Err(f) if f.name.starts_with(&format!("{kind}:")) => {
                    rows.push(failed_row(&f.name, &f.error));
                    prev = None;
                }
                _ => {}
            }
        }
        out.push_str(&render_table(&header, &rows, "  "));
    }
    out.push_str(
        "\n×time and ×RSS: growth from the size 10× smaller (linear ≈ 10×, quadratic ≈ 100×; \
         RSS includes a fixed ~8 MiB base). before run: peak RSS with the workload loaded and \
         its first input parsed, before the first execution.\n",
    );
    out
}

/// The growth factor `to / from`: `10.2×`.
fn growth(from: f64, to: f64) -> Option<String> {
    ratio(to, from).map(|r| format!("{r:.1}×"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERP: &str = r#"{"name":"t_trivial_3","engine":"interpreter","executions":300693,"seconds":0.439635663,"executions_per_sec":683959.5267320249,"transitions_per_sec":2051878.5801960747,"p50_us":1.424,"p99_us":1.598,"peak_rss_bytes":19189760,"transitions_per_execution":3,"mean_us":1.46,"first_run_peak_rss_bytes":8704000,"payload_limit":true,"paused_clock":false,"allocator":"mimalloc"}"#;
    const PEER: &str = r#"{"name":"t_trivial_3","executions":18301,"seconds":0.5,"executions_per_sec":36600.8,"transitions_per_sec":109802.4,"p50_us":20.287,"p99_us":82.329,"peak_rss_bytes":125673472,"first_run_peak_rss_bytes":96000000,"peer":"aws-local-stepfunctions@3.0.0","node":"v20.20.2"}"#;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn interp(line: &str) -> EngineResult {
        parse_line(line).unwrap().unwrap()
    }

    fn peer(line: &str) -> PeerResult {
        peer::parse_line(line).unwrap().unwrap()
    }

    #[test]
    fn parses_arguments() {
        assert_eq!(parse_args(&[]).unwrap(), Options::default());
        let o = parse_args(&s(&["--quick", "a", "b"])).unwrap();
        assert!(o.quick && !o.scaling);
        assert_eq!(o.names, ["a", "b"]);
        assert!(parse_args(&s(&["--scaling"])).unwrap().scaling);
        assert!(parse_args(&s(&["--scaling", "a"])).is_err());
        assert!(parse_args(&s(&["--fast"])).is_err());
    }

    #[test]
    fn parses_a_result_line() {
        let r = interp(INTERP);
        assert_eq!(r.name, "t_trivial_3");
        assert_eq!(r.engine, "interpreter");
        assert_eq!(r.executions, 300693);
        assert_eq!(r.transitions_per_sec, 2051878.5801960747);
        assert_eq!(r.p50_us, 1.424);
        assert_eq!(r.peak_rss_bytes, 19_189_760);
        assert_eq!(r.transitions_per_execution, Some(3));
        assert_eq!(r.first_run_peak_rss_bytes, Some(8_704_000));
        assert!(r.payload_limit && !r.paused_clock);
        assert_eq!(r.allocator.as_deref(), Some("mimalloc"));
        assert_eq!(r.kind, None);
    }

    #[test]
    fn parses_minimal_scaling_and_failure_lines() {
        let min = r#"{"name":"x","engine":"interpreter","executions":1,"seconds":1,"executions_per_sec":1,"transitions_per_sec":3,"p50_us":1e6,"p99_us":1e6,"peak_rss_bytes":1}"#;
        let r = interp(min);
        assert!(r.payload_limit, "the limit is on unless said otherwise");
        assert_eq!(r.first_run_peak_rss_bytes, None);
        let scaling = min.replace(
            "\"name\":\"x\"",
            "\"name\":\"map:1000\",\"kind\":\"map\",\"size\":1000",
        );
        let r = interp(&scaling);
        assert_eq!((r.kind.as_deref(), r.size), (Some("map"), Some(1000)));

        let f = parse_line(
            r#"{"name":"c","engine":"interpreter","error":"wrong output: $[3]: missing"}"#,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(f.name, "c");
        assert_eq!(f.engine.as_deref(), Some("interpreter"));
        assert_eq!(f.error, "wrong output: $[3]: missing");
    }

    #[test]
    fn rejects_bad_lines() {
        let e = parse_output(&format!("{INTERP}\n\nwarning: x\n")).unwrap_err();
        assert!(e.starts_with("line 3: not JSON"), "{e}");
        assert!(
            parse_line(r#"{"name":"a","engine":"interpreter","executions":3}"#)
                .unwrap_err()
                .contains("bad result record")
        );
        assert!(parse_line(r#"{"error":"x"}"#)
            .unwrap_err()
            .contains("bad failure record"));
        let zero = INTERP.replace("\"executions\":300693", "\"executions\":0");
        assert!(parse_line(&zero).unwrap_err().contains("zero executions"));
        assert_eq!(parse_output("\n \n").unwrap(), Vec::new());
        assert_eq!(
            parse_output(&format!("{INTERP}\r\n{INTERP}"))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(999.4), "999");
        assert_eq!(fmt_count(1000.0), "1,000");
        assert_eq!(fmt_count(2051878.58), "2,051,879");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(fmt_rate(683959.5), "683,960");
        assert_eq!(fmt_rate(69.377), "69.4");
        assert_eq!(fmt_rate(4.1234), "4.12");
        assert_eq!(fmt_rate(f64::NAN), "n/a");
        assert_eq!(fmt_us(1.424), "1.42 µs");
        assert_eq!(fmt_us(44.969), "45.0 µs");
        assert_eq!(fmt_us(345.2), "345 µs");
        assert_eq!(fmt_us(13851.9), "13.9 ms");
        assert_eq!(fmt_us(1_234_000.0), "1.23 s");
        assert_eq!(fmt_bytes(15_110_144), "14.4 MiB");
        assert_eq!(fmt_bytes(125_673_472), "120 MiB");
        assert_eq!(fmt_bytes(1_022_361_600), "975 MiB");
        assert_eq!(fmt_bytes(2 * 1024 * 1024 * 1024), "2.00 GiB");
    }

    #[test]
    fn formats_ratios() {
        assert_eq!(ratio(2.0, 1.0), Some(2.0));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(f64::NAN, 1.0), None);
        assert_eq!(fmt_ratio(1234.5), "1,235×");
        assert_eq!(fmt_ratio(18.7), "19×");
        assert_eq!(fmt_ratio(3.21), "3.2×");
        assert_eq!(fmt_ratio(0.1527), "0.15×");
        assert_eq!(fmt_ratio(0.0071), "0.007×");
        assert_eq!(growth(10.0, 1000.0).as_deref(), Some("100.0×"));
        assert_eq!(growth(0.0, 1.0), None);
    }

    #[test]
    fn renders_aligned_tables() {
        let t = render_table(
            &["engine", "rate", "p50"],
            &[
                s(&["interpreter", "1,000", "1.00 µs"]),
                s(&["peer", "5", "20.0 ms"]),
                s(&["a_long_failure", "FAILED: boom"]),
            ],
            "  ",
        );
        let want = [
            "  engine           rate      p50",
            "  interpreter     1,000  1.00 µs",
            "  peer                5  20.0 ms",
            "  a_long_failure  FAILED: boom",
        ];
        assert_eq!(t, want.join("\n") + "\n");
    }

    #[test]
    fn renders_a_workload_with_ratios_and_the_summary_line() {
        let names = s(&["t_trivial_3"]);
        let report = Report::new(&names, vec![Ok(interp(INTERP))], vec![Ok(peer(PEER))]);
        assert!(report.all_ok());
        let (r, name) = report.min_ratio().unwrap();
        assert_eq!(name, "t_trivial_3");
        assert!((r - 2051878.5801960747 / 109802.4).abs() < 1e-9);
        let text = report.render(rounds::FULL);
        assert!(
            text.contains("t_trivial_3 (3 transitions/execution)"),
            "{text}"
        );
        assert!(
            text.contains("interpreter       683,960      2,051,879       -           -  1.42 µs"),
            "{text}"
        );
        assert!(
            text.contains("peer               36,601        109,802       -           -  20.3 µs"),
            "{text}"
        );
        assert!(text.contains("18.3 MiB"), "{text}");
        assert!(text.contains("8.3 MiB"), "{text}");
        assert!(text.contains("120 MiB"), "{text}");
        assert!(text.contains("91.6 MiB"), "{text}");
        assert!(
            text.contains("interpreter/peer: transitions/s 19×, memory 0.15× (peak RSS"),
            "{text}"
        );
        assert!(
            text.contains("aws-local-stepfunctions@3.0.0 on node v20.20.2"),
            "{text}"
        );
        assert!(!text.contains(" *"), "no footnote marks: {text}");
        assert!(
            text.ends_with(
                "bench: interpreter/peer min 19×, compiled/interpreter min n/a (typed chain \
                 n/a), durable n/a\n"
            ),
            "{text}"
        );
    }

    /// A result line for `name` on `engine` with `tps` transitions/s.
    fn engine_line(name: &str, engine: &str, tps: f64) -> EngineResult {
        interp(
            &INTERP
                .replace("t_trivial_3", name)
                .replace(
                    "\"engine\":\"interpreter\"",
                    &format!("\"engine\":\"{engine}\""),
                )
                .replace("2051878.5801960747", &tps.to_string()),
        )
    }

    #[test]
    fn renders_compiled_rows_the_typed_chain_and_the_summary_line() {
        let names = s(&["a_pass_chain_100", "t_trivial_3", TYPED_CHAIN]);
        let stepfn = vec![
            Ok(engine_line("a_pass_chain_100", "interpreter", 1_000_000.0)),
            Ok(engine_line("a_pass_chain_100", "compiled", 1_500_000.0)),
            Ok(engine_line("t_trivial_3", "interpreter", 2_000_000.0)),
            Ok(engine_line("t_trivial_3", "compiled", 2_600_000.0)),
            Ok(engine_line(TYPED_CHAIN, "interpreter", 1_000_000.0)),
            Ok(engine_line(TYPED_CHAIN, "compiled", 4_000_000.0)),
            Ok(engine_line(TYPED_CHAIN, "compiled-typed", 4_500_000.0)),
        ];
        let peers = vec![
            Ok(peer(&PEER.replace("t_trivial_3", "a_pass_chain_100"))),
            Ok(peer(PEER)),
        ];
        let mut report = Report::new(&names, stepfn, peers);
        report.build = vec![
            BuildFigure {
                label: "macro: expansion".into(),
                value: Ok("17.0 ms (median of 21)".into()),
            },
            BuildFigure {
                label: "compile: build".into(),
                value: Err("boom".into()),
            },
        ];
        assert!(report.all_ok(), "the typed chain needs no peer");
        assert_eq!(
            report.min_compiled_ratio(),
            Some((1.3, "t_trivial_3")),
            "over the shared workloads only"
        );
        assert_eq!(report.typed_ratio(), Some(4.5));
        let text = report.render(rounds::QUICK);
        assert!(
            text.contains("  compiled          683,960      1,500,000       -        1.5×"),
            "{text}"
        );
        assert!(
            text.contains("  compiled/interpreter: transitions/s 1.5×, memory 1.0× (peak RSS)"),
            "{text}"
        );
        let typed = &text[text.find("typed_chain_100 (").expect("a typed table")..];
        assert!(typed.contains("  compiled-typed"), "{text}");
        assert!(
            typed.contains("  compiled-typed/interpreter: transitions/s 4.5×"),
            "{text}"
        );
        assert!(
            typed.contains("  no peer: typed Rust task handlers"),
            "{text}"
        );
        let typed_table = &typed[..typed.find("\n\n").unwrap()];
        assert!(!typed_table.contains("  peer "), "{text}");
        assert!(
            text.contains("macro: expansion: 17.0 ms (median of 21)\n"),
            "{text}"
        );
        assert!(text.contains("compile: build: n/a (boom)\n"), "{text}");
        assert!(
            text.contains("lowest compiled/interpreter ratio: t_trivial_3"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "bench: interpreter/peer min 9.1×, compiled/interpreter min 1.3× (typed chain \
                 4.5×), durable n/a\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn aggregates_rounds_into_medians_and_per_round_ratios() {
        let round = |engine: &str, tps: f64, rss: u64| {
            INTERP
                .replace(
                    "\"engine\":\"interpreter\"",
                    &format!("\"engine\":\"{engine}\""),
                )
                .replace("2051878.5801960747", &tps.to_string())
                .replace("19189760", &rss.to_string())
        };
        let peer_round = |tps: f64| PEER.replace("109802.4", &tps.to_string());
        // Round 2 is slow for everyone (a noisy neighbour): the per-round ratios hold.
        let interp = engine_rounds(
            "t_trivial_3",
            "interpreter",
            &[
                round("interpreter", 2e6, 10),
                round("interpreter", 1e6, 30),
                round("interpreter", 2.2e6, 20),
            ],
            None,
            Some((1000, 0.5)),
        )
        .unwrap();
        assert_eq!(interp.transitions_per_sec, 2e6, "the median round");
        assert_eq!(interp.round_tps, [2e6, 1e6, 2.2e6]);
        assert_eq!(interp.peak_rss_bytes, 30, "the highest");
        assert_eq!(interp.executions, 3 * 300693);
        let peer = peer_rounds(
            "t_trivial_3",
            &[peer_round(1e5), peer_round(0.5e5), peer_round(1.1e5)],
            None,
            Some((500, 0.5)),
        )
        .unwrap();
        assert_eq!(peer.transitions_per_sec, 1e5);
        let report = Report::new(&s(&["t_trivial_3"]), vec![Ok(interp)], vec![Ok(peer)]);
        let r = peer_ratio(&report.rows[0]).unwrap();
        assert_eq!((r.median, r.min, r.max, r.rounds), (20.0, 20.0, 20.0, 3));
        let text = report.render(rounds::FULL);
        assert!(
            text.contains("interpreter       683,960      2,000,000  -50%..+10%"),
            "{text}"
        );
        assert!(
            text.contains("interpreter/peer: transitions/s 20× (rounds 20×–20×)"),
            "{text}"
        );
        assert!(
            text.contains(
                "warm-up (untimed, excluded): interpreter 1,000 executions in 0.50 s, 2,000 \
                 exec/s (0.003× of its rounds' median); peer 500 executions in 0.50 s"
            ),
            "{text}"
        );
        assert!(
            text.contains("then 5 interleaved rounds of ~0.6 s"),
            "{text}"
        );
        assert!(
            text.ends_with("bench: interpreter/peer min 20×, compiled/interpreter min n/a (typed chain n/a), durable n/a\n"),
            "{text}"
        );

        // A failed check or round is the engine's failure; an unsupported one is not.
        let f = engine_rounds(
            "c_map_10k",
            "durable",
            &[],
            Some(r#"{"name":"c_map_10k","engine":"durable","unsupported":"too big"}"#.into()),
            None,
        )
        .unwrap_err();
        assert!(f.is_unsupported() && f.error == "too big");
        let f = peer_rounds(
            "t_trivial_3",
            &[peer_round(1e5)],
            Some(r#"{"name":"t_trivial_3","engine":"peer","error":"ended"}"#.into()),
            None,
        )
        .unwrap_err();
        assert_eq!(f.error, "ended");
        assert!(engine_rounds("x", "compiled", &[], None, None).is_err());
    }

    #[test]
    fn parses_the_expansion_line() {
        let out = "running 1 test\nworkflow! expansion of 200 states: 17.04 ms (median of 21)\n  \
                   (parse + expand per run; min 16.7 ms, max 36.6 ms)\ntest ... ok\n";
        assert_eq!(
            parse_expansion(out).as_deref(),
            Some("17.0 ms (median of 21)")
        );
        assert_eq!(parse_expansion("running 0 tests\n"), None);
        assert_eq!(
            parse_expansion("workflow! expansion of 200 states: x ms (median of 3)"),
            None
        );
    }

    #[test]
    fn generates_a_200_state_workflow() {
        let src = chain_workflow_source(200);
        let states = src
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with('P') && l.contains(": pass {")
                    || l.starts_with("Check: choice")
                    || l.starts_with("Done: succeed")
            })
            .count();
        assert_eq!(states, 200);
        assert!(src.contains("P197: pass {"), "{src}");
        assert!(src.contains("} -> Check;"), "{src}");
        assert!(!src.contains("P198"), "{src}");
    }

    #[test]
    fn marks_workloads_run_differently_and_picks_the_minimum() {
        let names = s(&["c_map_10k", "e_retry_catch", "t_trivial_3"]);
        let map = INTERP
            .replace("t_trivial_3", "c_map_10k")
            .replace("\"payload_limit\":true", "\"payload_limit\":false")
            .replace("2051878.5801960747", "200000");
        let retry = INTERP
            .replace("t_trivial_3", "e_retry_catch")
            .replace("\"paused_clock\":false", "\"paused_clock\":true");
        let retry_compiled = retry.replace("\"engine\":\"interpreter\"", "\"engine\":\"compiled\"");
        let report = Report::new(
            &names,
            vec![
                Ok(interp(&map)),
                Ok(interp(&retry)),
                Ok(interp(&retry_compiled)),
                Ok(interp(INTERP)),
            ],
            vec![
                Ok(peer(&PEER.replace("t_trivial_3", "c_map_10k"))),
                Ok(peer(&PEER.replace("t_trivial_3", "e_retry_catch"))),
                Err(peer::PeerFailure {
                    name: "t_trivial_3".into(),
                    error: "boom".into(),
                }),
            ],
        );
        assert!(!report.all_ok());
        let text = report.render(rounds::QUICK);
        assert!(text.contains("c_map_10k * (3 transitions"), "{text}");
        assert!(text.contains("e_retry_catch ** (3 transitions"), "{text}");
        assert!(
            text.contains("  * c_map_10k: run by stepfn with the payload limit off"),
            "{text}"
        );
        assert!(
            text.contains("  ** e_retry_catch: stepfn's retrier"),
            "{text}"
        );
        assert!(text.contains("  peer         FAILED: boom"), "{text}");
        assert!(
            text.contains("lowest interpreter/peer ratio: c_map_10k"),
            "{text}"
        );
        assert!(text.contains("bench: interpreter/peer min 1.8×,"), "{text}");
    }

    #[test]
    fn a_missing_side_is_a_failure_and_no_ratio() {
        let names = s(&["t_trivial_3"]);
        let failure = EngineFailure {
            name: "t_trivial_3".into(),
            engine: Some("interpreter".into()),
            error: "wrong output: $.b: missing".into(),
            unsupported: false,
        };
        let report = Report::new(&names, vec![Err(failure)], vec![Ok(peer(PEER))]);
        assert!(!report.all_ok());
        assert_eq!(report.min_ratio(), None);
        let text = report.render(rounds::FULL);
        assert!(
            text.contains("interpreter  FAILED: wrong output: $.b: missing"),
            "{text}"
        );
        assert!(text.contains("bench: interpreter/peer min n/a,"), "{text}");
        let report = Report::new(&names, vec![], vec![]);
        assert!(!report.all_ok());
        let text = report.render(rounds::FULL);
        assert!(text.contains("  stepfn  FAILED: no result\n"), "{text}");
        assert!(text.contains("  peer    FAILED: not run\n"), "{text}");
    }

    #[test]
    fn renders_durable_rows_unsupported_workloads_and_the_median() {
        let names = s(&["a_pass_chain_100", "c_map_10k", "t_trivial_3"]);
        let unsupported = parse_line(
            r#"{"name":"c_map_10k","engine":"durable","unsupported":"the input is over the limit"}"#,
        )
        .unwrap()
        .unwrap_err();
        assert!(unsupported.is_unsupported());
        assert_eq!(unsupported.error, "the input is over the limit");
        let stepfn = vec![
            Ok(engine_line("a_pass_chain_100", "interpreter", 1_000_000.0)),
            Ok(engine_line("a_pass_chain_100", "durable", 30_000.0)),
            Ok(engine_line("c_map_10k", "interpreter", 1_000_000.0)),
            Err(unsupported),
            Ok(engine_line("t_trivial_3", "interpreter", 1_000_000.0)),
            Ok(engine_line("t_trivial_3", "durable", 10_000.0)),
        ];
        let peers = ["a_pass_chain_100", "c_map_10k", "t_trivial_3"]
            .iter()
            .map(|n| Ok(peer(&PEER.replace("t_trivial_3", n))))
            .collect();
        let report = Report::new(&names, stepfn, peers);
        assert!(report.all_ok(), "an unsupported workload is not a failure");
        assert_eq!(report.durable_median(), Some((20_000.0, 2)));
        let text = report.render(rounds::QUICK);
        assert!(
            text.contains("  durable      n/a (see the notes)\n"),
            "{text}"
        );
        assert!(
            text.contains("  n/a: c_map_10k on durable: the input is over the limit\n"),
            "{text}"
        );
        assert!(text.contains("  durable = Standard executions"), "{text}");
        assert!(
            text.contains("durable: median transitions/s over the 2 workloads it ran\n"),
            "{text}"
        );
        assert!(text.ends_with("durable 20,000 transitions/s\n"), "{text}");
        let odd = Report::new(
            &s(&["t_trivial_3"]),
            vec![Ok(engine_line("t_trivial_3", "durable", 7.0))],
            vec![],
        );
        assert_eq!(odd.durable_median(), Some((7.0, 1)));
    }

    #[test]
    fn renders_scaling_growth_per_10x() {
        let line = |kind: &str, size: u64, t: u64, p50: f64, rss: u64| {
            interp(&format!(
                r#"{{"name":"{kind}:{size}","engine":"interpreter","kind":"{kind}","size":{size},"executions":1,"seconds":1,"executions_per_sec":1,"transitions_per_sec":1,"p50_us":{p50},"p99_us":{p50},"peak_rss_bytes":{rss},"transitions_per_execution":{t},"payload_limit":false,"loaded_peak_rss_bytes":{}}}"#,
                rss / 2
            ))
        };
        let outcomes = vec![
            Ok(line("map", 1000, 1001, 1000.0, 10 << 20)),
            Ok(line("map", 10000, 10001, 10_500.0, 60 << 20)),
            Ok(line("choice", 1000, 2002, 100.0, 8 << 20)),
            Ok(line("choice", 10000, 20002, 10_000.0, 8 << 20)),
            Err(EngineFailure {
                name: "choice:100000".into(),
                engine: None,
                error: "boom".into(),
                unsupported: false,
            }),
        ];
        let text = render_scaling(&outcomes);
        let want = [
            "  N       transitions  time/exec  ×time  µs/transition  peak RSS  ×RSS  before run\n",
            "  1,000         1,001    1.00 ms      -          0.999  10.0 MiB     -     5.0 MiB\n",
            "  10,000       10,001    10.5 ms  10.5×          1.050  60.0 MiB  6.0×    30.0 MiB\n",
            "  10,000              20,002    10.0 ms  100.0×          0.500   8.0 MiB  1.0×     4.0 MiB\n",
            "  choice:100000  FAILED: boom\n",
        ];
        for w in want {
            assert!(text.contains(w), "{w:?} not in\n{text}");
        }
    }
}
