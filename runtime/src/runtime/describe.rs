//! What DescribeExecution, GetExecutionHistory and ListExecutions return, and those calls.

use super::{state_machine_arn, Runtime, RuntimeError};
use crate::engine::ExecutionStatus;
use crate::store::{ExecutionFilter, ExecutionRecord};
use serde_json::{json, Value};

/// An execution as DescribeExecution returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionDescription {
    /// The stored row.
    pub record: ExecutionRecord,
}

/// An activity task handed to a worker (GetActivityTask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The token to answer with.
    pub task_token: String,
    /// The task input, as JSON text.
    pub input: String,
}

impl ActivityTask {
    /// The input as JSON.
    pub fn input_json(&self) -> Value {
        crate::quotas::read_json(&self.input).unwrap_or(Value::Null)
    }
}

impl ExecutionDescription {
    /// True when [`Runtime::redrive`] accepts the execution (FAILED, ABORTED or TIMED_OUT).
    pub fn redrivable(&self) -> bool {
        matches!(
            self.record.status,
            ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut
        )
    }

    /// The status.
    pub fn status(&self) -> ExecutionStatus {
        self.record.status
    }

    /// The execution ARN.
    pub fn arn(&self) -> &str {
        &self.record.arn
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// The state machine's ARN.
    pub fn state_machine_arn(&self) -> String {
        state_machine_arn(&self.record.state_machine)
    }

    /// The error name, once FAILED, TIMED_OUT or ABORTED.
    pub fn error(&self) -> Option<&str> {
        self.record.error.as_deref()
    }

    /// The cause, once FAILED, TIMED_OUT or ABORTED.
    pub fn cause(&self) -> Option<&str> {
        self.record.cause.as_deref()
    }

    /// The output, once SUCCEEDED.
    pub fn output(&self) -> Option<Value> {
        self.record
            .output
            .as_deref()
            .and_then(|o| crate::quotas::read_json(o).ok())
    }

    /// The DescribeExecution JSON.
    pub fn to_json(&self) -> Value {
        let r = &self.record;
        let mut v = json!({
            "executionArn": r.arn,
            "stateMachineArn": state_machine_arn(&r.state_machine),
            "name": r.name,
            "status": r.status.as_str(),
            "startDate": millis_text(r.start_ms),
            "input": r.input,
            "redriveCount": r.redrive_count,
            "redriveStatus": if self.redrivable() { "REDRIVABLE" } else { "NOT_REDRIVABLE" },
        });
        if let Some(m) = v.as_object_mut() {
            if !self.redrivable() {
                m.insert(
                    "redriveStatusReason".into(),
                    json!(format!(
                        "Execution is {} and cannot be redriven",
                        r.status.as_str()
                    )),
                );
            }
            if let Some(s) = r.stop_ms {
                m.insert("stopDate".into(), json!(millis_text(s)));
            }
            if let Some(t) = r.redrive_ms {
                m.insert("redriveDate".into(), json!(millis_text(t)));
            }
            if let Some(o) = &r.output {
                m.insert("output".into(), json!(o));
            }
            if let Some(e) = &r.error {
                m.insert("error".into(), json!(e));
            }
            if let Some(c) = &r.cause {
                m.insert("cause".into(), json!(c));
            }
        }
        v
    }
}

fn millis_text(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{t:.3}")
}

/// A GetExecutionHistory request.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    /// Events per page (AWS default and maximum: 1000).
    pub max_results: usize,
    /// Newest first.
    pub reverse_order: bool,
    /// The token of the previous page.
    pub next_token: Option<String>,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            max_results: 1000,
            reverse_order: false,
            next_token: None,
        }
    }
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The events (GetExecutionHistory `events[]`).
    pub events: Vec<Value>,
    /// The token of the next page, if any.
    pub next_token: Option<String>,
}

impl Runtime {
    /// DescribeExecution.
    pub async fn describe(&self, arn: &str) -> Result<ExecutionDescription, RuntimeError> {
        match self.inner.store.execution(arn).await? {
            Some(record) => Ok(ExecutionDescription { record }),
            None => Err(RuntimeError::ExecutionDoesNotExist(arn.to_string())),
        }
    }

    /// GetExecutionHistory: one page, oldest first or newest first.
    pub async fn history(
        &self,
        arn: &str,
        query: HistoryQuery,
    ) -> Result<HistoryPage, RuntimeError> {
        self.describe(arn).await?;
        let after = match &query.next_token {
            Some(t) => t.parse::<u64>().map_err(|_| {
                RuntimeError::InvalidExecutionInput(format!("invalid next token `{t}`"))
            })?,
            None => 0,
        };
        let limit = query.max_results.clamp(1, 1000);
        let events = self
            .inner
            .store
            .events(arn, after, limit, query.reverse_order)
            .await?;
        let last = events.last().and_then(|e| e["id"].as_u64());
        let next_token = match last {
            Some(id) if events.len() == limit => {
                let more = if query.reverse_order {
                    id > 1
                } else {
                    id < self.inner.store.event_count(arn).await?
                };
                more.then(|| id.to_string())
            }
            _ => None,
        };
        Ok(HistoryPage { events, next_token })
    }

    /// Every event of an execution, oldest first.
    pub async fn full_history(&self, arn: &str) -> Result<Vec<Value>, RuntimeError> {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .history(
                    arn,
                    HistoryQuery {
                        next_token: token,
                        ..HistoryQuery::default()
                    },
                )
                .await?;
            all.extend(page.events);
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(all),
            }
        }
    }

    /// ListExecutions, newest first.
    pub async fn list(
        &self,
        state_machine: Option<&str>,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionDescription>, RuntimeError> {
        let recs = self
            .inner
            .store
            .executions(ExecutionFilter {
                state_machine: state_machine.map(str::to_string),
                status,
            })
            .await?;
        Ok(recs
            .into_iter()
            .map(|record| ExecutionDescription { record })
            .collect())
    }
}
