//! The bench's parsing, aggregation and rendering, on recorded lines.

use super::build_time::*;
use super::format::*;
use super::report::*;
use super::run::*;
use super::scaling::*;
use super::*;
use crate::peer::{self, PeerResult};

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
    let o = parse_args(&s(&["--rounds", "40", "--round-seconds", "0.25", "w"])).unwrap();
    assert_eq!((o.rounds, o.round_seconds), (Some(40), Some(0.25)));
    assert_eq!(o.names, ["w"]);
    for bad in [
        &["--rounds"][..],
        &["--rounds", "0"],
        &["--round-seconds", "-1"],
        &["--quick", "--rounds", "3"],
    ] {
        assert!(parse_args(&s(bad)).is_err(), "{bad:?}");
    }
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

    let f =
        parse_line(r#"{"name":"c","engine":"interpreter","error":"wrong output: $[3]: missing"}"#)
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
            "  peer warm-up (JIT; untimed, excluded): 500 executions in 0.50 s, 1,000 exec/s, \
                 0.03× its rounds' median\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("then 11 interleaved rounds of ~1 s"),
        "{text}"
    );
    assert!(
            text.ends_with("bench: interpreter/peer min 20×, compiled/interpreter min n/a (typed chain n/a), durable n/a\n"),
            "{text}"
        );

    // With the CPU time known, a rate is per CPU-second: a round that waited half its
    // wall time for a core counts as twice as fast as its wall clock says.
    let busy = round("interpreter", 1e6, 10).replace(
        "\"executions\":300693",
        "\"executions\":300693,\"cpu_seconds\":0.2198178315",
    );
    let r = engine_rounds("t_trivial_3", "interpreter", &[busy], None, None).unwrap();
    assert!(
        (r.transitions_per_sec - 2e6).abs() < 1.0,
        "{}",
        r.transitions_per_sec
    );
    assert_eq!(per_cpu_second(1.0, None), 1.0);
    assert_eq!(per_cpu_second(1.0, Some(0.0)), 1.0);
    let p = peer_rounds(
        "t_trivial_3",
        &[peer_round(1e5).replace("\"seconds\":0.5", "\"seconds\":0.5,\"cpu_seconds\":1.0")],
        None,
        None,
    )
    .unwrap();
    assert_eq!(p.transitions_per_sec, 0.5e5, "helper threads count");

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
    assert_eq!(report.durable_median("durable"), Some((20_000.0, 2)));
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
    assert_eq!(odd.durable_median("durable"), Some((7.0, 1)));
    // The PostgreSQL row joins the summary when it ran.
    let pg = Report::new(
        &s(&["t_trivial_3"]),
        vec![
            Ok(engine_line("t_trivial_3", "durable", 7.0)),
            Ok(engine_line("t_trivial_3", "durable-postgres", 5.0)),
        ],
        vec![],
    );
    assert_eq!(pg.durable_median("durable-postgres"), Some((5.0, 1)));
    let text = pg.render(rounds::QUICK);
    assert!(
        text.ends_with(
            "durable 7 transitions/s, durable on PostgreSQL 5 transitions/s (1 workloads)\n"
        ),
        "{text}"
    );
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
