//! A person approves an expense: the workflow sends a message carrying a task token
//! (`.waitForTaskToken`) and waits, durably, until someone answers with that token through
//! `Runtime::send_task_success` / `send_task_failure` — or a day passes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use stepfn::{workflow, Runtime, RuntimeError, TaskError, TaskRegistry};

/// A paid expense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// Who is paid.
    pub employee: String,
    /// How much, in cents.
    pub cents: u64,
}

/// Pays an approved expense (its input is the approval request's output: the expense and the decision).
pub async fn pay(v: Value) -> Result<Payment, TaskError> {
    Ok(Payment {
        employee: v["employee"].as_str().unwrap_or_default().to_string(),
        cents: v["cents"].as_u64().unwrap_or_default(),
    })
}

workflow! {
    /// Wait for a person to approve an expense, then pay it.
    pub ExpenseApproval {
        RequestApproval: task {
            resource "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
            parameters {
                "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
                "MessageBody": { "expense.$": "$", "taskToken.$": "$$.Task.Token" }
            };
            timeout 1d;
            result_path "$.decision";
            catch [States.Timeout] into "$.error" -> Expired;
            catch [Expense.Rejected] into "$.error" -> Rejected;
        } -> Decide;
        Decide: choice {
            $.decision.approved == true => Pay,
            _ => Rejected,
        }
        Pay: task pay end;
        Rejected: fail "Expense.Rejected", "the approver said no";
        Expired: fail "Expense.Expired", "nobody answered within a day";
    }
}

/// Where approval requests land: what a person's inbox (here, the SQS queue) would show.
#[derive(Debug, Clone, Default)]
pub struct Inbox(Arc<Mutex<Vec<Value>>>);

impl Inbox {
    /// The messages received so far.
    pub fn messages(&self) -> Vec<Value> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Registers the workflow on a runtime, with the SQS send simulated by `inbox`.
pub fn register(runtime: &Runtime, inbox: &Inbox) -> Result<String, RuntimeError> {
    let mut tasks: TaskRegistry = ExpenseApproval::tasks();
    let sink = inbox.0.clone();
    // The request half of the integration: "send" the message. The token travels inside it.
    tasks.register_json("arn:aws:states:::sqs:sendMessage", move |params: Value| {
        let sink = sink.clone();
        async move {
            if let Ok(mut m) = sink.lock() {
                m.push(params["MessageBody"].clone());
            }
            Ok(serde_json::json!({ "MessageId": "m-1" }))
        }
    });
    runtime.register("ExpenseApproval", ExpenseApproval::state_machine(), tasks)
}
