//! One durable test suite over every store: a test body (`async fn body(store: TestStore)`) runs
//! once per store, as the tests `body::memory`, `body::sqlite` (a temporary file) and
//! `body::postgres` (a fresh schema of `STEPFN_TEST_POSTGRES`; see `pg_schema.rs`), made by
//! [`on_every_store!`]. Shared (`#[macro_use] #[path]`) by the durable integration tests.
//!
//! **Clocks.** The memory store runs on tokio's paused clock (a current-thread runtime): it does
//! no I/O, so time only moves when every task waits on a timer. The SQLite and PostgreSQL stores
//! run on real time: a paused clock auto-advances to the next timer whenever the runtime is idle,
//! and it is idle while a commit waits on SQLite's writer thread or on a PostgreSQL socket, so
//! timeouts and heartbeat deadlines would fire early. The bodies use durations of a few seconds
//! and assert bounds, not exact instants. A body that compares a stored (wall-clock) deadline
//! across a restart runs on real time on the memory store too: `on_every_store!(real_time: …)`.
#![allow(dead_code, unused_macros)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stepfn::store::MemoryStore;
use stepfn::Runtime;

#[cfg(feature = "postgres")]
#[path = "pg_schema.rs"]
mod pg_schema;
#[cfg(feature = "postgres")]
pub use pg_schema::pg_url;

/// The lease timeout of runtimes on PostgreSQL: a restarted test runtime takes over the
/// executions of the one it replaces this long after it was dropped.
pub const LEASE: Duration = Duration::from_secs(3);

/// How long a test waits for something that should happen soon, on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A store implementation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// `MemoryStore`, on the paused clock.
    Memory,
    /// `SqliteStore` in a temporary file.
    Sqlite,
    /// `PgStore` in a fresh schema of `STEPFN_TEST_POSTGRES`.
    #[cfg(feature = "postgres")]
    Postgres,
}

impl StoreKind {
    /// Executions outlive the process (its restart finds them).
    pub fn durable(self) -> bool {
        self != Self::Memory
    }

    /// Shared by several processes: executions are held with leases, and a restarted runtime
    /// takes them over once the old leases expire.
    pub fn shared(self) -> bool {
        self.durable() && self != Self::Sqlite
    }
}

enum At {
    Memory(Arc<MemoryStore>),
    File { dir: PathBuf, db: PathBuf },
    Url(String),
}

/// The store of one test, opened by [`TestStore::runtime`] as often as the test restarts.
pub struct TestStore {
    kind: StoreKind,
    at: At,
}

impl TestStore {
    /// A fresh store of `kind`; `None` when PostgreSQL is not configured (outside CI).
    pub async fn new(kind: StoreKind) -> Option<Self> {
        let at = match kind {
            StoreKind::Memory => At::Memory(Arc::new(MemoryStore::new())),
            StoreKind::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("stepfn-stores-{}", uuid::Uuid::new_v4()));
                At::File {
                    db: dir.join("t.db"),
                    dir,
                }
            }
            #[cfg(feature = "postgres")]
            StoreKind::Postgres => At::Url(pg_url().await?),
        };
        Some(Self { kind, at })
    }

    /// Which store this is.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// What `Runtime::open` and `--db` take: the SQLite file or the PostgreSQL URL (`None`
    /// for memory).
    pub fn location(&self) -> Option<String> {
        match &self.at {
            At::Memory(_) => None,
            At::File { db, .. } => Some(db.display().to_string()),
            At::Url(url) => Some(url.clone()),
        }
    }

    /// A runtime on this store. After a "restart" (the previous runtime dropped), the SQLite
    /// file is let go shortly after the dropped runtime's tasks end: opening is retried.
    pub async fn runtime(&self) -> Runtime {
        match &self.at {
            At::Memory(store) => Runtime::new(store.clone()),
            At::Url(url) => Runtime::open_with_lease(url, LEASE).expect("PostgreSQL runtime"),
            At::File { db, .. } => {
                let deadline = tokio::time::Instant::now() + PATIENCE;
                loop {
                    match Runtime::open(db) {
                        Ok(rt) => return rt,
                        Err(e)
                            if e.to_string().contains("in use")
                                && tokio::time::Instant::now() < deadline =>
                        {
                            tokio::time::sleep(Duration::from_millis(20)).await
                        }
                        Err(e) => panic!("cannot open {}: {e}", db.display()),
                    }
                }
            }
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let At::File { dir, .. } = &self.at {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The clock a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The memory store on tokio's paused clock, the others on real time (see the module's note).
    PausedInMemory,
    /// Real time on every store: for bodies that compare stored wall-clock deadlines across a
    /// restart (a paused tokio clock moves apart from the wall clock).
    Real,
}

/// Runs `body` on a fresh store of `kind`, on a current-thread runtime when paused, else with
/// two worker threads.
pub fn run<F, Fut>(kind: StoreKind, clock: Clock, body: F)
where
    F: FnOnce(TestStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = if kind == StoreKind::Memory && clock == Clock::PausedInMemory {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
    .expect("a tokio runtime");
    rt.block_on(async {
        if let Some(store) = TestStore::new(kind).await {
            body(store).await;
        }
    });
}

/// `on_every_store!(a, b)`: for each test body `async fn a(store: TestStore)`, a module `a` with
/// one test per store: `a::memory`, `a::sqlite`, `a::postgres` (each with its store's feature),
/// on [`Clock::PausedInMemory`]; `on_every_store!(real_time: a, b)` on [`Clock::Real`].
macro_rules! on_every_store {
    (real_time: $($body:ident),+ $(,)?) => {
        on_every_store!(@ Real; $($body),+);
    };
    (@ $clock:ident; $($body:ident),+) => {$(
        mod $body {
            use $crate::stores::{run, Clock, StoreKind};

            #[test]
            fn memory() {
                run(StoreKind::Memory, Clock::$clock, super::$body)
            }

            #[cfg(feature = "sqlite")]
            #[test]
            fn sqlite() {
                run(StoreKind::Sqlite, Clock::$clock, super::$body)
            }

            #[cfg(feature = "postgres")]
            #[test]
            fn postgres() {
                run(StoreKind::Postgres, Clock::$clock, super::$body)
            }
        }
    )+};
    ($($body:ident),+ $(,)?) => {
        on_every_store!(@ PausedInMemory; $($body),+);
    };
}

/// The event types of an execution's history, in order.
pub async fn kinds(rt: &Runtime, arn: &str) -> Vec<String> {
    rt.full_history(arn)
        .await
        .expect("history")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits (at most [`PATIENCE`]) until the execution's history has an event of type `kind`.
pub async fn wait_for_event(rt: &Runtime, arn: &str, kind: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !kinds(rt, arn).await.iter().any(|k| k == kind) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} event in {arn} after {PATIENCE:?}: {:?}",
            kinds(rt, arn).await
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
