//! Durable Standard throughput on the bench workloads, with fsync on (SQLite WAL,
//! `synchronous=FULL`; PostgreSQL with its default settings, `fsync` and `synchronous_commit`
//! on). A benchmark, not a test:
//!
//! ```text
//! cargo bench -p stepfn --bench durable
//! STEPFN_BENCH_POSTGRES=postgres://… cargo bench -p stepfn --features postgres --bench durable
//! ```
//!
//! With `STEPFN_BENCH_POSTGRES` (a database it may fill; tables `stepfn_*`), the same workloads
//! run on PostgreSQL after SQLite, then the Choice loop on two processes sharing the database.

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use stepfn::asl::StateMachine;
use stepfn::ExecutionStatus;
use stepfn::{Runtime, TaskRegistry};

fn workloads() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/workloads");
    p.is_dir().then_some(p)
}

fn load(dir: &Path, name: &str) -> (StateMachine, Value, Value) {
    let read = |ext: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(format!("{name}.{ext}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let m = StateMachine::from_json(&read("asl")).unwrap();
    (m, read("input"), read("expected"))
}

async fn run_many(
    runtime: &Runtime,
    sm: &str,
    input: &Value,
    expected: Option<&Value>,
    n: usize,
    prefix: &str,
) -> Duration {
    let t = Instant::now();
    // Started concurrently: their ExecutionStarted commits share fsyncs.
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let starts = names
        .iter()
        .map(|name| runtime.start(sm, input.clone(), Some(name)));
    let arns: Vec<String> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for arn in arns {
        let d = runtime.wait(&arn).await.unwrap();
        assert_eq!(d.status(), ExecutionStatus::Succeeded, "{:?}", d.record);
        if let Some(e) = expected {
            assert_eq!(d.output().as_ref(), Some(e));
        }
    }
    t.elapsed()
}

/// The Choice-loop workload, its executions, and transitions per execution.
const CHOICE_LOOP: (&str, usize, usize) = ("b_choice_loop_10k", 4, 20002);

fn main() {
    // b_choice_loop_10k's 40,006 events pass the 25,000-event quota of Standard executions: the
    // figures measure checkpointing throughput on the workloads as given.
    stepfn::quotas::lift_history_quota(true);
    let Some(dir) = workloads() else {
        eprintln!("no bench workloads; skipped");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // A child of the two-process run: its share of the Choice loop, its seconds on stdout.
    if let Ok(url) = std::env::var("STEPFN_BENCH_CHILD") {
        let (name, n, _) = CHOICE_LOOP;
        rt.block_on(async {
            let runtime = Runtime::open(&url).unwrap();
            let (m, input, expected) = load(&dir, name);
            runtime.register(name, m, TaskRegistry::new()).unwrap();
            let prefix = format!("p{}-", std::process::id());
            let took = run_many(&runtime, name, &input, Some(&expected), n, &prefix).await;
            println!("{}", took.as_secs_f64());
        });
        return;
    }
    let tmp = std::env::temp_dir().join(format!("stepfn-bench-{}", uuid::Uuid::new_v4()));
    let postgres = std::env::var("STEPFN_BENCH_POSTGRES").ok();
    let stores = std::iter::once(tmp.join("bench.db").to_string_lossy().into_owned())
        .chain(postgres.clone());
    for db in stores {
        rt.block_on(bench_store(&dir, &db));
    }
    if let Some(url) = postgres {
        two_processes(&url);
    }
    let _ = std::fs::remove_dir_all(tmp);
}

/// The Choice loop on two processes at once on the PostgreSQL database at `url`: the total
/// transitions over the wall time.
fn two_processes(url: &str) {
    let (name, n, per) = CHOICE_LOOP;
    let t = Instant::now();
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .env("STEPFN_BENCH_CHILD", url)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a bench child failed");
    }
    let took = t.elapsed();
    let tps = (2 * n * per) as f64 / took.as_secs_f64();
    eprintln!(
        "{name} on 2 processes   {:>6} {per:>18} {:>9.3} {tps:>15.0}",
        2 * n,
        took.as_secs_f64()
    );
}

async fn bench_store(dir: &Path, db: &str) {
    {
        let runtime = Runtime::open(db).unwrap();
        let store = if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        eprintln!("{store}:");
        eprintln!("workload              execs   transitions/exec   seconds   transitions/s");
        // (workload, executions, transitions per execution from the manifest)
        let cases = [
            ("t_trivial_3", 2000usize, 3usize),
            ("a_pass_chain_100", 500, 100),
            ("d_parallel_10x10", 500, 101),
            ("b_choice_loop_10k", 4, 20002),
        ];
        for (name, n, per) in cases {
            let (m, input, expected) = load(dir, name);
            runtime.register(name, m, TaskRegistry::new()).unwrap();
            let prefix = format!("run-{}-", uuid::Uuid::new_v4().simple());
            let took = run_many(&runtime, name, &input, Some(&expected), n, &prefix).await;
            let tps = (n * per) as f64 / took.as_secs_f64();
            eprintln!(
                "{name:<20} {n:>6} {per:>18} {:>9.3} {tps:>15.0}",
                took.as_secs_f64()
            );
        }

        // Every transition observable: a chain of 10 Task states, each committed before its
        // handler runs (group commit across concurrent executions is what keeps this up).
        let mut states = serde_json::Map::new();
        for i in 0..10 {
            let mut s = json!({"Type": "Task", "Resource": "echo"});
            let o = s.as_object_mut().unwrap();
            if i == 9 {
                o.insert("End".into(), json!(true));
            } else {
                o.insert("Next".into(), json!(format!("T{}", i + 1)));
            }
            states.insert(format!("T{i}"), s);
        }
        let m = StateMachine::from_json(&json!({"StartAt": "T0", "States": states})).unwrap();
        let mut tasks = TaskRegistry::new();
        tasks.register_json("echo", |v: Value| async move { Ok(v) });
        runtime.register("tasks_10", m, tasks).unwrap();
        for n in [1usize, 100, 1000] {
            let took = run_many(
                &runtime,
                "tasks_10",
                &json!({"x": 1}),
                None,
                n,
                &format!("c{n}-{}-", uuid::Uuid::new_v4().simple()),
            )
            .await;
            let tps = (n * 10) as f64 / took.as_secs_f64();
            eprintln!(
                "tasks_10 x{n:<11} {n:>6} {:>18} {:>9.3} {tps:>15.0}",
                10,
                took.as_secs_f64()
            );
        }

        // History reads: a 25,000-event execution, in pages of 1000.
        let arn = runtime
            .list(Some("b_choice_loop_10k"), None)
            .await
            .unwrap()
            .first()
            .unwrap()
            .record
            .arn
            .clone();
        let t = Instant::now();
        let mut events = 0;
        let mut token = None;
        while events < 25_000 {
            let page = runtime
                .history(
                    &arn,
                    stepfn::HistoryQuery {
                        next_token: token,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            events += page.events.len();
            token = page.next_token;
        }
        let took = t.elapsed();
        eprintln!(
            "history: {events} events read in {:.1} ms ({:.0} events/s)",
            took.as_secs_f64() * 1000.0,
            events as f64 / took.as_secs_f64()
        );
    }
}
