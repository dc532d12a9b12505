//! State machine versions and aliases: PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, Create/Describe/Update/Delete/ListStateMachineAlias(es), and
//! `publish` on Create/UpdateStateMachine.
//!
//! A version is a frozen copy of a state machine's definition and role, numbered from 1 and never
//! renumbered; the runtime knows it as `Name:N`. An alias routes StartExecution to one or two
//! versions by weight.

use super::api::{now_ms, page_of, Api};
use super::arns::{self, Qualifier};
use super::machines::{MachineRow, RecordKind};
use super::protocol::{millis_to_epoch, ApiError, Request};
use crate::runtime::check_name;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// AWS's limit of versions per state machine.
const MAX_VERSIONS: usize = 1000;
/// AWS's limit of aliases per state machine.
const MAX_ALIASES: usize = 100;

/// A published version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VersionRow {
    pub machine: String,
    pub version: u64,
    pub definition: String,
    pub role_arn: String,
    pub kind: String,
    pub description: Option<String>,
    pub created_ms: i64,
    /// The state machine's revision it was published from.
    pub revision_id: String,
}

impl VersionRow {
    /// The state machine row as of this version.
    pub fn as_row(&self, base: &MachineRow) -> MachineRow {
        MachineRow {
            definition: self.definition.clone(),
            role_arn: self.role_arn.clone(),
            kind: self.kind.clone(),
            created_ms: self.created_ms,
            updated_ms: self.created_ms,
            revision_id: self.revision_id.clone(),
            ..base.clone()
        }
    }
}

/// One route of an alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Route {
    pub state_machine_version_arn: String,
    pub weight: u64,
}

/// An alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AliasRow {
    pub machine: String,
    pub name: String,
    pub description: Option<String>,
    pub routing: Vec<Route>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn decode<T: for<'de> Deserialize<'de>>(v: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::internal(format!("stored {what}: {e}")))
}

fn encode<T: Serialize>(t: &T) -> Result<Value, ApiError> {
    serde_json::to_value(t).map_err(|e| ApiError::internal(e.to_string()))
}

/// A description field (up to 256 characters).
fn description(req: &Request) -> Result<Option<&str>, ApiError> {
    req.opt_str_max("description", 256)
}

impl Api {
    fn versions_of(&self, machine: &str) -> Result<Vec<VersionRow>, ApiError> {
        let mut out: Vec<VersionRow> = Vec::new();
        for (_, v) in self.machines.records_of(RecordKind::Version) {
            let row: VersionRow = decode(v, "version")?;
            if row.machine == machine {
                out.push(row);
            }
        }
        out.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(out)
    }

    fn aliases_of(&self, machine: &str) -> Result<Vec<AliasRow>, ApiError> {
        let mut out: Vec<AliasRow> = Vec::new();
        for (_, v) in self.machines.records_of(RecordKind::Alias) {
            let row: AliasRow = decode(v, "alias")?;
            if row.machine == machine {
                out.push(row);
            }
        }
        out.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Version `v` of a state machine; `ResourceNotFound` naming `arn` otherwise.
    pub(crate) fn version(&self, machine: &str, v: u64, arn: &str) -> Result<VersionRow, ApiError> {
        match self
            .machines
            .record(RecordKind::Version, &arns::version_arn(machine, v))
        {
            Some(row) => decode(row, "version"),
            None => Err(ApiError::not_found(format!(
                "State Machine Version Does Not Exist: '{arn}'"
            ))),
        }
    }

    /// An alias of a state machine; `ResourceNotFound` naming `arn` otherwise.
    pub(crate) fn alias(&self, machine: &str, name: &str, arn: &str) -> Result<AliasRow, ApiError> {
        match self
            .machines
            .record(RecordKind::Alias, &arns::alias_arn(machine, name))
        {
            Some(row) => decode(row, "alias"),
            None => Err(ApiError::not_found(format!(
                "State Machine Alias Does Not Exist: '{arn}'"
            ))),
        }
    }

    /// The version an execution started through an alias runs: drawn by the routes' weights.
    pub(crate) fn pick_alias_version(
        &self,
        machine: &str,
        alias: &str,
        arn: &str,
    ) -> Result<u64, ApiError> {
        let row = self.alias(machine, alias, arn)?;
        let draw = fastrand::u64(0..100);
        let mut acc = 0;
        let mut chosen = &row.routing[0];
        for route in &row.routing {
            acc += route.weight;
            if draw < acc {
                chosen = route;
                break;
            }
        }
        match arns::machine(&chosen.state_machine_version_arn)?.qualifier {
            Qualifier::Version(v) => Ok(v),
            _ => Err(ApiError::internal(format!(
                "alias `{alias}` routes to `{}`, which is not a version",
                chosen.state_machine_version_arn
            ))),
        }
    }

    /// Registers a stored version with the runtime (`Name:N`, and its mocked variants).
    pub(crate) fn register_version(&self, v: &VersionRow) -> Result<(), ApiError> {
        self.register_variants(
            &format!("{}:{}", v.machine, v.version),
            &v.machine,
            &v.definition,
            &v.role_arn,
        )
    }

    /// Registers every stored version (at start).
    pub(crate) fn register_versions(&self) -> Result<(), ApiError> {
        for (_, v) in self.machines.records_of(RecordKind::Version) {
            self.register_version(&decode(v, "version")?)?;
        }
        Ok(())
    }

    /// Publishes the state machine's current revision as a version, or returns the version
    /// already published from it; `revision_id`, when given, must be the current revision.
    pub(crate) fn publish_version(
        &self,
        row: &MachineRow,
        description: Option<&str>,
        revision_id: Option<&str>,
    ) -> Result<String, ApiError> {
        if revision_id.is_some_and(|r| r != row.revision_id) {
            return Err(ApiError::conflict(format!(
                "The revisionId '{}' is not the state machine's latest revision '{}'",
                revision_id.unwrap_or_default(),
                row.revision_id
            )));
        }
        let versions = self.versions_of(&row.name)?;
        if let Some(latest) = versions.first() {
            if latest.revision_id == row.revision_id {
                if description.is_some() && latest.description.as_deref() != description {
                    return Err(ApiError::conflict(format!(
                        "Version {} was published from this revision with another description",
                        latest.version
                    )));
                }
                return Ok(arns::version_arn(&row.name, latest.version));
            }
        }
        if versions.len() >= MAX_VERSIONS {
            return Err(ApiError::new(
                "ServiceQuotaExceededException",
                format!(
                    "State machine '{}' has {MAX_VERSIONS} versions, the most allowed",
                    row.name
                ),
            ));
        }
        let last = self
            .machines
            .record(RecordKind::VersionCounter, &row.name)
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        let v = VersionRow {
            machine: row.name.clone(),
            version: last + 1,
            definition: row.definition.clone(),
            role_arn: row.role_arn.clone(),
            kind: row.kind.clone(),
            description: description.map(str::to_string),
            created_ms: now_ms(),
            revision_id: row.revision_id.clone(),
        };
        let arn = arns::version_arn(&row.name, v.version);
        self.register_version(&v)?;
        self.machines
            .put_record(RecordKind::VersionCounter, &row.name, json!(v.version))?;
        self.machines
            .put_record(RecordKind::Version, &arn, encode(&v)?)?;
        Ok(arn)
    }

    /// Drops a state machine's versions and aliases (with the state machine).
    pub(crate) fn delete_versions_and_aliases(&self, machine: &str) -> Result<(), ApiError> {
        for a in self.aliases_of(machine)? {
            self.machines
                .delete_record(RecordKind::Alias, &arns::alias_arn(machine, &a.name))?;
        }
        for v in self.versions_of(machine)? {
            self.runtime.unregister(&format!("{machine}:{}", v.version));
            self.machines
                .delete_record(RecordKind::Version, &arns::version_arn(machine, v.version))?;
        }
        self.machines
            .delete_record(RecordKind::VersionCounter, machine)?;
        Ok(())
    }

    pub(crate) async fn publish_state_machine_version(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let description = description(req)?;
        let revision = req.opt_str("revisionId")?;
        let r = arns::machine(arn)?;
        if r.qualifier != Qualifier::Latest {
            return Err(ApiError::validation(format!(
                "'{arn}' names a version or an alias; publish from the state machine's ARN"
            )));
        }
        let row = self.machine(&r, arn).await?;
        let version_arn = self.publish_version(&row, description, revision)?;
        let created = match arns::machine(&version_arn)?.qualifier {
            Qualifier::Version(v) => self.version(&row.name, v, &version_arn)?.created_ms,
            _ => now_ms(),
        };
        Ok(json!({
            "stateMachineVersionArn": version_arn,
            "creationDate": millis_to_epoch(created),
        }))
    }

    pub(crate) async fn list_state_machine_versions(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = arns::machine(arn)?;
        let row = self.machine(&r, arn).await?;
        let items: Vec<Value> = self
            .versions_of(&row.name)?
            .into_iter()
            .map(|v| {
                json!({
                    "stateMachineVersionArn": arns::version_arn(&row.name, v.version),
                    "creationDate": millis_to_epoch(v.created_ms),
                })
            })
            .collect();
        page_of(req, "versions", "stateMachineVersions", items)
    }

    pub(crate) async fn delete_state_machine_version(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineVersionArn")?;
        let r = arns::machine(arn)?;
        let Qualifier::Version(v) = r.qualifier else {
            return Err(ApiError::invalid_arn(format!(
                "Invalid Arn: 'Not a state machine version ARN: {arn}'"
            )));
        };
        if self.version(&r.name, v, arn).is_err() {
            return Ok(json!({}));
        }
        let version_arn = arns::version_arn(&r.name, v);
        for a in self.aliases_of(&r.name)? {
            if a.routing
                .iter()
                .any(|route| route.state_machine_version_arn == version_arn)
            {
                return Err(ApiError::conflict(format!(
                    "Version '{version_arn}' is referenced by alias '{}'; update or delete the alias first",
                    arns::alias_arn(&r.name, &a.name)
                )));
            }
        }
        self.runtime.unregister(&format!("{}:{v}", r.name));
        self.machines
            .delete_record(RecordKind::Version, &version_arn)?;
        Ok(json!({}))
    }

    /// A request's `routingConfiguration`: one or two versions of `machine`, weights 0–100
    /// summing to 100.
    fn routing(&self, req: &Request, machine: Option<&str>) -> Result<Vec<Route>, ApiError> {
        let list = req.list("routingConfiguration")?;
        if list.is_empty() || list.len() > 2 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2",
            ));
        }
        let mut routes: Vec<Route> = Vec::new();
        let mut first_machine: Option<String> = None;
        for (i, item) in list.iter().enumerate() {
            let route: Route = serde_json::from_value(item.clone()).map_err(|e| {
                ApiError::validation(format!(
                    "routingConfiguration[{i}]: needs stateMachineVersionArn and weight: {e}"
                ))
            })?;
            if route.weight > 100 {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{}' at 'routingConfiguration.{}.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100",
                    route.weight,
                    i + 1
                )));
            }
            let vr = arns::machine(&route.state_machine_version_arn)?;
            let Qualifier::Version(v) = vr.qualifier else {
                return Err(ApiError::invalid_arn(format!(
                    "Invalid Arn: 'Not a state machine version ARN: {}'",
                    route.state_machine_version_arn
                )));
            };
            let first = first_machine.get_or_insert_with(|| vr.name.clone());
            if machine.is_some_and(|m| m != vr.name) || *first != vr.name {
                return Err(ApiError::validation(
                    "Routing configuration must contain versions of the same state machine",
                ));
            }
            if routes
                .iter()
                .any(|r| r.state_machine_version_arn == route.state_machine_version_arn)
            {
                return Err(ApiError::validation(
                    "Routing configuration must contain distinct versions",
                ));
            }
            self.version(&vr.name, v, &route.state_machine_version_arn)?;
            routes.push(route);
        }
        if routes.iter().map(|r| r.weight).sum::<u64>() != 100 {
            return Err(ApiError::validation(
                "The weights of the routing configuration must add up to 100",
            ));
        }
        Ok(routes)
    }

    fn alias_json(a: &AliasRow) -> Value {
        let mut out = json!({
            "stateMachineAliasArn": arns::alias_arn(&a.machine, &a.name),
            "name": a.name,
            "routingConfiguration": a.routing,
            "creationDate": millis_to_epoch(a.created_ms),
            "updateDate": millis_to_epoch(a.updated_ms),
        });
        if let Some(d) = &a.description {
            out["description"] = json!(d);
        }
        out
    }

    /// An alias ARN's state machine and alias name.
    fn alias_ref(arn: &str) -> Result<(String, String), ApiError> {
        let r = arns::machine(arn)?;
        match r.qualifier {
            Qualifier::Alias(a) if r.test_case.is_none() => Ok((r.name, a)),
            _ => Err(ApiError::invalid_arn(format!(
                "Invalid Arn: 'Not a state machine alias ARN: {arn}'"
            ))),
        }
    }

    pub(crate) async fn create_state_machine_alias(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let name = req.str("name")?;
        check_name(name)?;
        if name.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::validation(format!(
                "Invalid alias name '{name}': an alias name cannot be only digits (those name versions)"
            )));
        }
        let description = description(req)?;
        let routing = self.routing(req, None)?;
        let machine = arns::machine(&routing[0].state_machine_version_arn)?.name;
        let arn = arns::alias_arn(&machine, name);
        if let Some(existing) = self.machines.record(RecordKind::Alias, &arn) {
            let existing: AliasRow = decode(existing, "alias")?;
            if existing.routing == routing && existing.description.as_deref() == description {
                return Ok(json!({
                    "stateMachineAliasArn": arn,
                    "creationDate": millis_to_epoch(existing.created_ms),
                }));
            }
            return Err(ApiError::conflict(format!(
                "Alias '{arn}' exists with another configuration"
            )));
        }
        if self.aliases_of(&machine)?.len() >= MAX_ALIASES {
            return Err(ApiError::new(
                "ServiceQuotaExceededException",
                format!("State machine '{machine}' has {MAX_ALIASES} aliases, the most allowed"),
            ));
        }
        let now = now_ms();
        let row = AliasRow {
            machine,
            name: name.to_string(),
            description: description.map(str::to_string),
            routing,
            created_ms: now,
            updated_ms: now,
        };
        self.machines
            .put_record(RecordKind::Alias, &arn, encode(&row)?)?;
        Ok(json!({
            "stateMachineAliasArn": arn,
            "creationDate": millis_to_epoch(now),
        }))
    }

    pub(crate) async fn describe_state_machine_alias(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineAliasArn")?;
        let (machine, name) = Self::alias_ref(arn)?;
        Ok(Self::alias_json(&self.alias(&machine, &name, arn)?))
    }

    pub(crate) async fn update_state_machine_alias(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineAliasArn")?;
        let (machine, name) = Self::alias_ref(arn)?;
        let description = description(req)?;
        let has_routing = req
            .0
            .get("routingConfiguration")
            .is_some_and(|v| !v.is_null());
        if description.is_none() && !has_routing {
            return Err(ApiError::validation(
                "Either the description or the routingConfiguration must be specified",
            ));
        }
        let routing = if has_routing {
            Some(self.routing(req, Some(&machine))?)
        } else {
            None
        };
        let mut row = self.alias(&machine, &name, arn)?;
        if let Some(d) = description {
            row.description = Some(d.to_string());
        }
        if let Some(r) = routing {
            row.routing = r;
        }
        row.updated_ms = now_ms();
        self.machines.put_record(
            RecordKind::Alias,
            &arns::alias_arn(&machine, &name),
            encode(&row)?,
        )?;
        Ok(json!({ "updateDate": millis_to_epoch(row.updated_ms) }))
    }

    pub(crate) async fn delete_state_machine_alias(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineAliasArn")?;
        let (machine, name) = Self::alias_ref(arn)?;
        self.alias(&machine, &name, arn)?;
        self.machines
            .delete_record(RecordKind::Alias, &arns::alias_arn(&machine, &name))?;
        Ok(json!({}))
    }

    pub(crate) async fn list_state_machine_aliases(
        &self,
        req: &Request,
    ) -> Result<Value, ApiError> {
        let arn = req.str("stateMachineArn")?;
        let r = arns::machine(arn)?;
        if matches!(r.qualifier, Qualifier::Alias(_)) {
            return Err(ApiError::invalid_arn(format!(
                "Invalid Arn: 'Resource type not valid in this context: {arn}'"
            )));
        }
        let row = self.machine(&r, arn).await?;
        let routes_to = match r.qualifier {
            Qualifier::Version(v) => {
                self.version(&row.name, v, arn)?;
                Some(arns::version_arn(&row.name, v))
            }
            _ => None,
        };
        let items: Vec<Value> = self
            .aliases_of(&row.name)?
            .into_iter()
            .filter(|a| {
                routes_to.as_ref().is_none_or(|v| {
                    a.routing
                        .iter()
                        .any(|route| &route.state_machine_version_arn == v)
                })
            })
            .map(|a| {
                json!({
                    "stateMachineAliasArn": arns::alias_arn(&a.machine, &a.name),
                    "creationDate": millis_to_epoch(a.created_ms),
                })
            })
            .collect();
        page_of(req, "aliases", "stateMachineAliases", items)
    }
}
