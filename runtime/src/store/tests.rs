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
    let running = store.running().await.unwrap();
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
