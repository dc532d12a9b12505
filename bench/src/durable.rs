//! The durable engine's timing: executions through a `Runtime` on a fresh SQLite file.

use super::*;

/// How many durable executions of `transitions` transitions each are kept in flight.
pub(crate) fn durable_window(transitions: u64) -> usize {
    (DURABLE_TRANSITIONS_IN_FLIGHT / transitions.max(1)).clamp(2, DURABLE_IN_FLIGHT) as usize
}

/// A fresh temporary folder for one durable run's database.
pub(crate) fn durable_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "stepfn-bench-durable-{name}-{}-{nanos}",
        std::process::id()
    ))
}

/// The `durable` engine: Standard executions on a fresh SQLite database with fsync on.
pub(crate) fn time_durable(name: &str, w: &Workload, plan: Plan) -> Result<Value, String> {
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
        let db = dir.join("bench.db");
        let runtime =
            Runtime::open(&db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
        runtime
            .register(name, machine, TaskRegistry::new())
            .map_err(|e| format!("cannot register {name}: {e}"))?;
        tokio.block_on(durable_runs(name, w, plan, &runtime))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Why a durable execution could not be timed.
pub(crate) enum DurableError {
    /// The runtime refuses the workload (its input is over the payload limit).
    Unsupported(String),
    Failed(String),
}

/// Starts one durable execution and waits for its end: its latency and output.
pub(crate) async fn durable_once(
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
pub(crate) async fn durable_runs(
    name: &str,
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
            return Ok(json!({ "name": name, "engine": "durable", "unsupported": why }))
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
            (name, "durable", w),
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
            ready_line(name, "durable", latencies.count, took);
            let mut rounds = 0;
            while let Some(seconds) = plan::next_round(commands)? {
                print_line(&window(seconds).await?);
                rounds += 1;
            }
            Ok(json!({ "name": name, "engine": "durable", "rounds": rounds }))
        }
        Plan::Count { .. } => Err("the durable engine has no instruction count".into()),
    }
}

/// Durable executions with up to [`durable_window`] in flight, started until `seconds` are
/// spent, then drained: their latencies and the window's wall time. Every output is checked.
pub(crate) async fn durable_window_run(
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
