"""One test per validation rule of the stack settings: the message names the key and range."""

import json

import pytest

from stack_settings import ConfigError, settings_from_config
from tests.unit.mocks import RecordingMocks, evaluate, stack_config


def config(**sections):
    return {f"order-platform:{k}": json.dumps(v) if isinstance(v, (dict, list)) else v
            for k, v in sections.items()}


def rejected(cfg) -> str:
    with pytest.raises(ConfigError) as error:
        settings_from_config(cfg)
    return str(error.value)


def test_defaults_suit_dev():
    s = settings_from_config({})
    assert (s.functions.api.memory, s.functions.api.timeout) == (512, 10)
    assert s.architecture == "arm64" and s.runtime == "python3.13"
    assert s.protect_stateful_resources is False
    assert s.queue.max_receive_count == 3 and s.events.high_value_threshold == 1000


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_every_stack_file_is_valid(stack):
    s = settings_from_config(stack_config(stack))
    assert s.default_tags["environment"] == stack


def test_unknown_key_is_named():
    message = rejected(config(memry="512"))
    assert "unknown config key order-platform:memry" in message


def test_unknown_nested_key_is_named():
    message = rejected(config(queue={"maxRecieveCount": 3}))
    assert "order-platform:queue.maxRecieveCount" in message


def test_memory_out_of_range_names_key_and_range():
    message = rejected(config(functions={"api": {"memory": 64}}))
    assert "order-platform:functions.api.memory" in message
    assert ">= 128 and <= 10240" in message


def test_timeout_out_of_range():
    message = rejected(config(functions={"queue": {"timeout": 901}}))
    assert "order-platform:functions.queue.timeout" in message and "<= 900" in message


def test_negative_retries_rejected():
    message = rejected(config(events={"targetMaxRetryAttempts": -1}))
    assert "order-platform:events.targetMaxRetryAttempts" in message
    assert ">= 0 and <= 185" in message


def test_async_retries_above_lambda_limit_rejected():
    assert "order-platform:events.asyncMaxRetryAttempts" in rejected(
        config(events={"asyncMaxRetryAttempts": 3}))


def test_threshold_not_a_number_rejected():
    message = rejected(config(events={"highValueThreshold": "lots"}))
    assert "order-platform:events.highValueThreshold" in message and "valid number" in message


def test_wrong_type_rejected():
    assert "order-platform:tracing" in rejected(config(tracing="sometimes"))


def test_architecture_must_be_known():
    assert "'arm64' or 'x86_64'" in rejected(config(architecture="arm"))


def test_log_retention_must_be_a_cloudwatch_value():
    message = rejected(config(logRetentionDays="13"))
    assert "order-platform:logRetentionDays" in message and "14" in message


def test_batch_window_and_receive_count_ranges():
    assert "order-platform:queue.batchingWindowSeconds" in rejected(
        config(queue={"batchingWindowSeconds": 301}))
    assert "order-platform:queue.maxReceiveCount" in rejected(config(queue={"maxReceiveCount": 0}))
    assert "order-platform:queue.maximumConcurrency" in rejected(
        config(queue={"maximumConcurrency": 1}))


def test_datapoints_cannot_exceed_evaluation_periods():
    message = rejected(config(monitoring={"evaluationPeriods": 1, "datapointsToAlarm": 2}))
    assert "order-platform:monitoring.datapointsToAlarm" in message


def test_cors_origins_cannot_be_empty():
    assert "order-platform:api.corsAllowedOrigins" in rejected(
        config(api={"corsAllowedOrigins": []}))


def test_required_default_tags():
    message = rejected({"aws:defaultTags": json.dumps({"tags": {"project": "x"}})})
    assert "aws:defaultTags" in message and "environment" in message


def test_bad_config_fails_before_any_resource_is_registered():
    cfg = dict(stack_config("dev"))
    cfg["order-platform:functions"] = json.dumps({"api": {"memory": 64}})
    mocks = RecordingMocks()
    with pytest.raises(ConfigError, match="functions.api.memory"):
        evaluate("dev", config=cfg, mocks=mocks)
    assert mocks.resources == []


def test_provisioned_concurrency_is_off_by_default_and_per_api_function():
    assert settings_from_config({}).api.provisioned_concurrency == {}
    message = rejected(config(lambdaConcurrencyQuota=1000,
                              api={"provisionedConcurrency": {"process-order": 2}}))
    assert "order-platform:api.provisionedConcurrency.process-order" in message


def test_provisioned_concurrency_beyond_the_account_quota_names_both_keys():
    # A new account: 10 concurrent executions, of which Lambda keeps 100 unreserved.
    message = rejected(config(api={"provisionedConcurrency": {"get-order": 1}}))
    assert "order-platform:api" in message and "order-platform:lambdaConcurrencyQuota 10" in \
        message
    message = rejected(config(lambdaConcurrencyQuota=103,
                              api={"provisionedConcurrency": {"get-order": 2, "get-user": 2}}))
    assert "asks for 4 instances" in message and "at most 3 fit" in message
    raised = settings_from_config(config(lambdaConcurrencyQuota=104, api={
        "provisionedConcurrency": {"get-order": 2, "get-user": 2}}))
    assert raised.api.provisioned_concurrency == {"get-order": 2, "get-user": 2}


def test_powertools_layer_arn_follows_runtime_and_architecture():
    from powertools_layer import layer_version

    s = settings_from_config(config(architecture="x86_64", runtime="python3.12"))
    assert s.powertools_layer_arn("eu-west-1") == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:"
        f"AWSLambdaPowertoolsPythonV3-python312-x86_64:{layer_version('x86_64', 'eu-west-1')}")
    # The version is not a stack setting: it follows the tested release.
    assert "unknown config key" in rejected(config(powertoolsLayerVersion="21"))


def test_max_order_amount_defaults_inside_dynamodb_range_and_is_bounded():
    assert settings_from_config({}).api.max_order_amount == 1_000_000
    message = rejected(config(api={"maxOrderAmount": 0}))
    assert "order-platform:api.maxOrderAmount" in message and ">= 1 and <= 1000000000000" in message
    assert "order-platform:api.maxOrderAmount" in rejected(config(api={"maxOrderAmount": 10**13}))


def test_outbox_retries_age_and_batch_ranges():
    assert "order-platform:events.outboxMaxRetryAttempts" in rejected(
        config(events={"outboxMaxRetryAttempts": 10001}))
    # A stream keeps its records 24 hours: an older record age could never be reached.
    assert "order-platform:events.outboxMaxRecordAgeSeconds" in rejected(
        config(events={"outboxMaxRecordAgeSeconds": 86401}))
    assert "order-platform:events.outboxBatchSize" in rejected(
        config(events={"outboxBatchSize": 0}))
