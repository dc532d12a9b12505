//! The bench driver's own tests.

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
