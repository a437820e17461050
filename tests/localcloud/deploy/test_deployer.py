"""The deployer: the fixture program's resources exist in the emulator with their properties."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from localcloud.app.cloud import start_local_cloud
from localcloud.deploy.provider import policy_document
from localcloud.deploy.resources.base import Context
from localcloud.deploy.stack_config import DeployError, load_stack_config
from tests.localcloud.paths import FIXTURE_APP



def test_outputs_resolve_to_emulator_values_and_local_urls(outputs, endpoint):
    assert outputs["region"] == "us-east-1"
    assert outputs["accountId"] == "123456789012"
    assert outputs["tableName"] == "items"
    assert outputs["queueUrl"] == f"{endpoint}/123456789012/work"
    assert outputs["apiUrl"].startswith(f"{endpoint}/restapis/")
    assert outputs["apiUrl"].endswith("/v1/_user_request_")
    assert outputs["echoInvokeArn"] == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:fixture-echo/invocations")
    assert outputs["tableStreamArn"].startswith(
        "arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/")


def test_summary_counts_types_and_names_what_is_not_emulated(local_cloud):
    deployment = local_cloud.deployment
    assert deployment.created["aws:lambda/function:Function"] == 5
    assert deployment.created["aws:sqs/queue:Queue"] == 4
    assert deployment.components == {"lcfixture:components:Functions": 1}
    assert deployment.not_emulated == {}
    assert deployment.external_layers == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7"]
    summary = local_cloud.summary()
    assert "aws:lambda/function:Function" in summary and "apiUrl" in summary


def test_table_has_its_keys_index_ttl_and_stream(aws):
    ddb = aws("dynamodb")
    table = ddb.describe_table(TableName="items")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byDay"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ttl = ddb.describe_time_to_live(TableName="items")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_queue_attributes_and_redrive_to_the_dlq(aws, outputs):
    sqs = aws("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["queueUrl"],
                                          AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:work-dlq",
                       "maxReceiveCount": 3}
    dlq = sqs.get_queue_attributes(QueueUrl=outputs["dlqUrl"],
                                   AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == "1209600"
    policy = json.loads(sqs.get_queue_attributes(
        QueueUrl=outputs["failuresUrl"], AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Action"] == "sqs:SendMessage"


def test_triggers_are_run_by_the_local_cloud_not_by_moto(aws, local_cloud, outputs):
    # moto would run these itself (and fail without Docker): SNS → Lambda subscriptions are in
    # the registry only; mappings are stored in moto too (it never runs them: moto_fixes).
    subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=outputs["topicArn"])
    assert [s["Protocol"] for s in subscriptions["Subscriptions"]] == ["sqs"]
    registry = local_cloud.registry
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:work"
    [stored] = aws("lambda").list_event_source_mappings(
        EventSourceArn=queue_arn)["EventSourceMappings"]
    [mapping] = [m for m in registry.event_source_mappings if m.event_source_arn == queue_arn]
    assert mapping.uuid == stored["UUID"]
    assert (mapping.function_name, mapping.batch_size, mapping.maximum_batching_window_seconds,
            mapping.function_response_types) == ("fixture-echo", 5, 1, ["ReportBatchItemFailures"])
    [subscription] = registry.sns_lambda_subscriptions
    assert subscription.topic_arn == outputs["topicArn"]
    assert subscription.function_arn.endswith(":function:fixture-echo")


def test_function_exists_in_moto_and_in_the_registry(aws, local_cloud):
    config = aws("lambda").get_function_configuration(FunctionName="fixture-slow")
    assert (config["Runtime"], config["Handler"], config["Timeout"], config["MemorySize"]) == (
        "python3.13", "handlers.app.slow", 1, 256)
    assert config["Environment"]["Variables"]["FUNCTION_KEY"] == "slow"
    spec = local_cloud.registry.functions["fixture-slow"]
    assert spec.reserved_concurrency == 1
    assert aws("lambda").get_function_concurrency(FunctionName="fixture-slow")[
        "ReservedConcurrentExecutions"] == 1
    assert spec.log_format == "JSON" and spec.log_group == "/aws/lambda/fixture-slow"
    assert len(spec.layer_dirs) == 1  # the external Powertools layer comes from the venv
    fail = local_cloud.registry.functions["fixture-fail"]
    assert fail.async_config.maximum_retry_attempts == 2
    assert fail.async_config.maximum_event_age_seconds == 3600
    assert fail.async_config.on_failure_arn == "arn:aws:sqs:us-east-1:123456789012:async-failures"


def test_rules_and_targets_are_stored_with_retry_policy_and_dlq(aws):
    events = aws("events")
    rule = events.describe_rule(Name="big-orders", EventBusName="fixture-bus")
    assert json.loads(rule["EventPattern"])["detail"] == {"amount": [{"numeric": [">", 100]}]}
    assert rule["State"] == "ENABLED"
    [target] = events.list_targets_by_rule(Rule="big-orders", EventBusName="fixture-bus")["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600}
    assert target["DeadLetterConfig"]["Arn"].endswith(":work-dlq")
    assert events.describe_rule(Name="nightly")["ScheduleExpression"] == "cron(0 3 * * ? *)"
    [nightly] = events.list_targets_by_rule(Rule="nightly")["Targets"]
    assert json.loads(nightly["Input"]) == {"job": "nightly"}


def test_rest_api_definition_is_stored(aws, outputs):
    apigw = aws("apigateway")
    api_id = _api_id(outputs["apiUrl"])
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api_id)["items"]}
    integration = apigw.get_integration(restApiId=api_id, resourceId=resources["/items"]["id"],
                                        httpMethod="GET")
    assert integration["type"] == "AWS_PROXY"
    assert integration["uri"] == outputs["echoInvokeArn"]
    stage = apigw.get_stage(restApiId=api_id, stageName="v1")
    assert stage["variables"] == {"mode": "test"}


def _api_id(api_url: str) -> str:
    return api_url.split("/restapis/")[1].split("/")[0]


def test_rest_api_id_is_the_same_on_every_deployment_of_the_stack(outputs, tmp_path):
    api_id = _api_id(outputs["apiUrl"])
    assert re.fullmatch(r"[a-z0-9]{10}", api_id)  # AWS's shape
    again = start_local_cloud(FIXTURE_APP, stack="local", port=0, time_scale=60,
                              state_dir=str(tmp_path), console=None)
    try:
        assert _api_id(again.deployment.outputs["apiUrl"]) == api_id
        # a URL saved from the first run serves on the second (only the port differs)
        with urllib.request.urlopen(f"{again.endpoint_url}/restapis/{api_id}/v1/_user_request_"
                                    "/items", timeout=30) as response:
            assert response.status == 200
    finally:
        again.stop()


def test_stable_ids_differ_across_stacks_and_logical_names():
    def ctx(stack: str) -> Context:
        return Context(aws=None, region="us-east-1", account_id="1", endpoint_url="",
                       state_dir="", project_dir="", project="app", stack=stack)
    assert ctx("local").stable_id("api") == ctx("local").stable_id("api")
    assert len({ctx("local").stable_id("api"), ctx("dev").stable_id("api"),
                ctx("local").stable_id("other-api")}) == 3


def test_secret_value_and_alarm(aws, outputs):
    secret = aws("secretsmanager").get_secret_value(SecretId=outputs["secretArn"])
    assert json.loads(secret["SecretString"]) == {"key": "sk_test"}
    [alarm] = aws("cloudwatch").describe_alarms(AlarmNames=["echo-errors"])["MetricAlarms"]
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "fixture-echo"}]
    assert alarm["AlarmActions"] == [outputs["topicArn"]]
    assert alarm["Threshold"] == 1.0 and alarm["EvaluationPeriods"] == 1
    [group] = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fixture-echo")[
        "logGroups"]
    assert group["retentionInDays"] == 7


def test_state_machine_runs_its_lambda_task_through_the_gateway(aws, outputs):
    sfn = aws("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=outputs["stateMachineArn"],
                                    name=f"run-{time.time_ns()}", input=json.dumps({"n": 1}))
    deadline = time.monotonic() + 30
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"n": 1, "echo": {"layer": "from-layer"}}

    # The logging configuration reached moto, and the history went to the vended log group.
    logging = sfn.describe_state_machine(stateMachineArn=outputs["stateMachineArn"])[
        "loggingConfiguration"]
    assert (logging["level"], logging["includeExecutionData"]) == ("ALL", False)
    [destination] = logging["destinations"]
    assert destination["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(
        ":log-group:/aws/vendedlogs/states/fixture:*")
    events = aws("logs").filter_log_events(logGroupName="/aws/vendedlogs/states/fixture")["events"]
    records = [json.loads(event["message"]) for event in events
               if json.loads(event["message"])["execution_arn"] == execution["executionArn"]]
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    assert [r["type"] for r in records] == [event["type"] for event in history]


def test_stack_config_is_read_like_the_pulumi_cli_passes_it():
    project, config, _ = load_stack_config(FIXTURE_APP, "local")
    assert project == "lcfixture"
    assert config["lcfixture:greeting"] == "hello from config"
    assert config["lcfixture:slowTimeout"] == "1"
    assert json.loads(config["lcfixture:tags"]) == {"team": "platform", "env": "local"}
    with pytest.raises(DeployError, match="no stack settings file"):
        load_stack_config(FIXTURE_APP, "nope")


def test_policy_document_invoke_builds_iam_json():
    document = policy_document({"statements": [{
        "actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:us-east-1:1:q"],
        "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
        "conditions": [{"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["arn:x"]}],
    }]})
    assert document == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:1:q",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:x"}}}]}


def test_user_pool_client_group_and_authorizers_are_stored(aws, outputs, local_cloud):
    cognito = aws("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=outputs["userPoolId"])["UserPool"]
    assert pool["Name"] == "fixture-users" and pool["UsernameAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    client = cognito.describe_user_pool_client(
        UserPoolId=outputs["userPoolId"], ClientId=outputs["userPoolClientId"])["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert [g["GroupName"] for g in cognito.list_groups(
        UserPoolId=outputs["userPoolId"])["Groups"]] == ["admin"]
    authorizers = {a["type"]: a for a in aws("apigateway").get_authorizers(
        restApiId=_api_id(outputs["apiUrl"]))["items"]}
    assert authorizers["COGNITO_USER_POOLS"]["providerARNs"] == [pool["Arn"]]
    # what the local cloud does not enforce is said at start-up
    assert any("(TOKEN) is NOT enforced" in note for note in local_cloud.deployment.notes)
    assert "NOT enforced" in local_cloud.summary()
