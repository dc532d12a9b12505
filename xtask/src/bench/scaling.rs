//! `cargo xtask bench --scaling`: how the interpreter grows with the size of a Map or a loop.

use std::fmt::Write as _;

use super::format::{failed_row, fmt_bytes, fmt_count, fmt_us, ratio, render_table};
use super::{build_bench, run_stepfn, EngineOutcome, EngineResult, Options};
use crate::{root, target_dir};

pub(super) fn scaling(opts: &Options) -> Result<bool, String> {
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

pub(super) fn render_scaling(outcomes: &[EngineOutcome]) -> String {
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
pub(super) fn growth(from: f64, to: f64) -> Option<String> {
    ratio(to, from).map(|r| format!("{r:.1}×"))
}
