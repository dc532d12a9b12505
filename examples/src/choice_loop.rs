//! A Choice loop: start a job, then check its status every few seconds until it is done.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

/// A job and how often it has been checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job id.
    pub id: String,
    /// How many checks so far.
    pub checks: u32,
    /// `RUNNING`, `DONE` or `FAILED`.
    pub status: String,
}

/// Starts the job.
pub async fn start_job(id: String) -> Result<Job, TaskError> {
    Ok(Job {
        id,
        checks: 0,
        status: "RUNNING".into(),
    })
}

/// Checks the job: done after three checks (a job id starting with `bad-` fails instead).
pub async fn check_job(mut job: Job) -> Result<Job, TaskError> {
    job.checks += 1;
    if job.checks >= 3 {
        job.status = if job.id.starts_with("bad-") {
            "FAILED"
        } else {
            "DONE"
        }
        .into();
    }
    Ok(job)
}

workflow! {
    /// Poll a job until it finishes.
    pub PollJob(String) -> Job {
        start Start;
        Start: task start_job -> Check;
        Check: task check_job -> IsDone;
        IsDone: choice {
            $.status == "DONE" => Done,
            $.status == "FAILED" => Failed,
            _ => Later,
        }
        Later: wait 1s -> Check;
        Done: succeed;
        Failed: fail "Job.Failed", "the job reported FAILED";
    }
}
