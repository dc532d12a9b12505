//! The comparison's report: a table per workload, the footnotes, the build figures and the last
//! `bench:` summary line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::build_time::BuildFigure;
use super::format::*;
use super::{EngineOutcome, EngineResult, TYPED_CHAIN};
use crate::peer::{self, PeerOutcome, PeerResult};
use crate::rounds::{Schedule, Spread};

/// One workload's rows.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) name: String,
    pub(super) stepfn: Vec<EngineOutcome>,
    pub(super) peer: Option<PeerOutcome>,
    /// False for the typed workload: it has no ASL peer.
    pub(super) has_peer: bool,
}

#[derive(Debug)]
pub(super) struct Report {
    pub(super) rows: Vec<Row>,
    /// Macro expansion and compile times, printed before the summary line.
    pub(super) build: Vec<BuildFigure>,
}

impl Report {
    pub(super) fn new(
        names: &[String],
        stepfn: Vec<EngineOutcome>,
        peer: Vec<PeerOutcome>,
    ) -> Report {
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

    pub(super) fn all_ok(&self) -> bool {
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
    pub(super) fn min_compiled_ratio(&self) -> Option<(f64, &str)> {
        self.rows
            .iter()
            .filter(|r| r.has_peer)
            .filter_map(|r| Some((engine_ratio(r, "compiled")?, r.name.as_str())))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// The median transitions/s of a durable engine (`durable`, `durable-postgres`) over the
    /// workloads it ran, and how many it ran.
    pub(super) fn durable_median(&self, name: &str) -> Option<(f64, usize)> {
        let mut tps: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|r| engine(r, name))
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
    pub(super) fn typed_ratio(&self) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == TYPED_CHAIN)
            .and_then(|r| engine_ratio(r, "compiled-typed"))
    }

    /// The smallest interpreter/peer transitions/s ratio and its workload.
    pub(super) fn min_ratio(&self) -> Option<(f64, &str)> {
        self.rows
            .iter()
            .filter_map(|r| Some((peer_ratio(r)?.median, r.name.as_str())))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    pub(super) fn render(&self, schedule: Schedule) -> String {
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
             medians, ratios the median of per-round ratios; executions/s and transitions/s per \
             CPU-second of the process (durable: per wall-clock second); {cores} cores{cpu}\n",
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
        let durable = match self.durable_median("durable") {
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
        // The PostgreSQL row, when it ran (`STEPFN_BENCH_POSTGRES`).
        let postgres = self
            .durable_median("durable-postgres")
            .map_or(String::new(), |(tps, n)| {
                format!(
                    ", durable on PostgreSQL {} transitions/s ({n} workloads)",
                    fmt_count(tps)
                )
            });
        let _ = writeln!(
            out,
            "bench: interpreter/peer min {min}, compiled/interpreter min {compiled} (typed chain \
             {typed}), durable {durable}{postgres}"
        );
        out
    }
}

pub(super) fn interpreter(r: &Row) -> Option<&EngineResult> {
    engine(r, "interpreter")
}

pub(super) fn engine<'a>(r: &'a Row, name: &str) -> Option<&'a EngineResult> {
    r.stepfn
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .find(|s| s.engine == name)
}

/// `engine`'s transitions/s over the interpreter's on row `r`: the median of the per-round
/// ratios.
pub(super) fn engine_ratio(r: &Row, name: &str) -> Option<f64> {
    engine_spread(r, name).map(|s| s.median)
}

/// `engine`'s transitions/s over the interpreter's on row `r`, per round.
pub(super) fn engine_spread(r: &Row, name: &str) -> Option<Spread> {
    let (e, i) = (engine(r, name)?, interpreter(r)?);
    Spread::ratio(
        (&e.round_tps, e.transitions_per_sec),
        (&i.round_tps, i.transitions_per_sec),
    )
}

/// The interpreter's transitions/s over the peer's on row `r`, per round.
pub(super) fn peer_ratio(r: &Row) -> Option<Spread> {
    let (s, p) = (interpreter(r)?, r.peer.as_ref()?.as_ref().ok()?);
    Spread::ratio(
        (&s.round_tps, s.transitions_per_sec),
        (&p.round_tps, p.transitions_per_sec),
    )
}

/// A ratio's median, and its range over the rounds when there were several:
/// `51× (rounds 47×–55×)`.
pub(super) fn fmt_spread_ratio(s: Option<Spread>) -> String {
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
pub(super) fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
}

pub(super) fn engine_outcome_name(o: &EngineOutcome) -> &str {
    match o {
        Ok(r) => &r.name,
        Err(f) => &f.name,
    }
}

pub(super) fn peer_outcome_name(o: &PeerOutcome) -> &str {
    match o {
        Ok(r) => &r.name,
        Err(f) => &f.name,
    }
}

/// Footnotes gathered while rendering the rows, each printed once.
#[derive(Debug, Default)]
pub(super) struct Notes {
    pub(super) no_payload_limit: Vec<String>,
    pub(super) paused_clock: Vec<String>,
    pub(super) allocator: Option<String>,
    /// Some row has a durable result.
    pub(super) durable: bool,
    /// `(workload, engine, why)` of the engines that cannot run a workload.
    pub(super) unsupported: Vec<(String, String, String)>,
}

impl Notes {
    pub(super) fn render(&self) -> String {
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
             executions/s, divided by the process's CPU time over those batches (all its threads: \
             node's JIT and GC helpers count; the time spent waiting for a core on a loaded \
             machine does not); inputs are made before and outputs checked after the timer. Every \
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
             type (same ASL, checked) running its generated Rust from JSON input; compiled-typed = the same from a typed Rust input value (execute_typed). \
             \"vs interp.\" is transitions/s over the interpreter's.",
            self.allocator.as_deref().unwrap_or("?")
        );
        out
    }
}

pub(super) fn render_row(row: &Row, notes: &mut Notes) -> String {
    let transitions = row
        .stepfn
        .iter()
        .filter_map(|o| o.as_ref().ok()?.transitions_per_execution)
        .next();
    let (mut no_limit, mut paused) = (false, false);
    for o in &row.stepfn {
        match o {
            Ok(s) if s.engine == "durable" || s.engine == "durable-postgres" => {
                notes.durable = true
            }
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
            "  no peer: typed Rust task handlers have no counterpart in aws-local-stepfunctions; \
             4× the rounds, each a quarter as long (rounds::Schedule::without_peer)"
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

pub(super) fn peer_row(p: &PeerResult) -> Vec<String> {
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
pub(super) fn fmt_range(round_tps: &[f64]) -> String {
    Spread::of(round_tps).map_or("-".into(), |s| s.range_percent())
}

/// The peer's untimed warm-up (its JIT compiling the hot paths), beside its rounds' median:
/// both run the same `run(input)` calls, so the rates compare. (stepfn's engines warm up too;
/// their warm-up makes each input inside the loop, so its rate is not shown.)
pub(super) fn warmup_line(row: &Row) -> Option<String> {
    let Some(Ok(p)) = &row.peer else { return None };
    let (n, secs) = p.warmup.filter(|(n, secs)| *n > 0 && *secs > 0.0)?;
    let eps = n as f64 / secs;
    Some(format!(
        "  peer warm-up (JIT; untimed, excluded): {} execution{} in {secs:.2} s, {} exec/s, \
         {} its rounds' median\n",
        fmt_count(n as f64),
        if n == 1 { "" } else { "s" },
        fmt_rate(eps),
        ratio(eps, p.executions_per_sec).map_or("n/a".into(), fmt_ratio)
    ))
}
