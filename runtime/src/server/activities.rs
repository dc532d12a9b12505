//! The actions over the runtime's activities, task tokens and redrive.

use super::api::{page_of, Api};
use super::arns::{self, ArnType};
use super::protocol::{millis_to_epoch, Action, ApiError, Request};
use serde_json::{json, Value};

/// How many `clientToken`s of RedriveExecution are remembered, and for how long (AWS: the last
/// 10, for 15 minutes).
const REDRIVE_TOKENS: usize = 10;
const REDRIVE_TOKEN_MS: i64 = 15 * 60 * 1000;

fn activity_json(a: &crate::store::ActivityRecord) -> Value {
    json!({
        "activityArn": a.arn,
        "name": a.name,
        "creationDate": millis_to_epoch(a.created_ms),
    })
}

fn token(req: &Request) -> Result<&str, ApiError> {
    let t = req.str("taskToken")?;
    if t.is_empty() || t.len() > 2048 {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and 2048",
        ));
    }
    Ok(t)
}

/// Runs an activity, task-token or redrive action.
pub(crate) async fn dispatch(api: &Api, action: Action, req: &Request) -> Result<Value, ApiError> {
    let rt = &api.runtime;
    match action {
        Action::CreateActivity => {
            let name = req.str("name")?;
            let tags = req.tags()?;
            let a = rt.create_activity(name).await?;
            api.put_tags(&a.arn, tags)?;
            Ok(json!({
                "activityArn": a.arn,
                "creationDate": millis_to_epoch(a.created_ms),
            }))
        }
        Action::DescribeActivity => {
            let arn = req.str("activityArn")?;
            arns::parse(arn, &[ArnType::Activity])?;
            let a = rt.describe_activity(arn).await?;
            Ok(activity_json(&a))
        }
        Action::ListActivities => {
            let all: Vec<Value> = rt
                .list_activities()
                .await?
                .iter()
                .map(activity_json)
                .collect();
            page_of(req, "activities", "activities", all)
        }
        Action::DeleteActivity => {
            let arn = req.str("activityArn")?;
            arns::parse(arn, &[ArnType::Activity])?;
            rt.delete_activity(arn).await?;
            api.machines
                .delete_record(super::machines::RecordKind::Tags, arn)?;
            Ok(json!({}))
        }
        Action::GetActivityTask => {
            let arn = req.str("activityArn")?;
            arns::parse(arn, &[ArnType::Activity])?;
            let worker = req.opt_str_max("workerName", 80)?;
            Ok(match rt.get_activity_task(arn, worker).await? {
                Some(t) => json!({"taskToken": t.task_token, "input": t.input}),
                None => json!({}),
            })
        }
        Action::SendTaskSuccess => {
            let t = token(req)?;
            let output = req.str("output")?;
            rt.send_task_success_json(t, output).await?;
            Ok(json!({}))
        }
        Action::SendTaskFailure => {
            let t = token(req)?;
            let error = req.opt_str_max("error", 256)?;
            let cause = req.opt_str_max("cause", 32768)?;
            rt.send_task_failure(t, error, cause).await?;
            Ok(json!({}))
        }
        Action::SendTaskHeartbeat => {
            rt.send_task_heartbeat(token(req)?).await?;
            Ok(json!({}))
        }
        Action::RedriveExecution => {
            let arn = req.str("executionArn")?;
            arns::execution(arn)?;
            let client_token = req.opt_str_max("clientToken", 64)?;
            let now = jiff::Timestamp::now().as_millisecond();
            if let Some(ct) = client_token {
                let tokens = api.redrive_tokens.lock().unwrap_or_else(|p| p.into_inner());
                let seen = tokens
                    .iter()
                    .find(|(a, t, at)| a == arn && t == ct && now - at < REDRIVE_TOKEN_MS);
                if let Some((_, _, at)) = seen {
                    return Ok(json!({ "redriveDate": millis_to_epoch(*at) }));
                }
            }
            let when = rt.redrive(arn).await?.as_millisecond();
            if let Some(ct) = client_token {
                let mut tokens = api.redrive_tokens.lock().unwrap_or_else(|p| p.into_inner());
                tokens.push_back((arn.to_string(), ct.to_string(), when));
                while tokens.len() > REDRIVE_TOKENS {
                    tokens.pop_front();
                }
            }
            Ok(json!({ "redriveDate": millis_to_epoch(when) }))
        }
        other => Err(ApiError::unknown_operation(format!(
            "{} is not an activity, task token or redrive action",
            other.name()
        ))),
    }
}
