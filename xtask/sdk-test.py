#!/usr/bin/env python3
"""`stepfn serve` driven by boto3: every one of the 37 Step Functions operations, with valid and
invalid input, checked against the error codes AWS documents. Data-driven: CASES is a list of
(operation, parameters, expected) where expected is "ok" or an error code; `{name}` in a string
parameter is replaced by a value an earlier step saved (`save` picks it from the response).

    python3 xtask/sdk-test.py [PATH-TO-stepfn-BINARY]   # default: $CARGO_TARGET_DIR/debug/stepfn

Starts the server on a free 127.0.0.1 port with an in-memory store; exits 1 on a failed case, 0
otherwise (and skips, exit 0, when boto3 is not installed).
"""
import json
import os
import re
import subprocess
import sys
import time

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("sdk-test: boto3 is not installed (pip install boto3): skipped")
    sys.exit(0)

ROLE = "arn:aws:iam::123456789012:role/test"
PREFIX = "arn:aws:states:us-east-1:123456789012"


def pass_def(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


WAIT_DEF = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
FAIL_DEF = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}})
MAP_DEF = json.dumps({"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "MaxConcurrency": 2,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "End": True}}})
TASK_STATE = json.dumps({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}], "Next": "Done"})

# (operation, parameters, expected, save: {name: response path})
CASES = [
    ("CreateStateMachine", {"name": "Py", "definition": pass_def("one"), "roleArn": ROLE,
                            "publish": True, "tags": [{"key": "team", "value": "core"}]},
     "ok", {"sm": "stateMachineArn", "v1": "stateMachineVersionArn"}),
    ("CreateStateMachine", {"name": "Py", "definition": pass_def("other"), "roleArn": ROLE},
     "StateMachineAlreadyExists", {}),
    ("CreateStateMachine", {"name": "Bad", "definition": "{}", "roleArn": ROLE}, "InvalidDefinition", {}),
    ("CreateStateMachine", {"name": "bad name", "definition": pass_def("x"), "roleArn": ROLE}, "InvalidName", {}),
    ("CreateStateMachine", {"name": "Role", "definition": pass_def("x"), "roleArn": "nope"}, "InvalidArn", {}),
    ("DescribeStateMachine", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("DescribeStateMachine", {"stateMachineArn": PREFIX + ":stateMachine:Nope"}, "StateMachineDoesNotExist", {}),
    ("DescribeStateMachine", {"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:Py"}, "InvalidArn", {}),
    ("DescribeStateMachine", {"stateMachineArn": "arn:aws:states:us-east-1:999999999999:stateMachine:Py"}, "InvalidArn", {}),
    ("UpdateStateMachine", {"stateMachineArn": "{sm}", "definition": pass_def("two"), "publish": True},
     "ok", {"v2": "stateMachineVersionArn"}),
    ("UpdateStateMachine", {"stateMachineArn": "{sm}"}, "MissingRequiredParameter", {}),
    ("UpdateStateMachine", {"stateMachineArn": "{sm}", "definition": "{"}, "InvalidDefinition", {}),
    ("ListStateMachines", {}, "ok", {}),
    ("ListStateMachines", {"nextToken": "garbage"}, "InvalidToken", {}),
    ("ValidateStateMachineDefinition", {"definition": pass_def("v")}, "ok", {}),
    ("ValidateStateMachineDefinition", {"definition": pass_def("v"), "type": "NOPE"}, "ValidationException", {}),
    ("PublishStateMachineVersion", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("PublishStateMachineVersion", {"stateMachineArn": "{sm}", "revisionId": "stale"}, "ConflictException", {}),
    ("PublishStateMachineVersion", {"stateMachineArn": PREFIX + ":stateMachine:Nope"}, "StateMachineDoesNotExist", {}),
    ("ListStateMachineVersions", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("ListStateMachineVersions", {"stateMachineArn": "nope"}, "InvalidArn", {}),
    ("CreateStateMachineAlias", {"name": "live", "routingConfiguration": [
        {"stateMachineVersionArn": "{v1}", "weight": 50}, {"stateMachineVersionArn": "{v2}", "weight": 50}]},
     "ok", {"alias": "stateMachineAliasArn"}),
    ("CreateStateMachineAlias", {"name": "odd", "routingConfiguration": [
        {"stateMachineVersionArn": "{v1}", "weight": 70}]}, "ValidationException", {}),
    ("CreateStateMachineAlias", {"name": "gone", "routingConfiguration": [
        {"stateMachineVersionArn": "{sm}:99", "weight": 100}]}, "ResourceNotFound", {}),
    ("DescribeStateMachineAlias", {"stateMachineAliasArn": "{alias}"}, "ok", {}),
    ("DescribeStateMachineAlias", {"stateMachineAliasArn": "{sm}:nope"}, "ResourceNotFound", {}),
    ("UpdateStateMachineAlias", {"stateMachineAliasArn": "{alias}", "description": "d"}, "ok", {}),
    ("UpdateStateMachineAlias", {"stateMachineAliasArn": "{alias}"}, "ValidationException", {}),
    ("ListStateMachineAliases", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("ListStateMachineAliases", {"stateMachineArn": "{alias}"}, "InvalidArn", {}),
    ("StartExecution", {"stateMachineArn": "{alias}", "name": "via-alias"}, "ok", {"e_alias": "executionArn"}),
    ("StartExecution", {"stateMachineArn": "{sm}", "name": "first", "input": "{\"a\":1}"}, "ok", {"e1": "executionArn"}),
    ("StartExecution", {"stateMachineArn": "{sm}", "name": "first", "input": "{\"a\":2}"}, "ExecutionAlreadyExists", {}),
    ("StartExecution", {"stateMachineArn": "{sm}", "input": "{"}, "InvalidExecutionInput", {}),
    ("StartExecution", {"stateMachineArn": PREFIX + ":stateMachine:Nope"}, "StateMachineDoesNotExist", {}),
    ("DescribeExecution", {"executionArn": "{e1}", "includedData": "METADATA_ONLY"}, "ok", {}),
    ("DescribeExecution", {"executionArn": PREFIX + ":execution:Py:nope"}, "ExecutionDoesNotExist", {}),
    ("DescribeExecution", {"executionArn": "{e1}", "includedData": "SOME"}, "ValidationException", {}),
    ("DescribeStateMachineForExecution", {"executionArn": "{e_alias}"}, "ok", {}),
    ("DescribeStateMachineForExecution", {"executionArn": PREFIX + ":execution:Py:nope"}, "ExecutionDoesNotExist", {}),
    ("ListExecutions", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("ListExecutions", {"stateMachineArn": "{sm}", "statusFilter": "NOPE"}, "ValidationException", {}),
    ("GetExecutionHistory", {"executionArn": "{e1}"}, "ok", {}),
    ("GetExecutionHistory", {"executionArn": "{e1}", "nextToken": "bad"}, "InvalidToken", {}),
    ("CreateStateMachine", {"name": "Waits", "definition": WAIT_DEF, "roleArn": ROLE}, "ok", {"waits": "stateMachineArn"}),
    ("StartExecution", {"stateMachineArn": "{waits}"}, "ok", {"running": "executionArn"}),
    ("StopExecution", {"executionArn": "{running}", "error": "Stopped"}, "ok", {}),
    ("StopExecution", {"executionArn": PREFIX + ":execution:Waits:nope"}, "ExecutionDoesNotExist", {}),
    ("CreateStateMachine", {"name": "Fails", "definition": FAIL_DEF, "roleArn": ROLE}, "ok", {"fails": "stateMachineArn"}),
    ("StartExecution", {"stateMachineArn": "{fails}"}, "ok", {"failed": "executionArn"}),
    ("@wait", {"executionArn": "{failed}"}, "ok", {}),
    ("RedriveExecution", {"executionArn": "{failed}"}, "ok", {}),
    ("RedriveExecution", {"executionArn": "{e1}"}, "ExecutionNotRedrivable", {}),
    ("CreateStateMachine", {"name": "Quick", "definition": pass_def("q"), "roleArn": ROLE, "type": "EXPRESS"},
     "ok", {"express": "stateMachineArn"}),
    ("StartSyncExecution", {"stateMachineArn": "{express}"}, "ok", {}),
    ("StartSyncExecution", {"stateMachineArn": "{sm}"}, "StateMachineTypeNotSupported", {}),
    ("CreateStateMachine", {"name": "Mapper", "definition": MAP_DEF, "roleArn": ROLE}, "ok", {"mapper": "stateMachineArn"}),
    ("StartExecution", {"stateMachineArn": "{mapper}", "input": "[1,2,3]"}, "ok", {"mapped": "executionArn"}),
    ("@wait", {"executionArn": "{mapped}"}, "ok", {}),
    ("ListMapRuns", {"executionArn": "{mapped}"}, "ok", {"run": "mapRuns.0.mapRunArn"}),
    ("ListMapRuns", {"executionArn": PREFIX + ":execution:Mapper:nope"}, "ExecutionDoesNotExist", {}),
    ("DescribeMapRun", {"mapRunArn": "{run}"}, "ok", {}),
    ("DescribeMapRun", {"mapRunArn": "{sm}"}, "InvalidArn", {}),
    ("UpdateMapRun", {"mapRunArn": "{run}", "maxConcurrency": 1}, "ok", {}),
    ("UpdateMapRun", {"mapRunArn": "{run}", "toleratedFailurePercentage": 101}, "ValidationException", {}),
    ("CreateActivity", {"name": "Act", "tags": [{"key": "k", "value": "v"}]}, "ok", {"act": "activityArn"}),
    ("CreateActivity", {"name": "bad name"}, "InvalidName", {}),
    ("DescribeActivity", {"activityArn": "{act}"}, "ok", {}),
    ("DescribeActivity", {"activityArn": PREFIX + ":activity:Nope"}, "ActivityDoesNotExist", {}),
    ("DescribeActivity", {"activityArn": "arn:aws:states:eu-west-1:123456789012:activity:Act"}, "InvalidArn", {}),
    ("ListActivities", {}, "ok", {}),
    ("GetActivityTask", {"activityArn": PREFIX + ":activity:Nope"}, "ActivityDoesNotExist", {}),
    ("SendTaskSuccess", {"taskToken": "bogus", "output": "{}"}, "InvalidToken", {}),
    ("SendTaskFailure", {"taskToken": "bogus"}, "InvalidToken", {}),
    ("SendTaskHeartbeat", {"taskToken": "bogus"}, "InvalidToken", {}),
    ("TagResource", {"resourceArn": "{sm}", "tags": [{"key": "env", "value": "dev"}]}, "ok", {}),
    ("TagResource", {"resourceArn": PREFIX + ":stateMachine:Nope", "tags": [{"key": "a", "value": "b"}]}, "ResourceNotFound", {}),
    ("ListTagsForResource", {"resourceArn": "{sm}"}, "ok", {}),
    ("ListTagsForResource", {"resourceArn": "nope"}, "InvalidArn", {}),
    ("UntagResource", {"resourceArn": "{sm}", "tagKeys": ["env"]}, "ok", {}),
    ("UntagResource", {"resourceArn": PREFIX + ":activity:Nope", "tagKeys": ["a"]}, "ResourceNotFound", {}),
    ("TestState", {"definition": TASK_STATE, "inspectionLevel": "DEBUG",
                   "mock": {"result": "{\"ok\": true}"}}, "ok", {}),
    ("TestState", {"definition": TASK_STATE, "mock": {"errorOutput": {"error": "Flaky", "cause": "c"}}}, "ok", {}),
    ("TestState", {"definition": "{\"Type\": \"Nope\"}"}, "InvalidDefinition", {}),
    ("TestState", {"definition": TASK_STATE, "inspectionLevel": "LOUD"}, "ValidationException", {}),
    ("DeleteStateMachineVersion", {"stateMachineVersionArn": "{v1}"}, "ConflictException", {}),
    ("DeleteStateMachineVersion", {"stateMachineVersionArn": "{sm}"}, "InvalidArn", {}),
    ("DeleteStateMachineAlias", {"stateMachineAliasArn": "{alias}"}, "ok", {}),
    ("DeleteStateMachineAlias", {"stateMachineAliasArn": "{alias}"}, "ResourceNotFound", {}),
    ("DeleteStateMachineVersion", {"stateMachineVersionArn": "{v1}"}, "ok", {}),
    ("DeleteActivity", {"activityArn": "{act}"}, "ok", {}),
    ("DeleteActivity", {"activityArn": "nope"}, "InvalidArn", {}),
    ("DeleteStateMachine", {"stateMachineArn": "{sm}"}, "ok", {}),
    ("DeleteStateMachine", {"stateMachineArn": "nope"}, "InvalidArn", {}),
]

# What a few responses must hold (operation index in CASES → check).
CHECKS = {
    "TestState#0": lambda r: r["status"] == "SUCCEEDED" and r["nextState"] == "Done" and "inspectionData" in r,
    "TestState#1": lambda r: r["status"] == "RETRIABLE" and r["error"] == "Flaky",
    "DescribeExecution#0": lambda r: "input" not in r and r["status"] in ("RUNNING", "SUCCEEDED"),
    "DescribeStateMachineForExecution#0": lambda r: re.search(r":Py:\d+$", r["stateMachineArn"]) is not None,
    "DescribeMapRun#0": lambda r: r["itemCounts"]["total"] == 3 and r["status"] == "SUCCEEDED",
    "ListTagsForResource#0": lambda r: {t["key"] for t in r["tags"]} == {"team", "env"},
}

OPERATIONS = 37


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def fill(value, saved):
    if isinstance(value, str):
        return re.sub(r"\{([a-z_0-9]+)\}", lambda m: saved[m.group(1)], value)
    if isinstance(value, list):
        return [fill(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, saved) for k, v in value.items()}
    return value


def pick(resp, path):
    for part in path.split("."):
        resp = resp[int(part)] if part.isdigit() else resp[part]
    return resp


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "debug", "stepfn")
    server = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0"],
                              stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in server.stderr:
            m = re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                url = m.group(0)
                break
        if not url:
            print("sdk-test: the server did not start")
            return 1
        client = boto3.client(
            "stepfunctions", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id="AKID", aws_secret_access_key="secret",
            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
        saved, failures, called, counts = {}, 0, set(), {}
        for op, params, expected, save in CASES:
            params = fill(params, saved)
            if op == "@wait":
                for _ in range(100):
                    d = client.describe_execution(**params)
                    if d["status"] != "RUNNING":
                        break
                    time.sleep(0.1)
                continue
            called.add(op)
            n = counts.get(op, 0)
            counts[op] = n + 1
            try:
                resp = getattr(client, snake(op))(**params)
                got = "ok"
            except ClientError as e:
                resp, got = None, e.response["Error"]["Code"]
            ok = got == expected
            check = CHECKS.get(f"{op}#{n}")
            if ok and resp is not None and check is not None and not check(resp):
                ok, got = False, f"ok, but the response fails its check: {json.dumps(resp, default=str)[:400]}"
            if ok and resp is not None:
                for name, path in save.items():
                    saved[name] = pick(resp, path)
            print(("ok    " if ok else "FAILED"), op, "->", got if ok else f"{got} (expected {expected})")
            failures += not ok
        if len(called) != OPERATIONS:
            print(f"FAILED: {len(called)} operations called, expected {OPERATIONS}")
            failures += 1
        print(f"sdk-test: {len(CASES) - failures} passed, {failures} failed, {len(called)} operations")
        return 1 if failures else 0
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
