//! A deployable AWS SAM template for a workflow: the state machine (its ASL with
//! `DefinitionSubstitutions` for every `${…}` placeholder), one Lambda function per Rust handler
//! (a binary named after the handler serving it with `stepfn::lambda::serve`, built by
//! `cargo lambda build` into `target/lambda/<handler>/`),
//! a least-privilege execution role derived from the definition, and a log group.
//!
//! What `stepfn template` prints, and what build scripts call ([`for_workflow`]). Deploy with
//! `sam deploy` (or `aws cloudformation package` + `deploy`).
//!
//! The role allows exactly: `lambda:InvokeFunction` on the functions the definition invokes
//! (its handlers, literal function ARNs, `lambda:invoke`'s literal `FunctionName`, else every
//! function), the action each other service integration names (`sqs:sendMessage` →
//! `sqs:SendMessage`, `aws-sdk:s3:getObject` → `s3:GetObject`) on any resource, and the log
//! delivery actions Step Functions logging needs. Activities need no permission of the state
//! machine (workers call `GetActivityTask`), so none is granted.

use crate::workflow::Workflow;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// `STANDARD` or `EXPRESS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum StateMachineType {
    /// Durable, exactly-once, up to a year.
    #[default]
    Standard,
    /// High-volume, at-least-once, up to five minutes.
    Express,
}

/// The functions' instruction set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Architecture {
    /// Graviton (`cargo lambda build --arm64`).
    #[default]
    Arm64,
    /// `cargo lambda build --x86-64`.
    #[cfg_attr(feature = "cli", value(name = "x86_64"))]
    X86_64,
}

/// How the template is made.
#[derive(Debug, Clone)]
pub struct Options {
    /// Standard or Express.
    pub kind: StateMachineType,
    /// The functions' architecture.
    pub architecture: Architecture,
    /// The directory where cargo-lambda puts each handler binary's `bootstrap`
    /// (`<code_uri><handler>/bootstrap`), relative to the template file.
    pub code_uri: String,
    /// The functions' memory, in MB.
    pub memory_mb: u32,
    /// The functions' timeout, in seconds.
    pub timeout_seconds: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            kind: StateMachineType::Standard,
            architecture: Architecture::Arm64,
            code_uri: "target/lambda/".into(),
            memory_mb: 128,
            timeout_seconds: 30,
        }
    }
}

/// Why no template could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `${name}` placeholder in the definition is not one of the handlers.
    UnknownPlaceholder {
        /// The placeholder's name.
        name: String,
        /// Where it is, e.g. `States.Charge.Resource`.
        location: String,
    },
    /// A handler is named but the definition never uses it.
    UnusedHandler(String),
    /// Two handlers, or a handler and the state machine, would get the same logical id.
    LogicalIdClash(String),
    /// The definition is not an ASL object with `States`.
    NotADefinition,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownPlaceholder { name, location } => write!(
                f,
                "{location}: the placeholder `${{{name}}}` is not a handler (handlers are given with --handler, or are the `${{…}}` Task resources)"
            ),
            Self::UnusedHandler(h) => write!(f, "the handler `{h}` is not used by the definition"),
            Self::LogicalIdClash(id) => {
                write!(f, "two resources would have the logical id `{id}`; rename a handler")
            }
            Self::NotADefinition => write!(f, "the definition is not an object with `States`"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// The template of a `workflow!`: its handlers are its Rust task handlers.
pub fn for_workflow<W: Workflow>(options: &Options) -> Result<Value, TemplateError> {
    let asl: Value = serde_json::from_str(W::ASL).map_err(|_| TemplateError::NotADefinition)?;
    let handlers = handlers_in(&asl);
    template(W::NAME, &asl, &handlers, options)
}

/// The handler names of a definition: the `${name}` Task resources, sorted, without repeats.
pub fn handlers_in(asl: &Value) -> Vec<String> {
    let mut names: Vec<String> = tasks(asl)
        .into_iter()
        .filter_map(|(_, t)| placeholder(t.get("Resource")?.as_str()?).map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The template of the definition `asl` named `name`, whose `handlers` are served as Lambda
/// functions.
pub fn template(
    name: &str,
    asl: &Value,
    handlers: &[String],
    options: &Options,
) -> Result<Value, TemplateError> {
    if asl.get("States").and_then(Value::as_object).is_none() {
        return Err(TemplateError::NotADefinition);
    }
    let machine_id = logical_id(name, "StateMachine");
    let mut functions: BTreeMap<&str, String> = BTreeMap::new();
    for h in handlers {
        let id = logical_id(h, "Function");
        if functions.values().any(|v| *v == id) || id == machine_id {
            return Err(TemplateError::LogicalIdClash(id));
        }
        functions.insert(h, id);
    }
    let mut used = Vec::new();
    placeholders(asl, "", &mut used);
    for (p, location) in &used {
        if !functions.contains_key(p.as_str()) {
            return Err(TemplateError::UnknownPlaceholder {
                name: p.clone(),
                location: location.clone(),
            });
        }
    }
    if let Some(h) = handlers.iter().find(|h| !used.iter().any(|(p, _)| p == *h)) {
        return Err(TemplateError::UnusedHandler(h.clone()));
    }

    let arn = |id: &str| json!({"Fn::GetAtt": [id, "Arn"]});
    let mut resources = Map::new();
    for (h, id) in &functions {
        resources.insert(
            id.clone(),
            json!({
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": format!("{}{h}/", options.code_uri),
                    "Handler": "bootstrap",
                    "Runtime": "provided.al2023",
                    "Architectures": [match options.architecture {
                        Architecture::Arm64 => "arm64",
                        Architecture::X86_64 => "x86_64",
                    }],
                    "MemorySize": options.memory_mb,
                    "Timeout": options.timeout_seconds,
                },
            }),
        );
    }
    let role_id = format!("{machine_id}Role");
    let logs_id = format!("{machine_id}Logs");
    resources.insert(
        logs_id.clone(),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 14}}),
    );
    resources.insert(
        role_id.clone(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }],
                },
                "Policies": [{
                    "PolicyName": "StateMachine",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": statements(asl, &functions),
                    },
                }],
            },
        }),
    );
    let substitutions: Map<String, Value> = functions
        .iter()
        .map(|(h, id)| ((*h).to_string(), arn(id)))
        .collect();
    let mut machine = json!({
        "StateMachineType": match options.kind {
            StateMachineType::Standard => "STANDARD",
            StateMachineType::Express => "EXPRESS",
        },
        "Definition": asl,
        "RoleArn": arn(&role_id),
        "LoggingConfiguration": {
            "Level": "ALL",
            "IncludeExecutionData": true,
            "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": arn(&logs_id)}}],
        },
    });
    if !substitutions.is_empty() {
        machine["DefinitionSubstitutions"] = Value::Object(substitutions);
    }
    resources.insert(
        machine_id.clone(),
        json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": machine}),
    );
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": format!("{name}: a stepfn workflow and its Rust handlers as Lambda functions"),
        "Resources": resources,
        "Outputs": {
            "StateMachineArn": {"Value": {"Ref": machine_id}},
        },
    }))
}

/// The execution role's statements (see the module documentation).
fn statements(asl: &Value, functions: &BTreeMap<&str, String>) -> Vec<Value> {
    let mut invoke: Vec<Value> = Vec::new();
    let mut actions: Vec<String> = Vec::new();
    let push = |list: &mut Vec<Value>, v: Value| {
        if !list.contains(&v) {
            list.push(v);
        }
    };
    for (_, task) in tasks(asl) {
        let Some(resource) = task.get("Resource").and_then(Value::as_str) else {
            continue;
        };
        let function = |reference: &str| match placeholder(reference) {
            Some(h) => functions
                .get(h)
                .map(|id| json!({"Fn::GetAtt": [id, "Arn"]})),
            None if reference.starts_with("arn:") => Some(Value::String(reference.into())),
            None => Some(json!({"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{reference}"
            )})),
        };
        if resource.starts_with("arn:aws:lambda:") || placeholder(resource).is_some() {
            if let Some(f) = function(resource) {
                push(&mut invoke, f);
            }
        } else if let Some(integration) = resource.strip_prefix("arn:aws:states:::") {
            let base = integration.split('.').next().unwrap_or(integration);
            if base == "lambda:invoke" {
                let named = task
                    .get("Parameters")
                    .and_then(|p| p.get("FunctionName"))
                    .and_then(Value::as_str)
                    .and_then(function);
                push(&mut invoke, named.unwrap_or_else(|| json!("*")));
            } else if let Some(action) = iam_action(base) {
                if !actions.contains(&action) {
                    actions.push(action);
                }
            }
        }
    }
    let mut out = Vec::new();
    if invoke.contains(&json!("*")) {
        invoke = vec![json!("*")];
    }
    if !invoke.is_empty() {
        out.push(json!({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": invoke}));
    }
    if !actions.is_empty() {
        out.push(json!({"Effect": "Allow", "Action": actions, "Resource": "*"}));
    }
    out.push(json!({
        "Effect": "Allow",
        "Action": [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        "Resource": "*",
    }));
    out
}

/// `sqs:SendMessage` for `sqs:sendMessage`, `s3:GetObject` for `aws-sdk:s3:getObject`.
fn iam_action(integration: &str) -> Option<String> {
    let integration = integration.strip_prefix("aws-sdk:").unwrap_or(integration);
    let (service, action) = integration.split_once(':')?;
    let mut chars = action.chars();
    let first = chars.next()?.to_ascii_uppercase();
    Some(format!("{service}:{first}{}", chars.as_str()))
}

/// Every Task state, at any depth (Parallel branches, Map processors), with its location.
fn tasks(asl: &Value) -> Vec<(String, &Map<String, Value>)> {
    fn walk<'a>(scope: &'a Value, at: &str, out: &mut Vec<(String, &'a Map<String, Value>)>) {
        let Some(states) = scope.get("States").and_then(Value::as_object) else {
            return;
        };
        for (name, state) in states {
            let Some(state) = state.as_object() else {
                continue;
            };
            let here = format!("{at}States.{name}");
            if state.get("Type").and_then(Value::as_str) == Some("Task") {
                out.push((here.clone(), state));
            }
            for (i, b) in state
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                walk(b, &format!("{here}.Branches[{i}]."), out);
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = state.get(key) {
                    walk(p, &format!("{here}.{key}."), out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(asl, "", &mut out);
    out
}

/// Every `${name}` in the definition's strings, with its location.
fn placeholders(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                let Some(j) = rest[i..].find('}') else { break };
                out.push((rest[i + 2..i + j].to_string(), at.to_string()));
                rest = &rest[i + j + 1..];
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                placeholders(x, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                placeholders(x, &here, out);
            }
        }
        _ => {}
    }
}

/// Applies `DefinitionSubstitutions` as Step Functions does: every `${NAME}` in the definition's
/// text becomes the value. Fails on a substitution that the definition never uses.
pub fn substitute(definition: &str, substitutions: &[(String, String)]) -> Result<String, String> {
    let mut text = definition.to_string();
    for (name, value) in substitutions {
        let key = format!("${{{name}}}");
        if !text.contains(&key) {
            return Err(format!(
                "the substitution `{name}` is not used by the definition"
            ));
        }
        // The value lands inside a JSON string: escape it as one.
        let escaped = serde_json::to_string(value).unwrap_or_default();
        text = text.replace(&key, &escaped[1..escaped.len() - 1]);
    }
    Ok(text)
}

/// `charge` for `${charge}`.
fn placeholder(resource: &str) -> Option<&str> {
    resource.strip_prefix("${")?.strip_suffix('}')
}

/// A CloudFormation logical id (alphanumeric): `book_flight` → `BookFlightFunction`.
fn logical_id(name: &str, suffix: &str) -> String {
    let mut id = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id.push_str(suffix);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> Value {
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "${book_flight}", "Next": "P"},
            "P": {"Type": "Parallel", "Next": "Q", "Branches": [{"StartAt": "B", "States": {
                "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}]},
            "Q": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "${charge}", "Payload.$": "$"}, "Next": "D"},
                "D": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Next": "E"},
                "E": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:1:activity:review", "End": true}}}}
        }})
    }

    #[test]
    fn role_is_derived_from_the_definition() {
        let handlers = vec!["book_flight".to_string(), "charge".to_string()];
        assert_eq!(handlers_in(&definition()), ["book_flight"]);
        let t = template("Trip", &definition(), &handlers, &Options::default()).unwrap();
        let r = &t["Resources"];
        assert_eq!(
            r["TripStateMachine"]["Properties"]["DefinitionSubstitutions"],
            json!({"book_flight": {"Fn::GetAtt": ["BookFlightFunction", "Arn"]},
                   "charge": {"Fn::GetAtt": ["ChargeFunction", "Arn"]}})
        );
        let s =
            &r["TripStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(
            s[0],
            json!({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [
                {"Fn::GetAtt": ["BookFlightFunction", "Arn"]}, {"Fn::GetAtt": ["ChargeFunction", "Arn"]}]})
        );
        assert_eq!(s[1]["Action"], json!(["sqs:SendMessage", "s3:GetObject"]));
        assert_eq!(s.as_array().unwrap().len(), 3, "{s}");
        assert_eq!(
            r["ChargeFunction"]["Properties"]["CodeUri"],
            "target/lambda/charge/"
        );
    }

    #[test]
    fn placeholders_and_handlers_must_match() {
        let only = vec!["book_flight".to_string()];
        let e = template("Trip", &definition(), &only, &Options::default()).unwrap_err();
        assert_eq!(
            e,
            TemplateError::UnknownPlaceholder {
                name: "charge".into(),
                location: "States.Q.ItemProcessor.States.C.Parameters.FunctionName".into()
            }
        );
        let extra = vec!["book_flight".into(), "charge".into(), "refund".into()];
        let e = template("Trip", &definition(), &extra, &Options::default()).unwrap_err();
        assert_eq!(e, TemplateError::UnusedHandler("refund".into()));
        let clash = vec!["a_b".into(), "aB".into()];
        let d = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "${a_b}", "Next": "B"},
            "B": {"Type": "Task", "Resource": "${aB}", "End": true}}});
        let e = template("T", &d, &clash, &Options::default()).unwrap_err();
        assert_eq!(e, TemplateError::LogicalIdClash("ABFunction".into()));
    }

    #[test]
    fn substitutions_fill_placeholders_and_must_be_used() {
        let d = r#"{"Resource": "${charge}", "Comment": "${charge} and ${x}"}"#;
        let subs = vec![("charge".to_string(), "arn:\"q\"".to_string())];
        let out = substitute(d, &subs).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Resource"], "arn:\"q\"");
        assert_eq!(v["Comment"], "arn:\"q\" and ${x}");
        let e = substitute(d, &[("ship".into(), "a".into())]).unwrap_err();
        assert!(e.contains("`ship` is not used"), "{e}");
    }

    #[test]
    fn unnamed_invoke_targets_allow_every_function() {
        let d = json!({"StartAt": "A", "States": {"A": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName.$": "$.f"}, "End": true}}});
        let t = template("T", &d, &[], &Options::default()).unwrap();
        let s = &t["Resources"]["TStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
            ["Statement"][0];
        assert_eq!(s["Resource"], json!(["*"]));
        assert!(t["Resources"]["TStateMachine"]["Properties"]
            .get("DefinitionSubstitutions")
            .is_none());
    }
}
