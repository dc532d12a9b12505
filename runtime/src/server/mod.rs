//! `stepfn serve`: the Step Functions API on an HTTP port, and a web console beside it.
//!
//! The API speaks AWS JSON 1.0 (`POST /`, `X-Amz-Target: AWSStepFunctions.<Action>`), so the AWS
//! SDKs and CLI work against it with only an endpoint URL, as they do against Step Functions
//! Local. State machines are kept in the database next to the executions (see `machines`);
//! executions are the durable [`Runtime`]'s, so they survive a restart of the server. `GET /`
//! serves the console (see `console`).
//!
//! - [`protocol`]: decoding requests and encoding AWS's errors;
//! - `api`: the state machine actions and what the action families share; the other families
//!   are `executions`, `activities` (with task tokens and redrive), `versions` (and aliases),
//!   `tags`, `map_runs` and `test_state`; `Api::dispatch` routes the 37 actions;
//! - `arns`: reading ARNs, the same way for every action;
//! - `sigv4`: request signatures, required when the server listens beyond loopback.

mod activities;
mod api;
mod arns;
mod console;
mod executions;
mod machines;
mod map_runs;
pub mod protocol;
pub(crate) mod sigv4;
mod tags;
mod test_state;
mod versions;

use crate::runtime::Runtime;
use api::Api;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use machines::Machines;
use protocol::{Action, ApiError, Request};
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use sigv4::Credentials;

/// Step Functions Local's port.
pub const DEFAULT_PORT: u16 = 8083;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// The SQLite database holding state machines and executions; `None` keeps everything in
    /// memory.
    pub db: Option<PathBuf>,
    /// With a `postgres://` `db`: the lease timeout of this process's executions.
    pub lease_timeout: std::time::Duration,
    /// A Step Functions Local mock configuration (`StateMachineArn#TestCase` selects a case).
    pub mock_config: Option<Value>,
    /// Credentials every request must be signed with (SigV4). Required beyond loopback.
    pub credentials: Option<Credentials>,
    /// The task handlers of every state machine (e.g. a Lambda endpoint as the fallback).
    pub tasks: crate::TaskRegistry,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            db: None,
            lease_timeout: crate::store::DEFAULT_LEASE_TIMEOUT,
            mock_config: None,
            credentials: None,
            tasks: crate::TaskRegistry::new(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Listening beyond loopback without credentials to check signatures with.
    #[error("refusing to listen on {0} without credentials: requests from the network must be signed; pass --access-key-id and --secret-access-key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or bind to 127.0.0.1")]
    Unauthenticated(SocketAddr),
    /// The database could not be opened or read.
    #[error("database: {0}")]
    Database(String),
    /// The mock configuration is unusable.
    #[error("mock configuration: {0}")]
    Mocks(String),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// Shared by every request.
pub(crate) struct App {
    api: Api,
    credentials: Option<Credentials>,
}

/// A bound server, not yet serving.
pub struct Server {
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the database, registers the stored state machines, resumes their RUNNING
    /// executions and binds the address.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        if !config.bind.ip().is_loopback() && config.credentials.is_none() {
            return Err(ServerError::Unauthenticated(config.bind));
        }
        if let Some(cfg) = &config.mock_config {
            check_mocks(cfg).map_err(ServerError::Mocks)?;
        }
        let (runtime, machines) = match &config.db {
            Some(path) => {
                let runtime = Runtime::open_with_lease(path, config.lease_timeout)
                    .map_err(|e| ServerError::Database(e.to_string()))?;
                let machines = Machines::open_for(path, runtime.store())
                    .map_err(|e| ServerError::Database(e.message))?;
                (runtime, machines)
            }
            None => (Runtime::in_memory(), Machines::in_memory()),
        };
        let api = Api {
            runtime,
            machines,
            mocks: config.mock_config.clone(),
            tasks: config.tasks.clone(),
            redrive_tokens: Default::default(),
        };
        for row in api.machines.all() {
            api.register(&row).map_err(|e| {
                ServerError::Database(format!(
                    "stored state machine `{}`: {}",
                    row.name, e.message
                ))
            })?;
        }
        api.register_versions().map_err(|e| {
            ServerError::Database(format!("stored state machine versions: {}", e.message))
        })?;
        api.runtime
            .resume()
            .await
            .map_err(|e| ServerError::Database(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| ServerError::Bind(config.bind, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServerError::Bind(config.bind, e))?;
        let app = Arc::new(App {
            api,
            credentials: config.credentials,
        });
        if let Some(lease) = app.api.runtime.store().lease_timeout() {
            tokio::spawn(follow_machines(Arc::downgrade(&app), lease / 2));
        }
        Ok(Server {
            app,
            listener,
            addr,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The runtime executing the state machines.
    pub fn runtime(&self) -> &Runtime {
        &self.app.api.runtime
    }

    /// A handle answering requests without HTTP (the same path the server takes after reading a
    /// request): for tests and embedding.
    pub fn handle(&self) -> Handle {
        Handle(self.app.clone())
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = router(self.app);
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Checks every test case of a mock configuration up front.
fn check_mocks(cfg: &Value) -> Result<(), String> {
    let machines = cfg
        .get("StateMachines")
        .and_then(Value::as_object)
        .ok_or("no `StateMachines` object")?;
    for (name, sm) in machines {
        let cases = sm
            .get("TestCases")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("state machine `{name}` has no `TestCases` object"))?;
        for case in cases.keys() {
            crate::engine::tasks::MockResponses::from_config(cfg, Some(name), case)?;
        }
    }
    Ok(())
}

impl Api {
    /// Runs one decoded action.
    pub async fn dispatch(&self, action: Action, req: Request) -> Result<Value, ApiError> {
        use Action as A;
        let req = &req;
        match action {
            A::CreateStateMachine => self.create_state_machine(req).await,
            A::DescribeStateMachine => self.describe_state_machine(req).await,
            A::UpdateStateMachine => self.update_state_machine(req).await,
            A::DeleteStateMachine => self.delete_state_machine(req).await,
            A::ListStateMachines => self.list_state_machines(req).await,
            A::ValidateStateMachineDefinition => self.validate_definition(req),
            A::StartExecution => self.start_execution(req).await,
            A::StartSyncExecution => self.start_sync_execution(req).await,
            A::DescribeExecution => self.describe_execution(req).await,
            A::DescribeStateMachineForExecution => {
                self.describe_state_machine_for_execution(req).await
            }
            A::StopExecution => self.stop_execution(req).await,
            A::ListExecutions => self.list_executions(req).await,
            A::GetExecutionHistory => self.get_execution_history(req).await,
            A::RedriveExecution
            | A::CreateActivity
            | A::DescribeActivity
            | A::ListActivities
            | A::DeleteActivity
            | A::GetActivityTask
            | A::SendTaskSuccess
            | A::SendTaskFailure
            | A::SendTaskHeartbeat => activities::dispatch(self, action, req).await,
            A::TagResource => self.tag_resource(req).await,
            A::UntagResource => self.untag_resource(req).await,
            A::ListTagsForResource => self.list_tags_for_resource(req).await,
            A::TestState => self.test_state(req).await,
            A::PublishStateMachineVersion => self.publish_state_machine_version(req).await,
            A::ListStateMachineVersions => self.list_state_machine_versions(req).await,
            A::DeleteStateMachineVersion => self.delete_state_machine_version(req).await,
            A::CreateStateMachineAlias => self.create_state_machine_alias(req).await,
            A::DescribeStateMachineAlias => self.describe_state_machine_alias(req).await,
            A::UpdateStateMachineAlias => self.update_state_machine_alias(req).await,
            A::DeleteStateMachineAlias => self.delete_state_machine_alias(req).await,
            A::ListStateMachineAliases => self.list_state_machine_aliases(req).await,
            A::DescribeMapRun => self.describe_map_run(req).await,
            A::ListMapRuns => self.list_map_runs(req).await,
            A::UpdateMapRun => self.update_map_run(req).await,
        }
    }
}

/// Answers API requests in-process.
#[derive(Clone)]
pub struct Handle(Arc<App>);

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    /// Answers one API request given its `X-Amz-Target` and `Content-Type` header values and its
    /// body: the HTTP status and the JSON body. (Signatures are not checked here.)
    pub async fn call(
        &self,
        target: Option<&[u8]>,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> (u16, Value) {
        match protocol::decode(target, content_type, body) {
            Ok((action, req)) => match self.0.api.dispatch(action, req).await {
                Ok(v) => (200, v),
                Err(e) => (e.status, e.body()),
            },
            Err(e) => (e.status, e.body()),
        }
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(console::page).post(api_request))
        .route("/console/api/state-machines", get(console::state_machines))
        .route("/console/api/executions", get(console::executions))
        .route("/console/api/execution", get(console::execution))
        .route("/console/api/state-machine", get(console::state_machine))
        .route("/console/api/action", axum::routing::post(console::action))
        .fallback(not_found)
        .with_state(app)
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(kind) = body.get("__type").and_then(Value::as_str) {
        if let Ok(v) = HeaderValue::from_str(kind) {
            h.insert("x-amzn-errortype", v);
        }
    }
    resp
}

fn error_response(e: &ApiError) -> Response {
    json_response(e.status, &e.body())
}

async fn not_found(method: Method, uri: Uri) -> Response {
    error_response(&ApiError {
        status: 404,
        ..ApiError::unknown_operation(format!("no such resource: {method} {}", uri.path()))
    })
}

async fn api_request(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body: Bytes = match axum::body::to_bytes(body, protocol::MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(&ApiError {
                status: 413,
                ..ApiError::validation(format!(
                    "the request is larger than the limit of {} bytes",
                    protocol::MAX_REQUEST_BYTES
                ))
            })
        }
    };
    if let Some(creds) = &app.credentials {
        if let Err(e) = sigv4::verify(
            creds,
            "POST",
            uri.path(),
            uri.query().unwrap_or(""),
            &headers,
            &body,
            jiff::Timestamp::now(),
        ) {
            return error_response(&e);
        }
    }
    let target = headers.get("x-amz-target").map(HeaderValue::as_bytes);
    let content_type = headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes);
    let (status, v) = Handle(app.clone()).call(target, content_type, &body).await;
    json_response(status, &v)
}

/// The console's check: with credentials, HTTP Basic with the access key id and secret key.
/// `Some` is the refusal to send.
fn console_refusal(app: &App, headers: &HeaderMap) -> Option<Response> {
    let Some(creds) = &app.credentials else {
        return None;
    };
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        creds.access_key_id, creds.secret_access_key
    ));
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    if given.is_some_and(|g| g.as_bytes() == expected.as_bytes()) {
        return None;
    }
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        "sign in with the access key id and secret key\n",
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"stepfn\""),
    );
    Some(resp)
}

/// On a shared database, registers with this process's runtime the state machines other
/// processes create or update (so that it can run, and take over, their executions), every
/// `every` until the server is gone.
async fn follow_machines(app: std::sync::Weak<App>, every: std::time::Duration) {
    let mut known = std::collections::HashMap::<String, String>::new();
    loop {
        tokio::time::sleep(every).await;
        let Some(app) = app.upgrade() else { return };
        for row in app.api.machines.all() {
            if known.get(&row.name) != Some(&row.revision_id) && app.api.register(&row).is_ok() {
                known.insert(row.name.clone(), row.revision_id.clone());
            }
        }
    }
}
