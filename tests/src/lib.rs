//! Integration, conformance and UI tests of stepfn (see `tests/`).

/// Inputs the example workflows are run on by the differential tests: orders (id, amount, card)
/// that ship, run out of stock and are declined.
pub const ORDERS: [(&str, u64, &str); 3] = [
    ("o1", 100, "visa"),
    ("oos-2", 5, "visa"),
    ("o3", 7, "declined"),
];

/// Jobs for the Choice-loop example: one that finishes, one that fails.
pub const JOBS: [&str; 2] = ["job-1", "bad-2"];

/// A current-thread tokio runtime on a paused clock: waits and retries take no time.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}
