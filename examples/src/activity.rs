//! An activity: the workflow hands work to whatever worker polls the activity — a Rust process
//! next to the runtime, or (through `stepfn::aws`) a worker against AWS Step Functions itself.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, Runtime, RuntimeError};

/// The activity's ARN.
pub const REVIEW_ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:review-document";

/// A review verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The document.
    pub document: String,
    /// Accepted or not.
    pub accepted: bool,
}

workflow! {
    /// Have a document reviewed by an activity worker.
    pub ReviewDocument {
        Review: task {
            resource "arn:aws:states:us-east-1:123456789012:activity:review-document";
            timeout 1h;
            heartbeat 5m;
        } end;
    }
}

/// Takes one task of the review activity (long-polling up to 60 s), reviews it, answers.
/// Returns false when no task came.
pub async fn work_once(runtime: &Runtime) -> Result<bool, RuntimeError> {
    let Some(task) = runtime
        .get_activity_task(REVIEW_ACTIVITY, Some("reviewer-1"))
        .await?
    else {
        return Ok(false);
    };
    let input = task.input_json();
    let document = input["document"].as_str().unwrap_or_default().to_string();
    runtime.send_task_heartbeat(&task.task_token).await?;
    let review = Review {
        accepted: !document.contains("typo"),
        document,
    };
    runtime.send_task_success(&task.task_token, &review).await?;
    Ok(true)
}
