//! Part of `server_operations`: versions and aliases.

use super::*;

pub(crate) async fn versions_and_aliases() {
    let s = TestServer::start().await;
    let c = &s.client;
    // publish on create: version 1.
    let created = ok(
        "CreateStateMachine",
        c.create_state_machine()
            .name("Versioned")
            .definition(pass("one"))
            .role_arn(ROLE)
            .publish(true)
            .version_description("first")
            .send()
            .await,
    );
    let sm = created.state_machine_arn.clone();
    let v1 = created.state_machine_version_arn().unwrap().to_string();
    assert_eq!(v1, format!("{sm}:1"));
    // Publishing the same revision again gives the same version.
    let again = ok(
        "PublishStateMachineVersion",
        c.publish_state_machine_version()
            .state_machine_arn(&sm)
            .send()
            .await,
    );
    assert_eq!(again.state_machine_version_arn, v1);
    // A new revision, published by UpdateStateMachine: version 2.
    let updated = ok(
        "UpdateStateMachine",
        c.update_state_machine()
            .state_machine_arn(&sm)
            .definition(pass("two"))
            .publish(true)
            .send()
            .await,
    );
    let v2 = updated.state_machine_version_arn().unwrap().to_string();
    assert_eq!(v2, format!("{sm}:2"));
    fails(
        "UpdateStateMachine",
        c.update_state_machine()
            .state_machine_arn(&sm)
            .definition(pass("x"))
            .version_description("needs publish")
            .send()
            .await,
        "ValidationException",
    );
    let d = ok(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&v1)
            .send()
            .await,
    );
    assert_eq!(d.description(), Some("first"));
    assert!(d.definition().contains("one"));
    assert_eq!(d.state_machine_arn(), v1);
    fails(
        "PublishStateMachineVersion",
        c.publish_state_machine_version()
            .state_machine_arn(&sm)
            .revision_id("not-the-revision")
            .send()
            .await,
        "ConflictException",
    );
    let list = ok(
        "ListStateMachineVersions",
        c.list_state_machine_versions()
            .state_machine_arn(&sm)
            .max_results(1)
            .send()
            .await,
    );
    assert_eq!(
        list.state_machine_versions()[0].state_machine_version_arn(),
        v2
    );
    let next = c
        .list_state_machine_versions()
        .state_machine_arn(&sm)
        .max_results(1)
        .next_token(list.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.state_machine_versions()[0].state_machine_version_arn(),
        v1
    );
    fails(
        "ListStateMachineVersions",
        c.list_state_machine_versions()
            .state_machine_arn(format!("{PREFIX}:stateMachine:Nope"))
            .send()
            .await,
        "StateMachineDoesNotExist",
    );

    // Executions of a version: named after the state machine, run the version's definition.
    let e1 = ok(
        "StartExecution",
        c.start_execution()
            .state_machine_arn(&v1)
            .name("on-v1")
            .send()
            .await,
    )
    .execution_arn;
    assert_eq!(e1, format!("{PREFIX}:execution:Versioned:on-v1"));
    let d = s.runtime.wait(&e1).await.unwrap();
    assert_eq!(d.output(), Some(json!("one")));
    let d = c
        .describe_execution()
        .execution_arn(&e1)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(d.state_machine_arn(), sm);
    let for_exec = ok(
        "DescribeStateMachineForExecution",
        c.describe_state_machine_for_execution()
            .execution_arn(&e1)
            .send()
            .await,
    );
    assert!(for_exec.definition().contains("one"));
    assert_eq!(for_exec.state_machine_arn(), v1);
    fails(
        "DescribeStateMachineForExecution",
        c.describe_state_machine_for_execution()
            .execution_arn(format!("{PREFIX}:execution:Versioned:nope"))
            .send()
            .await,
        "ExecutionDoesNotExist",
    );
    fails(
        "StartExecution",
        c.start_execution()
            .state_machine_arn(format!("{sm}:9"))
            .send()
            .await,
        "ResourceNotFound",
    );

    // Aliases: weights pick the version.
    let route = |v: &str, w: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(v)
            .weight(w)
            .build()
            .unwrap()
    };
    let alias = ok(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("prod")
            .description("all on one")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
    )
    .state_machine_alias_arn;
    assert_eq!(alias, format!("{sm}:prod"));
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("prod")
            .routing_configuration(route(&v2, 100))
            .send()
            .await,
        "ConflictException",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("half")
            .routing_configuration(route(&v1, 50))
            .routing_configuration(route(&v2, 40))
            .send()
            .await,
        "ValidationException",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("ghost")
            .routing_configuration(route(&format!("{sm}:77"), 100))
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "CreateStateMachineAlias",
        c.create_state_machine_alias()
            .name("42")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
        "ValidationException",
    );
    let d = ok(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
    );
    assert_eq!(d.description(), Some("all on one"));
    assert_eq!(d.routing_configuration().len(), 1);
    fails(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(format!("{sm}:nope"))
            .send()
            .await,
        "ResourceNotFound",
    );
    fails(
        "DescribeStateMachineAlias",
        c.describe_state_machine_alias()
            .state_machine_alias_arn(&v1)
            .send()
            .await,
        "InvalidArn",
    );
    let e = c
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    let d = s.runtime.wait(&e.execution_arn).await.unwrap();
    assert_eq!(d.output(), Some(json!("one")));
    let d = c
        .describe_execution()
        .execution_arn(&e.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state_machine_alias_arn(), Some(alias.as_str()));

    // 0/100 routes everything to v2, then 50/50 reaches both.
    ok(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .routing_configuration(route(&v1, 0))
            .routing_configuration(route(&v2, 100))
            .send()
            .await,
    );
    for _ in 0..5 {
        let e = c
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let d = s.runtime.wait(&e.execution_arn).await.unwrap();
        assert_eq!(d.output(), Some(json!("two")));
    }
    c.update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(route(&v1, 50))
        .routing_configuration(route(&v2, 50))
        .send()
        .await
        .unwrap();
    let mut outputs = BTreeSet::new();
    for _ in 0..40 {
        let e = c
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let d = s.runtime.wait(&e.execution_arn).await.unwrap();
        outputs.insert(d.output().unwrap().to_string());
    }
    assert_eq!(outputs.len(), 2, "both versions are picked: {outputs:?}");
    fails(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
        "ValidationException",
    );
    fails(
        "UpdateStateMachineAlias",
        c.update_state_machine_alias()
            .state_machine_alias_arn(format!("{sm}:nope"))
            .description("d")
            .send()
            .await,
        "ResourceNotFound",
    );
    let aliases = ok(
        "ListStateMachineAliases",
        c.list_state_machine_aliases()
            .state_machine_arn(&sm)
            .send()
            .await,
    );
    assert_eq!(aliases.state_machine_aliases().len(), 1);
    let by_version = c
        .list_state_machine_aliases()
        .state_machine_arn(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(by_version.state_machine_aliases().len(), 1);
    fails(
        "ListStateMachineAliases",
        c.list_state_machine_aliases()
            .state_machine_arn(&alias)
            .send()
            .await,
        "InvalidArn",
    );
    let listed = c
        .list_executions()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 46);
    let listed = c
        .list_executions()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert!(listed.executions().len() >= 2);

    // A version an alias routes to cannot be deleted.
    fails(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&v1)
            .send()
            .await,
        "ConflictException",
    );
    fails(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&sm)
            .send()
            .await,
        "InvalidArn",
    );
    ok(
        "DeleteStateMachineAlias",
        c.delete_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
    );
    fails(
        "DeleteStateMachineAlias",
        c.delete_state_machine_alias()
            .state_machine_alias_arn(&alias)
            .send()
            .await,
        "ResourceNotFound",
    );
    ok(
        "DeleteStateMachineVersion",
        c.delete_state_machine_version()
            .state_machine_version_arn(&v1)
            .send()
            .await,
    );
    fails(
        "DescribeStateMachine",
        c.describe_state_machine()
            .state_machine_arn(&v1)
            .send()
            .await,
        "ResourceNotFound",
    );
    // Numbers are never reused.
    c.update_state_machine()
        .state_machine_arn(&sm)
        .definition(pass("three"))
        .send()
        .await
        .unwrap();
    let v3 = c
        .publish_state_machine_version()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn;
    assert_eq!(v3, format!("{sm}:3"));
}
