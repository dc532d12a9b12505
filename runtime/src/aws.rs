//! Step Functions activity workers with the AWS SDK: serve stepfn task handlers as activities of
//! any Step Functions endpoint — AWS itself or `stepfn serve`.
//!
//! A worker long-polls `GetActivityTask`, runs the handler on the task's input, sends
//! `SendTaskHeartbeat` while it runs, and answers `SendTaskSuccess` or `SendTaskFailure`.
//! [`WorkerHandle::stop`] stops polling and waits for the tasks in hand to be answered.
//!
//! ```no_run
//! # async fn demo() {
//! use stepfn::aws::{client_for_endpoint, ActivityWorker};
//! use stepfn::TaskError;
//!
//! let client = client_for_endpoint("http://127.0.0.1:8083").await;
//! let worker = ActivityWorker::typed(
//!     client,
//!     "arn:aws:states:us-east-1:123456789012:activity:Greet",
//!     |name: String| async move { Ok::<_, TaskError>(format!("hello {name}")) },
//! )
//! .spawn();
//! // ...
//! worker.stop().await;
//! # }
//! ```

use crate::engine::tasks::{TaskHandler, TaskRequest};
use crate::error::StatesError;
use crate::{TaskError, TaskRegistry};
use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{ConfigBag, Intercept, RuntimeComponents};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

pub use aws_sdk_sfn::Client;

/// Removes the `sync-` host prefix the SDK puts before the endpoint of `StartSyncExecution` when
/// the endpoint is a local one (an IP address or `localhost`), where `sync-127.0.0.1` cannot
/// resolve. AWS's own endpoints are left alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalEndpointHostPrefix;

impl Intercept for LocalEndpointHostPrefix {
    fn name(&self) -> &'static str {
        "LocalEndpointHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let uri = context.request().uri().to_string();
        let Some((scheme, rest)) = uri.split_once("://") else {
            return Ok(());
        };
        let Some(rest) = rest.strip_prefix("sync-") else {
            return Ok(());
        };
        let host = rest.split(['/', ':']).next().unwrap_or("");
        let local = host == "localhost"
            || host.parse::<std::net::IpAddr>().is_ok()
            || rest.starts_with('[');
        if local {
            context
                .request_mut()
                .set_uri(format!("{scheme}://{rest}"))
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
        }
        Ok(())
    }
}

/// A client for a Step Functions endpoint such as `http://127.0.0.1:8083`, with the credentials
/// and region of the environment (falling back to `us-east-1`) and [`LocalEndpointHostPrefix`].
pub async fn client_for_endpoint(endpoint_url: &str) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .load()
        .await;
    let mut conf = aws_sdk_sfn::config::Builder::from(&shared).interceptor(LocalEndpointHostPrefix);
    if shared.region().is_none() {
        conf = conf.region(aws_sdk_sfn::config::Region::new("us-east-1"));
    }
    Client::from_conf(conf.build())
}

/// Serves one activity with one task handler.
pub struct ActivityWorker {
    client: Client,
    activity_arn: String,
    handler: Arc<dyn TaskHandler>,
    worker_name: String,
    heartbeat: Duration,
    concurrency: usize,
}

impl std::fmt::Debug for ActivityWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityWorker")
            .field("activity_arn", &self.activity_arn)
            .field("worker_name", &self.worker_name)
            .finish_non_exhaustive()
    }
}

/// The activity has no handler in the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no task handler is registered for `{0}`")]
pub struct NoHandler(pub String);

impl ActivityWorker {
    /// A worker running `handler` for the tasks of `activity_arn`.
    pub fn new(
        client: Client,
        activity_arn: impl Into<String>,
        handler: Arc<dyn TaskHandler>,
    ) -> Self {
        Self {
            client,
            activity_arn: activity_arn.into(),
            handler,
            worker_name: format!("stepfn-{}", std::process::id()),
            heartbeat: Duration::from_secs(10),
            concurrency: 1,
        }
    }

    /// A worker running the handler `registry` has for the resource `activity_arn` (the Task
    /// state's `Resource` is the activity ARN, so the same registry serves both the runtime and
    /// the worker).
    pub fn from_registry(
        client: Client,
        activity_arn: impl Into<String>,
        registry: &TaskRegistry,
    ) -> Result<Self, NoHandler> {
        let arn = activity_arn.into();
        let handler = registry
            .get(&arn)
            .cloned()
            .ok_or_else(|| NoHandler(arn.clone()))?;
        Ok(Self::new(client, arn, handler))
    }

    /// A worker running a typed async function: the task input is deserialized into `I`, the
    /// output serialized as the task's output.
    pub fn typed<I, O, E, F, Fut>(client: Client, activity_arn: impl Into<String>, f: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<TaskError> + Send + 'static,
        F: Fn(I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
    {
        let arn = activity_arn.into();
        let mut registry = TaskRegistry::new();
        registry.register(arn.clone(), f);
        let handler = registry
            .get(&arn)
            .cloned()
            .unwrap_or_else(|| unreachable!("registered just above"));
        Self::new(client, arn, handler)
    }

    /// The `workerName` sent with GetActivityTask.
    pub fn worker_name(mut self, name: impl Into<String>) -> Self {
        self.worker_name = name.into();
        self
    }

    /// How often SendTaskHeartbeat is sent while a handler runs (default 10 s).
    pub fn heartbeat_interval(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(Duration::from_millis(10));
        self
    }

    /// How many tasks may run at once (default 1); the worker polls only while below it.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Starts the worker on the current tokio runtime.
    pub fn spawn(self) -> WorkerHandle {
        let (stop_tx, stop_rx) = watch::channel(false);
        let done = Arc::new(AtomicU64::new(0));
        let d = done.clone();
        let task = tokio::spawn(self.run(stop_rx, d));
        WorkerHandle {
            stop: stop_tx,
            task,
            done,
        }
    }

    async fn run(self, mut stop: watch::Receiver<bool>, done: Arc<AtomicU64>) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut in_flight = tokio::task::JoinSet::new();
        let mut backoff = Duration::from_millis(200);
        loop {
            if *stop.borrow() {
                break;
            }
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = stop.changed() => break,
            };
            let poll = self
                .client
                .get_activity_task()
                .activity_arn(&self.activity_arn)
                .worker_name(&self.worker_name)
                .send();
            // Stopping abandons a poll in flight: a task handed out just then is not answered
            // and times out on the service (its HeartbeatSeconds or TimeoutSeconds).
            let got = tokio::select! {
                r = poll => r,
                _ = stop.changed() => break,
            };
            match got {
                Ok(out) => {
                    backoff = Duration::from_millis(200);
                    let Some(token) = out
                        .task_token()
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                    else {
                        continue;
                    };
                    let input = out.input().unwrap_or("{}").to_string();
                    let job = Job {
                        client: self.client.clone(),
                        handler: self.handler.clone(),
                        activity_arn: self.activity_arn.clone(),
                        heartbeat: self.heartbeat,
                    };
                    let done = done.clone();
                    in_flight.spawn(async move {
                        job.run(token, input).await;
                        done.fetch_add(1, Ordering::Relaxed);
                        drop(permit);
                    });
                }
                Err(e) => {
                    let missing = e
                        .as_service_error()
                        .is_some_and(|s| s.is_activity_does_not_exist());
                    if missing {
                        // Nothing will ever come: stop rather than spin.
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
            while in_flight.try_join_next().is_some() {}
        }
        while in_flight.join_next().await.is_some() {}
    }
}

struct Job {
    client: Client,
    handler: Arc<dyn TaskHandler>,
    activity_arn: String,
    heartbeat: Duration,
}

impl Job {
    async fn run(self, token: String, input: String) {
        let input = match serde_json::from_str(&input) {
            Ok(v) => v,
            Err(e) => {
                let _ = self
                    .client
                    .send_task_failure()
                    .task_token(&token)
                    .error(crate::error::names::RUNTIME)
                    .cause(format!("the task input is not JSON: {e}"))
                    .send()
                    .await;
                return;
            }
        };
        let request = TaskRequest {
            state_name: String::new(),
            resource: self.activity_arn.clone(),
            input,
            attempt: 0,
            idempotency_key: token.clone(),
            task_token: Some(token.clone()),
        };
        let work = self.handler.invoke(request);
        tokio::pin!(work);
        let mut beat = tokio::time::interval(self.heartbeat);
        beat.tick().await;
        let result: Result<serde_json::Value, StatesError> = loop {
            tokio::select! {
                r = &mut work => break r,
                _ = beat.tick() => {
                    let hb = self.client.send_task_heartbeat().task_token(&token).send().await;
                    if let Err(e) = hb {
                        let gone = e.as_service_error().is_some_and(|s| {
                            s.is_task_timed_out() || s.is_task_does_not_exist() || s.is_invalid_token()
                        });
                        if gone {
                            // The service gave up on this task: stop working on it.
                            return;
                        }
                    }
                }
            }
        };
        let _ = match result {
            Ok(output) => self
                .client
                .send_task_success()
                .task_token(&token)
                .output(output.to_string())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => self
                .client
                .send_task_failure()
                .task_token(&token)
                .error(e.error)
                .cause(e.cause)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
    }
}

/// A running worker.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    done: Arc<AtomicU64>,
}

impl WorkerHandle {
    /// How many tasks were answered so far.
    pub fn tasks_done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Stops polling, waits until the tasks in hand are answered; returns how many were.
    pub async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.done.load(Ordering::Relaxed)
    }
}
