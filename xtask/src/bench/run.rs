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
            Ok(Ok(mut r)) => {
                let per_cpu = per_cpu_second(r.seconds, r.cpu_seconds);
                r.executions_per_sec *= per_cpu;
                r.transitions_per_sec *= per_cpu;
                Ok(r)
            }
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
            Ok(Ok(mut r)) => {
                let per_cpu = per_cpu_second(r.seconds, r.cpu_seconds);
                r.executions_per_sec *= per_cpu;
                r.transitions_per_sec *= per_cpu;
                Ok(r)
            }
            Ok(Err(f)) => Err(f),
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
