//! `cargo xtask bench --instructions [--write-baseline | --check-baseline] [WORKLOAD...]`:
//! instructions per execution and per transition of the in-process engines (`interpreter`,
//! `compiled`, `compiled-typed`), counted by `valgrind --tool=callgrind`. Unlike a time, the
//! count repeats for the same binary and input whatever else the machine is doing, so it can
//! tell a 10% slow-down of one commit from noise.
//!
//! Each workload and engine is counted twice, in a `stepfn-bench --child --count N` process:
//! once making N inputs and executing them, once making them only (`--no-run`). Both load the
//! workload and run the checking execution; the difference over N is the cost of one
//! execution (the engine's work, its output dropped; no clock reads, no output checks).
//!
//! `--write-baseline` writes the counts to [`BASELINE_FILE`]; `--check-baseline` measures, prints
//! each workload beside its baseline and fails when one is more than [`LIMIT_PERCENT`] above it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The committed baseline, relative to the workspace root.
pub const BASELINE_FILE: &str = "bench/instructions.baseline.json";
/// How far above its baseline a workload may go before `--check-baseline` fails.
pub const LIMIT_PERCENT: f64 = 10.0;

/// The engines counted on workload `name` (in process and single-threaded: not `durable`).
pub fn engines_of(name: &str) -> &'static [&'static str] {
    if name == crate::bench::TYPED_CHAIN {
        &["interpreter", "compiled", "compiled-typed"]
    } else {
        &["interpreter", "compiled"]
    }
}

/// Executions per counted run: about 20,000 transitions' worth, 1 to 2,000.
pub fn executions_for(transitions: u64) -> u64 {
    (20_000 / transitions.max(1)).clamp(1, 2_000)
}

/// One workload and engine's count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// Instructions of one execution.
    pub per_execution: u64,
    /// `per_execution` over the workload's transitions.
    pub per_transition: f64,
    /// Executions counted (the difference of the two runs is over this many).
    pub executions: u64,
}

/// The baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub comment: String,
    /// `rustc --version` and `valgrind --version` when it was written: counts compare only
    /// under the same compiler (and flags).
    pub rustc: String,
    pub valgrind: String,
    /// Workload → engine → count.
    pub counts: BTreeMap<String, BTreeMap<String, Count>>,
}

/// What to do with the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Print,
    WriteBaseline,
    CheckBaseline,
}

/// Counts every `(name, transitions)` on its engines with `exe` (`stepfn-bench`), then does
/// `action`; `Ok(false)` when a count failed or the check found a workload over the limit.
pub fn run(
    root: &Path,
    exe: &Path,
    dir: &Path,
    workloads: &[(String, u64)],
    action: Action,
) -> Result<bool, String> {
    let valgrind = tool_version("valgrind")?;
    let rustc = tool_version(&std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))?;
    let baseline_path = root.join(BASELINE_FILE);
    let baseline = match action {
        Action::CheckBaseline => Some(read_baseline(&baseline_path)?),
        _ => None,
    };
    let mut counts: BTreeMap<String, BTreeMap<String, Result<Count, String>>> = BTreeMap::new();
    for (name, transitions) in workloads {
        for engine in engines_of(name) {
            let n = executions_for(*transitions);
            eprintln!("bench: callgrind: {name} ({engine}), {n} executions ...");
            let count = count(exe, dir, name, engine, n).map(|per_execution| Count {
                per_execution,
                per_transition: per_execution as f64 / *transitions as f64,
                executions: n,
            });
            counts
                .entry(name.clone())
                .or_default()
                .insert((*engine).to_owned(), count);
        }
    }
    let all_counted = counts
        .values()
        .flat_map(BTreeMap::values)
        .all(Result::is_ok);
    let mut ok = all_counted;
    let mut out = format!(
        "\ninstructions per execution (valgrind --tool=callgrind, {valgrind}; {rustc}; release \
         build of stepfn-bench; N executions minus the same run making the inputs only)\n\n"
    );
    match (action, &baseline) {
        (Action::CheckBaseline, Some(base)) => {
            let (table, within) = render_check(&counts, base);
            out.push_str(&table);
            if base.rustc != rustc {
                let _ = writeln!(
                    out,
                    "warning: the baseline was counted with {}; counts move with the compiler",
                    base.rustc
                );
            }
            ok &= within;
            let _ = writeln!(
                out,
                "baseline check ({BASELINE_FILE}, limit +{LIMIT_PERCENT}%): {}",
                if ok { "passed" } else { "FAILED" }
            );
        }
        _ => out.push_str(&render_counts(&counts)),
    }
    if action == Action::WriteBaseline {
        if !all_counted {
            print!("{out}");
            return Err("some counts failed: the baseline is left as it was".into());
        }
        let baseline = Baseline {
            comment: format!(
                "Instructions per execution of the in-process engines on the bench workloads. \
                 Regenerate with `cargo xtask bench --instructions --write-baseline`; \
                 `cargo xtask bench --check-baseline` fails when a workload is more than \
                 {LIMIT_PERCENT}% above."
            ),
            rustc,
            valgrind,
            counts: counts
                .into_iter()
                .map(|(w, e)| {
                    (
                        w,
                        e.into_iter()
                            .filter_map(|(k, c)| Some((k, c.ok()?)))
                            .collect(),
                    )
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&baseline_path, text)
            .map_err(|e| format!("cannot write {}: {e}", baseline_path.display()))?;
        let _ = writeln!(out, "wrote {}", baseline_path.display());
    }
    print!("{out}");
    Ok(ok)
}

fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the baseline {} ({e}); write it with `cargo xtask bench --instructions \
             --write-baseline`",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a baseline: {e}", path.display()))
}

/// One execution's instructions: the count of `n` executions minus that of none.
fn count(exe: &Path, dir: &Path, name: &str, engine: &str, n: u64) -> Result<u64, String> {
    let with = callgrind(exe, dir, name, engine, n, true)?;
    let without = callgrind(exe, dir, name, engine, n, false)?;
    let diff = with
        .checked_sub(without)
        .filter(|d| *d > 0)
        .ok_or_else(|| format!("{n} executions counted {with}, the run without them {without}"))?;
    Ok((diff as f64 / n as f64).round() as u64)
}

/// Instructions of one `stepfn-bench --child --count` run under callgrind.
fn callgrind(
    exe: &Path,
    dir: &Path,
    name: &str,
    engine: &str,
    n: u64,
    run: bool,
) -> Result<u64, String> {
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--child", "--engine", engine, "--count", &n.to_string()]);
    if !run {
        cmd.arg("--no-run");
    }
    cmd.arg("--workloads").arg(dir).arg(name);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let why = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .and_then(|v| v.get("error")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | "));
        return Err(format!(
            "{name} ({engine}) under callgrind failed ({}): {why}",
            out.status
        ));
    }
    collected(&stderr)
        .ok_or_else(|| format!("{name} ({engine}): no `Collected :` line from callgrind"))
}

/// The `==PID== Collected : N` figure of callgrind's summary.
pub fn collected(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

fn tool_version(tool: &str) -> Result<String, String> {
    let out = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{tool} --version` (is {tool} installed?): {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

type Counts = BTreeMap<String, BTreeMap<String, Result<Count, String>>>;

fn render_counts(counts: &Counts) -> String {
    let mut rows = Vec::new();
    for (name, engines) in counts {
        for (engine, c) in engines {
            rows.push(match c {
                Ok(c) => vec![
                    name.clone(),
                    engine.clone(),
                    crate::bench::fmt_count(c.per_execution as f64),
                    format!("{:.1}", c.per_transition),
                    c.executions.to_string(),
                ],
                Err(e) => vec![name.clone(), format!("{engine}  FAILED: {e}")],
            });
        }
    }
    crate::bench::render_table(
        &["workload", "engine", "per execution", "per transition", "N"],
        &rows,
        "  ",
    )
}

/// The check's table and whether every workload is within the limit.
fn render_check(counts: &Counts, base: &Baseline) -> (String, bool) {
    let mut rows = Vec::new();
    let mut within = true;
    for (name, engines) in counts {
        for (engine, c) in engines {
            let Ok(c) = c else {
                let e = c.as_ref().err().map_or("", String::as_str);
                rows.push(vec![name.clone(), format!("{engine}  FAILED: {e}")]);
                continue;
            };
            let before = base.counts.get(name).and_then(|e| e.get(engine));
            let (was, change, verdict) = match before {
                Some(b) => {
                    let (now, was) = (c.per_execution as f64, b.per_execution as f64);
                    let pct = (now / was - 1.0) * 100.0;
                    let over = now > was * (1.0 + LIMIT_PERCENT / 100.0);
                    within &= !over;
                    (
                        crate::bench::fmt_count(b.per_execution as f64),
                        format!("{pct:+.1}%"),
                        if over { "OVER" } else { "ok" },
                    )
                }
                None => ("-".into(), "-".into(), "no baseline"),
            };
            rows.push(vec![
                name.clone(),
                engine.clone(),
                was,
                crate::bench::fmt_count(c.per_execution as f64),
                change,
                verdict.into(),
            ]);
        }
    }
    let table = crate::bench::render_table(
        &["workload", "engine", "baseline", "now", "change", ""],
        &rows,
        "  ",
    );
    (table, within)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrinds_summary() {
        let stderr = "==12== Callgrind, a call-graph generating cache profiler\n\
                      ==12== Events    : Ir\n==12== Collected : 123456789\n==12==\n\
                      ==12== I   refs:      123,456,789\n";
        assert_eq!(collected(stderr), Some(123_456_789));
        assert_eq!(collected("==12== Events    : Ir\n"), None);
    }

    #[test]
    fn sizes_the_counted_runs() {
        assert_eq!(executions_for(3), 2_000);
        assert_eq!(executions_for(100), 200);
        assert_eq!(executions_for(20_002), 1);
        assert_eq!(executions_for(0), 2_000);
        assert_eq!(engines_of("t_trivial_3"), ["interpreter", "compiled"]);
        assert_eq!(engines_of(crate::bench::TYPED_CHAIN).len(), 3);
    }

    fn count(per_execution: u64) -> Count {
        Count {
            per_execution,
            per_transition: per_execution as f64 / 3.0,
            executions: 10,
        }
    }

    #[test]
    fn the_check_fails_above_the_limit_only() {
        let base = Baseline {
            comment: String::new(),
            rustc: "rustc x".into(),
            valgrind: "valgrind-y".into(),
            counts: [(
                "t_trivial_3".to_owned(),
                [
                    ("interpreter".to_owned(), count(1_000)),
                    ("compiled".to_owned(), count(1_000)),
                ]
                .into(),
            )]
            .into(),
        };
        let now = |interp: u64, compiled: u64| -> Counts {
            [(
                "t_trivial_3".to_owned(),
                [
                    ("interpreter".to_owned(), Ok(count(interp))),
                    ("compiled".to_owned(), Ok(count(compiled))),
                ]
                .into(),
            )]
            .into()
        };
        let (table, ok) = render_check(&now(1_100, 500), &base);
        assert!(ok, "+10.0% and faster are within: {table}");
        assert!(table.contains("+10.0%  ok"), "{table}");
        assert!(table.contains("-50.0%  ok"), "{table}");
        let (table, ok) = render_check(&now(1_101, 1_000), &base);
        assert!(!ok, "{table}");
        assert!(table.contains("1,000  1,101  +10.1%  OVER"), "{table}");
        let mut extra = now(1_000, 1_000);
        extra
            .entry("a_pass_chain_100".into())
            .or_default()
            .insert("interpreter".into(), Ok(count(5)));
        let (table, ok) = render_check(&extra, &base);
        assert!(ok && table.contains("no baseline"), "{table}");
        let mut failed = now(1_000, 1_000);
        failed
            .get_mut("t_trivial_3")
            .unwrap()
            .insert("compiled".into(), Err("boom".into()));
        let (table, _) = render_check(&failed, &base);
        assert!(table.contains("compiled  FAILED: boom"), "{table}");
    }

    #[test]
    fn the_baseline_round_trips() {
        let base = Baseline {
            comment: "c".into(),
            rustc: "r".into(),
            valgrind: "v".into(),
            counts: [(
                "w".to_owned(),
                [("interpreter".to_owned(), count(7))].into(),
            )]
            .into(),
        };
        let text = serde_json::to_string_pretty(&base).unwrap();
        assert_eq!(serde_json::from_str::<Baseline>(&text).unwrap(), base);
    }
}
