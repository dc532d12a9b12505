//! A `stepfn serve` process dies while executions run; a new one on the same database file
//! finishes them: state machines (with their versions, aliases and tags), executions, pending
//! activity tasks and Wait deadlines survive.
#![cfg(all(feature = "server", feature = "aws"))]

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateMachineType};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use stepfn::aws::{ActivityWorker, LocalEndpointHostPrefix};
use stepfn::server::{Server, ServerConfig};
use stepfn::TaskError;

fn client(addr: SocketAddr) -> Client {
    let conf = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(format!("http://{addr}"))
        .interceptor(LocalEndpointHostPrefix)
        .build();
    Client::from_conf(conf)
}

fn config(db: &Path) -> ServerConfig {
    ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        db: Some(db.to_path_buf()),
        ..ServerConfig::default()
    }
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:Finish";

/// Server A: creates the activity and the state machine, starts executions and returns once each
/// is parked (the Wait one in its Wait state, the others on their activity task). Its tokio
/// runtime is then dropped with everything running in it, like a killed process.
fn first_life(db: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let arns = rt.block_on(async {
        let server = Server::bind(config(db)).await.unwrap();
        let c = client(server.local_addr());
        tokio::spawn(server.run(std::future::pending()));
        c.create_activity().name("Finish").send().await.unwrap();
        let def = json!({
            "StartAt": "Route",
            "States": {
                "Route": {"Type": "Choice",
                          "Choices": [{"Variable": "$.wait", "BooleanEquals": true, "Next": "Pause"}],
                          "Default": "Work"},
                "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Work"},
                "Work": {"Type": "Task", "Resource": ACTIVITY, "End": true}
            }
        });
        let sm = c
            .create_state_machine()
            .name("Survivor")
            .definition(def.to_string())
            .role_arn("arn:aws:iam::123456789012:role/test")
            .r#type(StateMachineType::Standard)
            .send()
            .await
            .unwrap()
            .state_machine_arn
            .clone();
        let mut arns = Vec::new();
        for i in 0..3 {
            let input = json!({"n": i, "wait": i == 0});
            let arn = c
                .start_execution()
                .state_machine_arn(&sm)
                .name(format!("survivor-{i}"))
                .input(input.to_string())
                .send()
                .await
                .unwrap()
                .execution_arn
                .clone();
            arns.push(arn);
        }
        // Parked: the Wait started, or the activity task was scheduled.
        for arn in &arns {
            let mut parked = false;
            for _ in 0..10_000 {
                let h = c.get_execution_history().execution_arn(arn).send().await.unwrap();
                parked = h.events().iter().any(|e| {
                    matches!(
                        e.r#type(),
                        HistoryEventType::WaitStateEntered | HistoryEventType::ActivityScheduled
                    )
                });
                if parked {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert!(parked, "{arn} never parked");
        }
        arns
    });
    drop(rt);
    arns
}

#[test]
fn executions_finish_after_a_restart() {
    let db =
        TempDb(std::env::temp_dir().join(format!("stepfn-restart-{}.db", uuid::Uuid::new_v4())));
    let arns = std::thread::spawn({
        let path = db.0.clone();
        move || first_life(&path)
    })
    .join()
    .expect("first server");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::bind(config(&db.0)).await.unwrap();
        let runtime = server.runtime().clone();
        let c = client(server.local_addr());
        tokio::spawn(server.run(std::future::pending()));

        // The state machine and the running executions are still there.
        let machines = c.list_state_machines().send().await.unwrap();
        assert_eq!(machines.state_machines().len(), 1);
        let running = c
            .list_executions()
            .state_machine_arn(machines.state_machines()[0].state_machine_arn())
            .status_filter(ExecutionStatus::Running)
            .send()
            .await
            .unwrap();
        assert_eq!(running.executions().len(), 3);

        let worker = ActivityWorker::typed(c.clone(), ACTIVITY, |v: Value| async move {
            Ok::<_, TaskError>(json!({"finished": v["n"]}))
        })
        .spawn();
        for (i, arn) in arns.iter().enumerate() {
            let d = runtime.wait(arn).await.unwrap();
            assert_eq!(d.output(), Some(json!({"finished": i})), "{arn}");
            let described = c
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .unwrap();
            assert_eq!(described.status(), &ExecutionStatus::Succeeded);
        }
        worker.stop().await;
    });
}

fn kept(result: &str) -> String {
    json!({"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Say"},
        "Say": {"Type": "Pass", "Result": result, "End": true}}})
    .to_string()
}

/// Versions, aliases and tags are kept in the database too; an execution of a version that was
/// running when the server died finishes on that version.
#[test]
fn versions_aliases_and_tags_survive_a_restart() {
    let db =
        TempDb(std::env::temp_dir().join(format!("stepfn-versions-{}.db", uuid::Uuid::new_v4())));
    let path = db.0.clone();
    let running = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let arn = rt.block_on(async {
            let server = Server::bind(config(&path)).await.unwrap();
            let c = client(server.local_addr());
            tokio::spawn(server.run(std::future::pending()));
            let created = c
                .create_state_machine()
                .name("Kept")
                .definition(kept("one"))
                .role_arn("arn:aws:iam::123456789012:role/test")
                .publish(true)
                .tags(
                    aws_sdk_sfn::types::Tag::builder()
                        .key("team")
                        .value("core")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let sm = created.state_machine_arn().to_string();
            let v2 = c
                .update_state_machine()
                .state_machine_arn(&sm)
                .definition(kept("two"))
                .publish(true)
                .send()
                .await
                .unwrap()
                .state_machine_version_arn()
                .unwrap()
                .to_string();
            c.create_state_machine_alias()
                .name("live")
                .routing_configuration(
                    aws_sdk_sfn::types::RoutingConfigurationListItem::builder()
                        .state_machine_version_arn(v2)
                        .weight(100)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
            let arn = c
                .start_execution()
                .state_machine_arn(created.state_machine_version_arn().unwrap())
                .name("on-v1")
                .send()
                .await
                .unwrap()
                .execution_arn;
            // Parked in its Wait state before the "crash" (as in the test above: a store write
            // still in flight when this in-process server is dropped would land after the
            // second one has resumed).
            for _ in 0..10_000 {
                let h = c
                    .get_execution_history()
                    .execution_arn(&arn)
                    .send()
                    .await
                    .unwrap();
                if h.events()
                    .iter()
                    .any(|e| e.r#type() == &HistoryEventType::WaitStateEntered)
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            arn
        });
        drop(rt);
        arn
    })
    .join()
    .expect("first server");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::bind(config(&db.0)).await.unwrap();
        let runtime = server.runtime().clone();
        let c = client(server.local_addr());
        tokio::spawn(server.run(std::future::pending()));
        let sm = "arn:aws:states:us-east-1:123456789012:stateMachine:Kept";
        let d = runtime.wait(&running).await.unwrap();
        assert_eq!(
            d.output(),
            Some(json!("one")),
            "the version's definition: {:?}",
            d.record
        );
        let versions = c
            .list_state_machine_versions()
            .state_machine_arn(sm)
            .send()
            .await
            .unwrap();
        assert_eq!(versions.state_machine_versions().len(), 2);
        let tags = c
            .list_tags_for_resource()
            .resource_arn(sm)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tags().len(), 1);
        let e = c
            .start_execution()
            .state_machine_arn(format!("{sm}:live"))
            .send()
            .await
            .unwrap()
            .execution_arn;
        let d = runtime.wait(&e).await.unwrap();
        assert_eq!(
            d.output(),
            Some(json!("two")),
            "the alias routes to version 2"
        );
        // Version numbers go on from where they were.
        c.update_state_machine()
            .state_machine_arn(sm)
            .definition(kept("three"))
            .send()
            .await
            .unwrap();
        let v3 = c
            .publish_state_machine_version()
            .state_machine_arn(sm)
            .send()
            .await
            .unwrap();
        assert_eq!(v3.state_machine_version_arn(), format!("{sm}:3"));
    });
}
