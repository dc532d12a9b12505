//! Example workflows written with `workflow!`: each is a Rust type whose `ASL` deploys to AWS
//! Step Functions and whose compiled form runs natively (`stepfn::run::<Order>(input)`).
//!
//! - [`order`]: order processing with typed tasks, Retry and Catch.
//! - [`approval`]: a person approves an expense through a task token (`.waitForTaskToken`).
//! - [`activity`]: a document review done by an activity worker.
//! - [`choice_loop`]: poll a job with a Choice loop and a Wait.
//! - [`parallel`]: fan out independent checks with Parallel.
//! - [`map`]: process every line of an invoice with Map.
//! - [`service`]: a fulfilment service on the typed durable API (`Execution<W>`), with a task token.
//! - [`typed`]: a chain of typed tasks, for the compiled-vs-interpreter benchmark.
//! - [`workloads`]: the benchmark workloads, for the differential test and `cargo xtask bench`.

pub mod activity;
pub mod approval;
pub mod choice_loop;
pub mod export;
pub mod map;
pub mod order;
pub mod parallel;
pub mod service;
pub mod typed;
pub mod workloads;

/// Every workflow of this crate with its name and ASL, for `cargo xtask asl` and build scripts.
pub fn all_asl() -> Vec<(&'static str, &'static str)> {
    use stepfn::Workflow;
    fn entry<W: Workflow>() -> (&'static str, &'static str) {
        (W::NAME, W::ASL)
    }
    vec![
        entry::<order::ProcessOrder>(),
        entry::<choice_loop::PollJob>(),
        entry::<parallel::Screening>(),
        entry::<map::Invoice>(),
        entry::<approval::ExpenseApproval>(),
        entry::<activity::ReviewDocument>(),
        entry::<typed::TypedChain100>(),
        entry::<workloads::TrivialThree>(),
        entry::<workloads::PassChain100>(),
        entry::<workloads::ChoiceLoop10k>(),
        entry::<workloads::Map10k>(),
        entry::<workloads::Parallel10x10>(),
        entry::<workloads::RetryCatch>(),
    ]
}
