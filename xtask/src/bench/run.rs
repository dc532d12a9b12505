//! The interleaved rounds of one workload: every stepfn engine and the peer, each in a process
//! of its own, asked in turn for one timed round; their records combined into one result each.

use std::path::Path;
use std::process::Command;

use super::{engines_of, parse_line, EngineFailure, EngineOutcome, EngineResult, TYPED_CHAIN};
use crate::peer::{self, PeerOutcome, PeerResult};
use crate::rounds::{median, Contender, Schedule};

/// Runs workload `name` in interleaved rounds on every stepfn engine and on the peer (when
/// `peer_dir` is given and the workload has one): each engine's outcome, the rounds'
/// medians, and the peer's.
pub(super) fn run_rounds(
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
pub(super) fn engine_rounds(
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
    combine_rounds(records, failed, warmup, parse_line, fail)
}

/// The figures every round's record holds, stepfn's ([`EngineResult`]) and the peer's
/// ([`PeerResult`]) alike, as [`combine_rounds`] reads and writes them.
pub(super) struct Figures {
    executions: u64,
    seconds: f64,
    executions_per_sec: f64,
    transitions_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    peak_rss_bytes: u64,
    cpu_seconds: Option<f64>,
}

/// A round's record: its [`Figures`], and the fields that hold the rounds' spread.
pub(super) trait RoundRecord: Clone {
    fn figures(&self) -> Figures;
    /// Puts the rounds' figures, their transitions/s per round and the warm-up in.
    fn set(&mut self, f: Figures, round_tps: Vec<f64>, warmup: Option<(u64, f64)>);
}

macro_rules! round_record {
    ($t:ty) => {
        impl RoundRecord for $t {
            fn figures(&self) -> Figures {
                Figures {
                    executions: self.executions,
                    seconds: self.seconds,
                    executions_per_sec: self.executions_per_sec,
                    transitions_per_sec: self.transitions_per_sec,
                    p50_us: self.p50_us,
                    p99_us: self.p99_us,
                    peak_rss_bytes: self.peak_rss_bytes,
                    cpu_seconds: self.cpu_seconds,
                }
            }
            fn set(&mut self, f: Figures, round_tps: Vec<f64>, warmup: Option<(u64, f64)>) {
                self.executions = f.executions;
                self.seconds = f.seconds;
                self.executions_per_sec = f.executions_per_sec;
                self.transitions_per_sec = f.transitions_per_sec;
                self.p50_us = f.p50_us;
                self.p99_us = f.p99_us;
                self.peak_rss_bytes = f.peak_rss_bytes;
                self.round_tps = round_tps;
                self.warmup = warmup;
            }
        }
    };
}
round_record!(EngineResult);
round_record!(PeerResult);

/// One side's rounds as one result: each round's rates per CPU-second ([`per_cpu_second`]),
/// then the medians of the rounds (sums of executions and seconds, the largest peak RSS), the
/// per-round transitions/s in `round_tps`, the rest from the last round. A `failed` line (a
/// failed check or round) is the outcome.
fn combine_rounds<R: RoundRecord, F>(
    records: &[String],
    failed: Option<String>,
    warmup: Option<(u64, f64)>,
    parse: fn(&str) -> Result<Result<R, F>, String>,
    fail: impl Fn(String) -> F,
) -> Result<R, F> {
    if let Some(line) = failed {
        return match parse(&line) {
            Ok(Err(f)) => Err(f),
            Ok(Ok(_)) => Err(fail(format!("unexpected record: {line}"))),
            Err(e) => Err(fail(e)),
        };
    }
    let mut rounds: Vec<R> = records
        .iter()
        .map(|l| match parse(l) {
            Ok(r) => r,
            Err(e) => Err(fail(e)),
        })
        .collect::<Result<_, _>>()?;
    let figures: Vec<Figures> = rounds
        .iter()
        .map(|r| {
            let mut f = r.figures();
            let per_cpu = per_cpu_second(f.seconds, f.cpu_seconds);
            f.executions_per_sec *= per_cpu;
            f.transitions_per_sec *= per_cpu;
            f
        })
        .collect();
    let Some(mut last) = rounds.pop() else {
        return Err(fail("no round ran".into()));
    };
    let mid = |g: fn(&Figures) -> f64| {
        median(&figures.iter().map(g).collect::<Vec<_>>()).unwrap_or(f64::NAN)
    };
    let combined = Figures {
        executions: figures.iter().map(|f| f.executions).sum(),
        seconds: figures.iter().map(|f| f.seconds).sum(),
        executions_per_sec: mid(|f| f.executions_per_sec),
        transitions_per_sec: mid(|f| f.transitions_per_sec),
        p50_us: mid(|f| f.p50_us),
        p99_us: mid(|f| f.p99_us),
        peak_rss_bytes: figures.iter().map(|f| f.peak_rss_bytes).max().unwrap_or(0),
        cpu_seconds: last.figures().cpu_seconds,
    };
    let round_tps = figures.iter().map(|f| f.transitions_per_sec).collect();
    last.set(combined, round_tps, warmup);
    Ok(last)
}

/// What turns a rate per wall-clock second of the timed batches into one per CPU-second of
/// the process over them (`wall / cpu`): on a loaded machine a process waits for a core for a
/// share of the wall time that changes from second to second; its CPU time leaves that out.
/// 1 when the CPU time is unknown (the durable engine's rate stays throughput by wall time).
pub(super) fn per_cpu_second(wall: f64, cpu: Option<f64>) -> f64 {
    match cpu {
        Some(cpu) if cpu > 0.0 && wall > 0.0 && cpu.is_finite() => wall / cpu,
        _ => 1.0,
    }
}

/// The peer's rounds as one result, as [`engine_rounds`] does for stepfn's.
pub(super) fn peer_rounds(
    name: &str,
    records: &[String],
    failed: Option<String>,
    warmup: Option<(u64, f64)>,
) -> PeerOutcome {
    let fail = |error: String| peer::PeerFailure {
        name: name.to_owned(),
        error,
    };
    combine_rounds(records, failed, warmup, peer::parse_line, fail)
}
