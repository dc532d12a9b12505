//! Tags on state machines and activities: TagResource, UntagResource, ListTagsForResource, and
//! `tags` on CreateStateMachine and CreateActivity.

use super::api::Api;
use super::arns::{self, ArnType, Qualifier};
use super::machines::RecordKind;
use super::protocol::{ApiError, Request};
use indexmap::IndexMap;
use serde_json::{json, Value};

/// AWS's limit of tags per resource.
const MAX_TAGS: usize = 50;

/// A resource's tags, in the order they were first set (stored as `[{key, value}]`).
fn stored(api: &Api, arn: &str) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    if let Some(Value::Array(list)) = api.machines.record(RecordKind::Tags, arn) {
        for t in list {
            if let (Some(k), Some(v)) = (t["key"].as_str(), t["value"].as_str()) {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

fn to_record(tags: &IndexMap<String, String>) -> Value {
    tags.iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect()
}

impl Api {
    /// Adds tags to a resource (replacing the values of keys it has); `TooManyTags` beyond 50.
    pub(crate) fn put_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), ApiError> {
        if tags.is_empty() {
            return Ok(());
        }
        let mut all = stored(self, arn);
        all.extend(tags);
        if all.len() > MAX_TAGS {
            return Err(ApiError::new(
                "TooManyTags",
                format!("Too many tags: a resource has at most {MAX_TAGS}: '{arn}'"),
            ));
        }
        self.machines
            .put_record(RecordKind::Tags, arn, to_record(&all))
    }

    /// The resource a tagging action names: a state machine or an activity that exists.
    async fn taggable(&self, arn: &str) -> Result<(), ApiError> {
        let (kind, _) = arns::parse(arn, &[ArnType::StateMachine, ArnType::Activity])?;
        let missing = || ApiError::not_found(format!("Resource not found: '{arn}'"));
        match kind {
            ArnType::StateMachine => {
                let r = arns::machine(arn)?;
                if r.qualifier != Qualifier::Latest || r.test_case.is_some() {
                    return Err(ApiError::invalid_arn(format!(
                        "Invalid Arn: 'Only state machines and activities can be tagged: {arn}'"
                    )));
                }
                self.machine(&r, arn).await.map_err(|_| missing())?;
            }
            _ => {
                self.runtime
                    .describe_activity(arn)
                    .await
                    .map_err(|_| missing())?;
            }
        }
        Ok(())
    }

    pub(crate) async fn tag_resource(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("resourceArn")?;
        req.list("tags")?;
        let tags = req.tags()?;
        self.taggable(arn).await?;
        self.put_tags(arn, tags)?;
        Ok(json!({}))
    }

    pub(crate) async fn untag_resource(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("resourceArn")?;
        let keys = req.str_list("tagKeys")?;
        self.taggable(arn).await?;
        let mut all = stored(self, arn);
        for k in keys {
            all.shift_remove(&k);
        }
        self.machines
            .put_record(RecordKind::Tags, arn, to_record(&all))?;
        Ok(json!({}))
    }

    pub(crate) async fn list_tags_for_resource(&self, req: &Request) -> Result<Value, ApiError> {
        let arn = req.str("resourceArn")?;
        self.taggable(arn).await?;
        Ok(json!({ "tags": to_record(&stored(self, arn)) }))
    }
}
