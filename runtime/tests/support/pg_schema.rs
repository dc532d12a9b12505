//! The PostgreSQL test database: `STEPFN_TEST_POSTGRES` (e.g.
//! `postgres://stepfn:stepfn@127.0.0.1/stepfn`), a fresh schema of it per test. Unset, a test
//! skips with a message, except under CI (`CI` set), where it fails saying why. Shared
//! (`#[path]`) by the store's unit tests and the integration tests.

/// A fresh schema of the test database, as a URL whose `search_path` points at it; `None` (with
/// a message) when `STEPFN_TEST_POSTGRES` is unset outside CI.
pub async fn pg_url() -> Option<String> {
    let Ok(url) = std::env::var("STEPFN_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "STEPFN_TEST_POSTGRES is not set: CI must run the PostgreSQL tests (see .ci/run)"
        );
        eprintln!("skipped: set STEPFN_TEST_POSTGRES=postgres://… to run the PostgreSQL tests");
        return None;
    };
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("STEPFN_TEST_POSTGRES={url} is not reachable: {e}"));
    tokio::spawn(conn);
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create a schema in STEPFN_TEST_POSTGRES={url}: {e}"));
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-csearch_path%3D{schema}"))
}

/// [`pg_url`] outside an async runtime.
#[allow(dead_code)]
pub fn blocking_pg_url() -> Option<String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(pg_url())
}
