//! The server's state machines (CreateStateMachine …) and what hangs off them (versions, aliases,
//! tags, Map run settings): kept in memory and, with a database, in tables of their own in the
//! same SQLite file, or, on PostgreSQL, state machines as documents of the shared store (so every
//! `serve` process of one database answers with the same state machines).
//!
//! The runtime's [`Store`](crate::store::Store) keeps executions, not definitions, and belongs to
//! the execution engine; so this table (`stepfn_server_state_machines`) is written through a
//! separate connection to the same file (WAL lets it sit beside the store's writer). On start the
//! server reads it back and registers every state machine with the runtime before resuming the
//! RUNNING executions.
//!
//! Persistence is a few functions (`open`, [`Machines::put`], [`Machines::delete`],
//! [`Machines::put_record`], [`Machines::delete_record`]); everything but the state machine rows is
//! one JSON document per `(kind, key)` in `stepfn_server_records`.

use super::protocol::ApiError;
use crate::store::{Location, Store, StoreError};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One state machine as DescribeStateMachine shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineRow {
    /// The name (also the key).
    pub name: String,
    /// The definition text, as given.
    pub definition: String,
    /// The role ARN, as given.
    pub role_arn: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Last update time, Unix milliseconds.
    pub updated_ms: i64,
    /// Changes with every update.
    pub revision_id: String,
    /// The `loggingConfiguration` object as given (JSON text), if any.
    pub logging: Option<String>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS stepfn_server_state_machines(
  name TEXT PRIMARY KEY, definition TEXT NOT NULL, role_arn TEXT NOT NULL, kind TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, revision_id TEXT NOT NULL,
  logging TEXT);
CREATE TABLE IF NOT EXISTS stepfn_server_records(
  kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(kind, key));
";

/// What a row of `stepfn_server_records` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RecordKind {
    /// A published state machine version (key: its ARN).
    Version,
    /// The last version number given out for a state machine (key: its name).
    VersionCounter,
    /// A state machine alias (key: its ARN).
    Alias,
    /// A resource's tags (key: its ARN).
    Tags,
    /// The alias an execution was started through (key: the execution ARN).
    ExecutionAlias,
    /// UpdateMapRun's settings (key: the Map run ARN).
    MapRun,
    /// A state machine deleted while executions of it run (key: its name).
    Deleting,
}

impl RecordKind {
    const ALL: [RecordKind; 7] = [
        RecordKind::Version,
        RecordKind::VersionCounter,
        RecordKind::Alias,
        RecordKind::Tags,
        RecordKind::ExecutionAlias,
        RecordKind::MapRun,
        RecordKind::Deleting,
    ];

    fn as_str(self) -> &'static str {
        match self {
            RecordKind::Version => "version",
            RecordKind::VersionCounter => "version_counter",
            RecordKind::Alias => "alias",
            RecordKind::Tags => "tags",
            RecordKind::ExecutionAlias => "execution_alias",
            RecordKind::MapRun => "map_run",
            RecordKind::Deleting => "deleting",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

type Records = BTreeMap<(RecordKind, String), Value>;

/// The table: an ordered in-memory copy, written through to SQLite when there is a file, or to
/// the shared store (and read back from it) on PostgreSQL.
pub struct Machines {
    rows: Mutex<IndexMap<String, MachineRow>>,
    records: Mutex<Records>,
    db: Option<Mutex<rusqlite::Connection>>,
    shared: Option<Arc<dyn Store>>,
}

/// The document kind of a state machine in a shared store.
const DOCUMENT: &str = "state-machine";

impl MachineRow {
    fn to_document(&self) -> String {
        serde_json::json!({
            "name": self.name, "definition": self.definition, "roleArn": self.role_arn,
            "type": self.kind, "createdMs": self.created_ms, "updatedMs": self.updated_ms,
            "revisionId": self.revision_id, "logging": self.logging,
        })
        .to_string()
    }

    fn from_document(text: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Self {
            name: s("name")?,
            definition: s("definition")?,
            role_arn: s("roleArn")?,
            kind: s("type")?,
            created_ms: v.get("createdMs")?.as_i64()?,
            updated_ms: v.get("updatedMs")?.as_i64()?,
            revision_id: s("revisionId")?,
            logging: s("logging"),
        })
    }
}

/// The document kind of a server record in a shared store.
fn record_document(kind: RecordKind) -> String {
    format!("server-{}", kind.as_str())
}

/// Runs a store call from the synchronous table API (a multi-threaded tokio runtime only).
fn blocking<T>(f: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, ApiError> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| ApiError::internal("state machine table: no tokio runtime".to_string()))?;
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return Err(ApiError::internal(
            "state machine table: a shared database needs a multi-threaded tokio runtime"
                .to_string(),
        ));
    }
    tokio::task::block_in_place(|| handle.block_on(f))
        .map_err(|e| ApiError::internal(format!("state machine table: {e}")))
}

impl std::fmt::Debug for Machines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machines").finish_non_exhaustive()
    }
}

fn db_err(e: rusqlite::Error) -> ApiError {
    ApiError::internal(format!("state machine table: {e}"))
}

impl Machines {
    /// A table in memory only.
    pub fn in_memory() -> Self {
        Self {
            rows: Mutex::new(IndexMap::new()),
            records: Mutex::new(Records::new()),
            db: None,
            shared: None,
        }
    }

    /// The table for the database at `path`: the SQLite file's own table, or, for a
    /// `postgres://` URL, the documents of `store` (the runtime's store on that URL).
    pub fn open_for(path: &Path, store: &Arc<dyn Store>) -> Result<Self, ApiError> {
        match Location::parse(path) {
            Location::Sqlite(file) => Self::open(&file),
            Location::Postgres(_) => {
                let table = Self {
                    rows: Mutex::new(IndexMap::new()),
                    records: Mutex::new(Records::new()),
                    db: None,
                    shared: Some(store.clone()),
                };
                table.refresh()?;
                Ok(table)
            }
        }
    }

    /// Reads the shared store's rows again (other processes create and delete them too).
    fn refresh(&self) -> Result<(), ApiError> {
        let Some(store) = &self.shared else {
            return Ok(());
        };
        let mut rows: Vec<MachineRow> = blocking(store.documents(DOCUMENT))?
            .iter()
            .filter_map(|(_, body)| MachineRow::from_document(body))
            .collect();
        rows.sort_by(|a, b| (a.created_ms, &a.name).cmp(&(b.created_ms, &b.name)));
        *self.lock() = rows.into_iter().map(|r| (r.name.clone(), r)).collect();
        Ok(())
    }

    /// The table in the SQLite file at `path`, with the rows it already holds.
    pub fn open(path: &Path) -> Result<Self, ApiError> {
        let conn = rusqlite::Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        let mut rows = IndexMap::new();
        {
            let mut stmt = conn
                .prepare(
                    "SELECT name, definition, role_arn, kind, created_ms, updated_ms, revision_id, logging
                     FROM stepfn_server_state_machines ORDER BY created_ms, name",
                )
                .map_err(db_err)?;
            let it = stmt
                .query_map([], |r| {
                    Ok(MachineRow {
                        name: r.get(0)?,
                        definition: r.get(1)?,
                        role_arn: r.get(2)?,
                        kind: r.get(3)?,
                        created_ms: r.get(4)?,
                        updated_ms: r.get(5)?,
                        revision_id: r.get(6)?,
                        logging: r.get(7)?,
                    })
                })
                .map_err(db_err)?;
            for row in it {
                let row = row.map_err(db_err)?;
                rows.insert(row.name.clone(), row);
            }
        }
        let mut records = Records::new();
        {
            let mut stmt = conn
                .prepare("SELECT kind, key, body FROM stepfn_server_records")
                .map_err(db_err)?;
            let it = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(db_err)?;
            for row in it {
                let (kind, key, body) = row.map_err(db_err)?;
                let bad = |what: &str| {
                    ApiError::internal(format!("stepfn_server_records row ({kind}, {key}): {what}"))
                };
                let k = RecordKind::parse(&kind).ok_or_else(|| bad("unknown kind"))?;
                let v = serde_json::from_str(&body).map_err(|e| bad(&e.to_string()))?;
                records.insert((k, key), v);
            }
        }
        Ok(Self {
            rows: Mutex::new(rows),
            records: Mutex::new(records),
            db: Some(Mutex::new(conn)),
            shared: None,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexMap<String, MachineRow>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One row.
    pub fn get(&self, name: &str) -> Option<MachineRow> {
        let _ = self.refresh();
        self.lock().get(name).cloned()
    }

    /// Every row, oldest first.
    pub fn all(&self) -> Vec<MachineRow> {
        let _ = self.refresh();
        self.lock().values().cloned().collect()
    }

    /// Inserts or replaces a row (durably first, when there is a file).
    pub fn put(&self, row: MachineRow) -> Result<(), ApiError> {
        if let Some(store) = &self.shared {
            blocking(store.put_document(DOCUMENT, &row.name, &row.to_document()))?;
        }
        if let Some(db) = &self.db {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                "INSERT OR REPLACE INTO stepfn_server_state_machines
                 (name, definition, role_arn, kind, created_ms, updated_ms, revision_id, logging)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    row.name,
                    row.definition,
                    row.role_arn,
                    row.kind,
                    row.created_ms,
                    row.updated_ms,
                    row.revision_id,
                    row.logging
                ],
            )
            .map_err(db_err)?;
        }
        self.lock().insert(row.name.clone(), row);
        Ok(())
    }

    /// Deletes a row; true when it existed.
    pub fn delete(&self, name: &str) -> Result<bool, ApiError> {
        if let Some(store) = &self.shared {
            blocking(store.delete_document(DOCUMENT, name))?;
        }
        if let Some(db) = &self.db {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                "DELETE FROM stepfn_server_state_machines WHERE name = ?1",
                [name],
            )
            .map_err(db_err)?;
        }
        Ok(self.lock().shift_remove(name).is_some())
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// On a shared store: reads the records of `kind` again (other processes write them too).
    fn refresh_records(&self, kind: RecordKind) {
        let Some(store) = &self.shared else {
            return;
        };
        let Ok(docs) = blocking(store.documents(&record_document(kind))) else {
            return;
        };
        let mut records = self.records();
        records.retain(|(k, _), _| *k != kind);
        for (key, body) in docs {
            if let Ok(v) = crate::quotas::read_json(&body) {
                records.insert((kind, key), v);
            }
        }
    }

    /// One record.
    pub(crate) fn record(&self, kind: RecordKind, key: &str) -> Option<Value> {
        self.refresh_records(kind);
        self.records().get(&(kind, key.to_string())).cloned()
    }

    /// Every record of a kind, by key.
    pub(crate) fn records_of(&self, kind: RecordKind) -> Vec<(String, Value)> {
        self.refresh_records(kind);
        self.records()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect()
    }

    /// Inserts or replaces a record (durably first, when there is a file).
    pub(crate) fn put_record(
        &self,
        kind: RecordKind,
        key: &str,
        body: Value,
    ) -> Result<(), ApiError> {
        if let Some(db) = &self.db {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                "INSERT OR REPLACE INTO stepfn_server_records (kind, key, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![kind.as_str(), key, body.to_string()],
            )
            .map_err(db_err)?;
        }
        if let Some(store) = &self.shared {
            blocking(store.put_document(&record_document(kind), key, &body.to_string()))?;
        }
        self.records().insert((kind, key.to_string()), body);
        Ok(())
    }

    /// Deletes a record; true when it existed.
    pub(crate) fn delete_record(&self, kind: RecordKind, key: &str) -> Result<bool, ApiError> {
        if let Some(db) = &self.db {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                "DELETE FROM stepfn_server_records WHERE kind = ?1 AND key = ?2",
                rusqlite::params![kind.as_str(), key],
            )
            .map_err(db_err)?;
        }
        let mut existed = false;
        if let Some(store) = &self.shared {
            existed = blocking(store.delete_document(&record_document(kind), key))?;
        }
        Ok(self.records().remove(&(kind, key.to_string())).is_some() || existed)
    }
}
