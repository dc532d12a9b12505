//! One test suite, run against every store implementation.

use super::*;
use crate::events::HistoryEvent;

fn event(id: u64) -> HistoryEvent {
    HistoryEvent {
        id,
        previous_event_id: id.saturating_sub(1),
        timestamp: "2026-01-01T00:00:00.000Z".into(),
        kind: crate::events::EventType::PassStateEntered,
        details: None,
    }
}

fn record(arn: &str, sm: &str) -> ExecutionRecord {
    ExecutionRecord {
        arn: arn.into(),
        name: arn.rsplit(':').next().unwrap_or(arn).into(),
        state_machine: sm.into(),
        status: ExecutionStatus::Running,
        input: "{}".into(),
        output: None,
        error: None,
        cause: None,
        start_ms: 1,
        stop_ms: None,
        redrive_count: 0,
        redrive_ms: None,
    }
}

async fn suite(store: &dyn Store) {
    // Create with the first events and a checkpoint, atomically.
    let mut c = Commit::new("e1");
    c.create = Some(record("e1", "M"));
    c.events = (1..=3).map(event).collect();
    c.frames = vec![("".into(), Some("{\"a\":1}".into()))];
    store.commit(c).await.unwrap();
    let mut c = Commit::new("e2");
    c.create = Some(record("e2", "N"));
    c.events = vec![event(1)];
    store.commit(c).await.unwrap();
    // Creating twice fails and changes nothing.
    let mut dup = Commit::new("e2");
    dup.create = Some(record("e2", "N"));
    dup.events = vec![event(2)];
    assert!(store.commit(dup).await.is_err());
    assert_eq!(store.event_count("e2").await.unwrap(), 1);
    // A gap or a repeated id is refused.
    let mut bad = Commit::new("e1");
    bad.events = vec![event(3)];
    assert!(store.commit(bad).await.is_err());
    // Concurrent commits of many executions (group commit) all land.
    let mut futs = Vec::new();
    for i in 0..50 {
        let mut c = Commit::new(format!("x{i}"));
        c.create = Some(record(&format!("x{i}"), "M"));
        c.events = (1..=2).map(event).collect();
        futs.push(store.commit(c));
    }
    for r in futures::future::join_all(futs).await {
        r.unwrap();
    }
    assert_eq!(store.event_count("x49").await.unwrap(), 2);

    // Frames: set, replace, delete, clear.
    let mut c = Commit::new("e1");
    c.events = vec![event(4)];
    c.frames = vec![
        ("".into(), Some("{\"a\":2}".into())),
        ("/P@0".into(), Some("{}".into())),
        ("/P@1".into(), Some("{}".into())),
    ];
    store.commit(c).await.unwrap();
    let mut c = Commit::new("e1");
    c.frames = vec![("/P@1".into(), None)];
    store.commit(c).await.unwrap();
    let frames = store.frames("e1").await.unwrap();
    assert_eq!(
        frames,
        vec![
            ("".to_string(), "{\"a\":2}".to_string()),
            ("/P@0".to_string(), "{}".to_string())
        ]
    );

    // History pages, forward and reverse.
    let page = store.events("e1", 0, 2, false).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["id"], 1);
    let page = store.events("e1", 2, 10, false).await.unwrap();
    assert_eq!(
        page.iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [3, 4]
    );
    let page = store.events("e1", 0, 3, true).await.unwrap();
    assert_eq!(
        page.iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [4, 3, 2]
    );
    let page = store.events("e1", 2, 3, true).await.unwrap();
    assert_eq!(
        page.iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1]
    );

    // Pending tasks.
    let task = |token: &str, execution: &str| PendingTask {
        token: token.into(),
        execution: execution.into(),
        activity: Some("act".into()),
        input: "{}".into(),
        started: false,
        worker: None,
        heartbeat_ms: 7,
        answer: None,
    };
    let mut c = Commit::new("e1");
    c.put_tasks = vec![task("t1", "e1")];
    store.commit(c).await.unwrap();
    assert_eq!(store.pending_tasks().await.unwrap(), vec![task("t1", "e1")]);
    // Updates apply to existing rows only.
    let mut taken = task("t1", "e1");
    taken.started = true;
    taken.worker = Some("w".into());
    taken.answer = Some("{\"output\":\"1\"}".into());
    let mut c = Commit::new("e1");
    c.update_tasks = vec![taken.clone(), task("ghost", "e1")];
    store.commit(c).await.unwrap();
    assert_eq!(store.pending_tasks().await.unwrap(), vec![taken]);
    let mut c = Commit::new("e1");
    c.remove_tasks = vec!["t1".into()];
    store.commit(c).await.unwrap();
    assert!(store.pending_tasks().await.unwrap().is_empty());
    // Clearing removes the execution's tasks only.
    let mut c = Commit::new("e1");
    c.put_tasks = vec![task("a", "e1"), task("b", "e1")];
    store.commit(c).await.unwrap();
    let mut c = Commit::new("e2");
    c.put_tasks = vec![task("c", "e2")];
    store.commit(c).await.unwrap();
    let mut c = Commit::new("e1");
    c.clear_tasks = true;
    store.commit(c).await.unwrap();
    assert_eq!(store.pending_tasks().await.unwrap(), vec![task("c", "e2")]);
    let mut c = Commit::new("e2");
    c.remove_tasks = vec!["c".into()];
    store.commit(c).await.unwrap();

    // Closing.
    let mut c = Commit::new("e1");
    c.events = vec![event(5)];
    c.clear_frames = true;
    c.status = Some(StatusChange {
        status: ExecutionStatus::Succeeded,
        output: Some("1".into()),
        error: None,
        cause: None,
        stop_ms: Some(2),
        redrive_count: None,
        redrive_ms: None,
    });
    store.commit(c).await.unwrap();
    let e1 = store.execution("e1").await.unwrap().unwrap();
    assert_eq!(e1.status, ExecutionStatus::Succeeded);
    assert_eq!(e1.output.as_deref(), Some("1"));
    assert!(store.frames("e1").await.unwrap().is_empty());
    assert!(store.execution("nope").await.unwrap().is_none());

    // Listing: newest first, filtered.
    let all = store.executions(ExecutionFilter::default()).await.unwrap();
    assert_eq!(all.len(), 52);
    assert_eq!(all[0].arn, "x49");
    let running = store
        .executions(ExecutionFilter {
            state_machine: None,
            status: Some(ExecutionStatus::Running),
        })
        .await
        .unwrap();
    assert_eq!(running.len(), 51);
    let n = store
        .executions(ExecutionFilter {
            state_machine: Some("N".into()),
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(n.len(), 1);

    // Activities.
    let a = ActivityRecord {
        arn: "arn:act".into(),
        name: "act".into(),
        created_ms: 1,
    };
    store.put_activity(a.clone()).await.unwrap();
    store.put_activity(a.clone()).await.unwrap();
    assert_eq!(store.activities().await.unwrap(), vec![a]);
    store.delete_activity("arn:act").await.unwrap();
    assert!(store.activities().await.unwrap().is_empty());

    // Documents: by kind, replaced by key.
    store
        .put_document("machine", "b", "{\"v\":1}")
        .await
        .unwrap();
    store.put_document("machine", "a", "{}").await.unwrap();
    store
        .put_document("machine", "b", "{\"v\":2}")
        .await
        .unwrap();
    store.put_document("other", "a", "1").await.unwrap();
    assert_eq!(
        store.documents("machine").await.unwrap(),
        vec![
            ("a".to_string(), "{}".to_string()),
            ("b".to_string(), "{\"v\":2}".to_string())
        ]
    );
    assert!(store.delete_document("machine", "a").await.unwrap());
    assert!(!store.delete_document("machine", "a").await.unwrap());
    assert_eq!(store.documents("machine").await.unwrap().len(), 1);
}

#[tokio::test]
async fn memory_store() {
    suite(&MemoryStore::new()).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store() {
    let dir = std::env::temp_dir().join(format!("stepfn-store-{}", uuid::Uuid::new_v4()));
    let path = dir.join("t.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        suite(&store).await;
    }
    // Reopened, it still holds everything.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.event_count("e1").await.unwrap(), 5);
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_file_is_held_by_one_store() {
    let dir = std::env::temp_dir().join(format!("stepfn-store-{}", uuid::Uuid::new_v4()));
    let path = dir.join("t.db");
    let first = SqliteStore::open(&path).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(e.0.contains("in use by another stepfn process"), "{e}");
    assert!(e.0.contains(&format!("pid {}", std::process::id())), "{e}");
    drop(first);
    SqliteStore::open(&path).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// The PostgreSQL test database, shared with the integration tests.
#[cfg(feature = "postgres")]
#[path = "../../tests/support/pg_schema.rs"]
mod pg_schema;
#[cfg(feature = "postgres")]
use pg_schema::pg_url;

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store() {
    let Some(url) = pg_url().await else { return };
    let lease = std::time::Duration::from_secs(10);
    {
        let store = PgStore::connect(&url, lease).unwrap();
        suite(&store).await;
    }
    // Another instance (process) sees everything; the migrations are not applied twice.
    let store = PgStore::connect(&url, lease).unwrap();
    assert_eq!(store.event_count("e1").await.unwrap(), 5);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_leases_fence_a_process_that_lost_them() {
    let Some(url) = pg_url().await else { return };
    let lease = std::time::Duration::from_secs(30);
    let a = PgStore::connect(&url, lease).unwrap();
    let b = PgStore::connect(&url, lease).unwrap();
    let mut c = Commit::new("e");
    c.create = Some(record("e", "M"));
    c.events = vec![event(1)];
    a.commit(c).await.unwrap();
    // A holds a live lease: nothing to claim.
    assert!(b.running(vec!["M".into()]).await.unwrap().is_empty());
    // A's lease runs out (as when it is paused or cut off): B claims it, with a new epoch.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute("UPDATE stepfn_executions SET lease_until_ms = 0", &[])
        .await
        .unwrap();
    // A process that cannot run `M` leaves it alone (claiming would fence A off for nothing).
    assert!(b.running(vec!["Other".into()]).await.unwrap().is_empty());
    let claimed = b.running(vec!["M".into()]).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        b.running(vec!["M".into()]).await.unwrap().is_empty(),
        "claimed twice"
    );
    // A wakes up: not a single event gets in.
    let mut late = Commit::new("e");
    late.events = vec![event(2)];
    late.frames = vec![("".into(), Some("{}".into()))];
    let e = a.commit(late).await.unwrap_err();
    assert!(e.0.contains("lease lost"), "{e}");
    assert_eq!(a.event_count("e").await.unwrap(), 1);
    assert!(a.frames("e").await.unwrap().is_empty());
    // B continues.
    let mut next = Commit::new("e");
    next.events = vec![event(2)];
    b.commit(next).await.unwrap();
    assert_eq!(b.event_count("e").await.unwrap(), 2);
    // A's fenced runner ends and releases (without effect: the lease is B's). While B runs it,
    // nobody claims it; released by B, it can be claimed at once (by A again, fencing off B).
    a.release("e").await.unwrap();
    assert!(a.running(vec!["M".into()]).await.unwrap().is_empty());
    b.release("e").await.unwrap();
    assert_eq!(a.running(vec!["M".into()]).await.unwrap().len(), 1);
    let mut late = Commit::new("e");
    late.events = vec![event(3)];
    assert!(b.commit(late).await.is_err());
}

/// Another process's changes to tasks are announced (`LISTEN/NOTIFY`), and the
/// earliest foreign lease's expiry is known, so nothing has to poll for them.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_announces_changes() {
    use std::time::Duration;
    let Some(url) = pg_url().await else { return };
    let lease = Duration::from_secs(30);
    let a = PgStore::connect(&url, lease).unwrap();
    let b = PgStore::connect(&url, lease).unwrap();
    let mut heard = b.changes().expect("PostgreSQL announces changes");
    // B's listener starts with its first use; it announces a change once it listens.
    assert!(b.next_expiry().await.unwrap().is_none());
    let at_most = Duration::from_secs(10);
    assert!(wait_for_change(&mut heard, Change::Tasks, at_most).await);
    while heard.try_recv().is_ok() {}

    let mut c = Commit::new("n1");
    c.create = Some(record("n1", "M"));
    c.put_tasks = vec![PendingTask {
        token: "nt".into(),
        execution: "n1".into(),
        activity: Some("act".into()),
        input: "{}".into(),
        started: false,
        worker: None,
        heartbeat_ms: 0,
        answer: None,
    }];
    a.commit(c).await.unwrap();
    assert!(
        wait_for_change(&mut heard, Change::Tasks, at_most).await,
        "a task added"
    );
    let left = b.next_expiry().await.unwrap().expect("A's lease");
    assert!(left <= lease && left > lease / 2, "{left:?}");
    let take = TaskUpdate::Take {
        activity: "act".into(),
        worker: None,
        now_ms: 1,
    };
    assert!(a.update_task(take).await.unwrap().is_some());
    assert!(
        wait_for_change(&mut heard, Change::Tasks, at_most).await,
        "a task taken"
    );
    a.release("n1").await.unwrap();
    assert_eq!(b.next_expiry().await.unwrap(), Some(Duration::ZERO));
}
