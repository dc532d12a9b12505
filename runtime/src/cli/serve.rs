//! `stepfn serve`: the Step Functions API (AWS JSON 1.0) and the web console on one port.
//!
//! ```text
//! stepfn serve --db stepfn.db                       # http://127.0.0.1:8083
//! aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:8083
//! ```

use crate::server::{Credentials, Server, ServerConfig, DEFAULT_PORT};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Arguments of `stepfn serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The database keeping state machines and executions: a SQLite file, or a `postgres://`
    /// URL shared by several `serve` processes (default: in memory, like Step Functions Local).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// With a `postgres://` `--db`: how long after a process stops renewing its leases (killed,
    /// paused, cut off) another process takes over its executions, e.g. `10s`, `500ms`.
    #[arg(long, default_value = "10s", value_parser = super::run::lease_timeout)]
    pub lease_timeout: std::time::Duration,
    /// The address to listen on. Beyond loopback, requests must be signed (SigV4) with the
    /// credentials below.
    #[arg(long, default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    pub bind: SocketAddr,
    /// A Step Functions Local mock configuration file; start executions with
    /// `stateMachineArn` = `<state machine ARN>#<test case>` to use a test case.
    #[arg(long)]
    pub mock_config: Option<PathBuf>,
    /// The access key id requests must be signed with. Beyond loopback,
    /// `AWS_ACCESS_KEY_ID` is used when the flag is absent.
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// The secret access key requests must be signed with. Beyond loopback,
    /// `AWS_SECRET_ACCESS_KEY` is used when the flag is absent.
    #[arg(long)]
    pub secret_access_key: Option<String>,
    /// The region of the ARNs the server returns (default: the region a request is signed for,
    /// else us-east-1). ARNs of another region are refused (`InvalidArn`).
    #[arg(long)]
    pub region: Option<String>,
    /// The account of the ARNs the server returns; ARNs of another account are refused.
    #[arg(long, default_value = crate::arn::DEFAULT_ACCOUNT)]
    pub account: String,
    /// Send Task states on Lambda functions to this Lambda Invoke endpoint (see `stepfn run`).
    #[cfg(feature = "lambda-invoke")]
    #[arg(long, value_name = "URL")]
    pub lambda_endpoint: Option<String>,
}

/// Runs `stepfn serve` until Ctrl-C; returns the exit code.
pub fn run(args: &Args) -> i32 {
    let mock_config = match &args.mock_config {
        None => None,
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("not valid JSON: {e}")))
        {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("error: mock configuration `{}`: {e}", p.display());
                return 2;
            }
        },
    };
    // Flags always count; the environment's credentials only when listening beyond loopback
    // (on loopback the SDKs sign with whatever they find, and like Step Functions Local the
    // server then accepts anything).
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (akid, secret) = if args.access_key_id.is_some() || args.secret_access_key.is_some() {
        (args.access_key_id.clone(), args.secret_access_key.clone())
    } else if !args.bind.ip().is_loopback() {
        (
            from_env("AWS_ACCESS_KEY_ID"),
            from_env("AWS_SECRET_ACCESS_KEY"),
        )
    } else {
        (None, None)
    };
    let credentials = match (akid, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
            access_key_id,
            secret_access_key,
        }),
        (None, None) => None,
        _ => {
            eprintln!("error: give both --access-key-id and --secret-access-key");
            return 2;
        }
    };
    let config = ServerConfig {
        bind: args.bind,
        db: args.db.clone(),
        lease_timeout: args.lease_timeout,
        mock_config,
        credentials,
        region: args.region.clone(),
        account: args.account.clone(),
        ..ServerConfig::default()
    };
    #[cfg(feature = "lambda-invoke")]
    let config = {
        let mut config = config;
        if let Some(url) = &args.lambda_endpoint {
            config.tasks.set_fallback(std::sync::Arc::new(
                crate::lambda_endpoint::LambdaEndpoint::new(url),
            ));
        }
        config
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 2;
        }
    };
    rt.block_on(async {
        let signed = config.credentials.is_some();
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        let addr = server.local_addr();
        eprintln!(
            "stepfn serve: Step Functions API on http://{addr}/ (AWS JSON 1.0{}), console at http://{addr}/, {}",
            if signed { ", SigV4 required" } else { "" },
            match &args.db {
                Some(p) => format!("database {}", p.display()),
                None => "in memory".to_string(),
            }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match server.run(shutdown).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        }
    })
}
