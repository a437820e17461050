"""The rules on small hand-made stacks: the documented exceptions pass, broken resources fail
with a message naming them, and values unknown during preview are handled per value."""

from __future__ import annotations

import json

import pytest

from order_policies import RULES, UNKNOWN, Resource, run

RULE = {rule.name: rule for rule in RULES}
FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders-send-email"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders"
DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"


def check(rule: str, *resources: Resource) -> list[str]:
    return [v.message for v in run([RULE[rule]], resources)]


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources="arn:aws:dynamodb:eu-west-1:123456789012:table/orders", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def role_policy(name: str, *statements: dict) -> Resource:
    return Resource("aws:iam/rolePolicy:RolePolicy", name, {"policy": document(*statements)})


# -- IAM ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["*", "s3:*", ["dynamodb:GetItem", "dynamodb:*"]])
def test_wildcard_actions_fail(action):
    messages = check("iam-no-wildcard-actions", role_policy("wild", allow(action)))
    assert messages and "'wild'" in messages[0]


def test_not_action_fails():
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert check("iam-no-wildcard-actions", role_policy("not-action", statement))


def test_prefix_wildcards_and_deny_statements_pass():
    policy = role_policy("fine", allow(["kms:GenerateDataKey*"]),
                         {"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert check("iam-no-wildcard-actions", policy) == []
    assert check("iam-star-resource-exceptions", policy) == []


def test_trust_policies_and_queue_policies_are_checked():
    trust = Resource("aws:iam/role:Role", "any-role", {"assumeRolePolicy": document(
        {"Effect": "Allow", "Action": "sts:*", "Principal": {"Service": "lambda.amazonaws.com"}})})
    queue_policy = Resource("aws:sqs/queuePolicy:QueuePolicy", "open-queue", {"policy": document(
        {"Effect": "Allow", "Action": "sqs:*", "Resource": QUEUE_ARN,
         "Principal": {"Service": "events.amazonaws.com"}})})
    assert len(check("iam-no-wildcard-actions", trust, queue_policy)) == 2


def test_kms_star_only_for_the_account_root():
    root = {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
    service = {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
               "Principal": {"Service": "events.amazonaws.com"}}
    ok = Resource("aws:kms/key:Key", "key", {"policy": document(root)})
    bad = Resource("aws:kms/key:Key", "too-open-key", {"policy": document(root, service)})
    assert check("iam-no-wildcard-actions", ok) == []
    assert check("iam-star-resource-exceptions", ok) == []  # `*` in a key policy: this key
    messages = check("iam-no-wildcard-actions", bad)
    assert len(messages) == 1 and "'too-open-key'" in messages[0]


def test_service_principals_need_a_source_condition_in_resource_and_key_policies():
    service = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
               "Action": "sns:Publish", "Resource": "arn:aws:sns:eu-west-1:123456789012:t"}
    scoped = {**service, "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:x"}}}
    # IfExists still names the key: the rule asks for the condition, not its operator.
    if_exists = {**service, "Condition": {
        "StringEqualsIfExists": {"aws:sourceaccount": "123456789012"}}}
    account = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
               "Action": "kms:*", "Resource": "*"}
    rule = "service-principal-source-condition"
    assert check(rule, Resource("aws:sns/topicPolicy:TopicPolicy", "open",
                                {"policy": document(service)}))
    assert check(rule, Resource("aws:kms/key:Key", "open-key",
                                {"policy": document(account, service)}))
    assert check(rule, Resource("aws:sns/topicPolicy:TopicPolicy", "scoped",
                                {"policy": document(scoped, if_exists)})) == []
    # Trust policies are another matter (the role's own trust): not this rule's.
    trust = Resource("aws:iam/role:Role", "r", {"assumeRolePolicy": document(
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}})})
    assert check(rule, trust) == []


def test_star_resource_exceptions():
    xray = allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*")
    log_delivery = allow(["logs:CreateLogDelivery", "logs:GetLogDelivery",
                          "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                          "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                          "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"], ["*"])
    assert check("iam-star-resource-exceptions", role_policy("ok", xray, log_delivery)) == []
    messages = check("iam-star-resource-exceptions",
                     role_policy("mixed", allow(["xray:PutTraceSegments", "ses:SendEmail"], "*")))
    assert len(messages) == 1 and "ses:SendEmail" in messages[0] and "'mixed'" in messages[0]


def test_policy_that_is_not_json_is_reported():
    broken = Resource("aws:iam/rolePolicy:RolePolicy", "broken", {"policy": "{not json"})
    assert any("'broken'" in m for m in check("iam-no-wildcard-actions", broken))


def test_unknown_policy_document_is_skipped_during_preview():
    pending = Resource("aws:iam/rolePolicy:RolePolicy", "pending", {"policy": UNKNOWN})
    assert check("iam-no-wildcard-actions", pending) == []


# -- asynchronous edges --------------------------------------------------------------------

def function(name="orders-send-email", **props) -> Resource:
    return Resource("aws:lambda/function:Function", name, {"name": name, "arn": FN_ARN, **props},
                    urn=f"urn:fn:{name}")


def event_target(arn=FN_ARN, name="send-email-target", **props) -> Resource:
    return Resource("aws:cloudwatch/eventTarget:EventTarget", name,
                    {"arn": arn, "deadLetterConfig": {"arn": DLQ_ARN}, **props})


def invoke_config(function_name="orders-send-email", qualifier=None, destination=DLQ_ARN):
    props = {"functionName": function_name,
             "destinationConfig": {"onFailure": {"destination": destination}}}
    if qualifier:
        props["qualifier"] = qualifier
    return Resource("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
                    "send-email-async", props)


def test_event_target_needs_a_dead_letter_queue():
    target = event_target(deadLetterConfig=None)
    messages = check("eventbridge-target-dead-letter", target)
    assert messages and "'send-email-target'" in messages[0]


def test_async_target_with_failure_destination_passes():
    for config in (invoke_config(), invoke_config(function_name=FN_ARN)):
        assert check("async-invoke-failure-destination", function(), event_target(), config) == []


def test_async_target_without_invoke_config_fails():
    messages = check("async-invoke-failure-destination", function(), event_target())
    assert messages and "orders-send-email" in messages[0] and "send-email-target" in messages[0]


def test_alias_target_needs_the_alias_config():
    alias_target = event_target(arn=f"{FN_ARN}:live")
    assert check("async-invoke-failure-destination", alias_target, invoke_config())
    assert check("async-invoke-failure-destination", alias_target,
                 invoke_config(qualifier="live")) == []


def test_sns_lambda_subscription_is_an_async_edge():
    subscription = Resource("aws:sns/topicSubscription:TopicSubscription", "to-fn",
                            {"protocol": "lambda", "endpoint": FN_ARN})
    email = Resource("aws:sns/topicSubscription:TopicSubscription", "to-people",
                     {"protocol": "email", "endpoint": "oncall@example.com"})
    assert check("async-invoke-failure-destination", subscription)
    assert check("async-invoke-failure-destination", email) == []


def test_queue_and_topic_targets_need_no_invoke_config():
    assert check("async-invoke-failure-destination", event_target(arn=QUEUE_ARN)) == []


def test_unknown_target_arn_follows_the_reference():
    # During preview a new function's ARN is unknown; the property dependency names it.
    target = Resource("aws:cloudwatch/eventTarget:EventTarget", "pending-target",
                      {"arn": UNKNOWN}, refs={"arn": ("urn:fn:orders-send-email",)})
    assert check("async-invoke-failure-destination", function(), target)
    assert check("async-invoke-failure-destination", function(), target, invoke_config()) == []


def queue(redrive=None, name="orders", **props) -> Resource:
    values = {"arn": QUEUE_ARN, "url": f"https://sqs/{name}", **props}
    if redrive is not None:
        values["redrivePolicy"] = redrive
    return Resource("aws:sqs/queue:Queue", name, values, urn=f"urn:queue:{name}")


def mapping(source=QUEUE_ARN, **refs) -> Resource:
    return Resource("aws:lambda/eventSourceMapping:EventSourceMapping", "orders-mapping",
                    {"eventSourceArn": source, "functionName": FN_ARN}, refs=refs)


def test_source_queue_redrive():
    good = json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5})
    assert check("sqs-source-redrive", queue(good), mapping()) == []
    messages = check("sqs-source-redrive", queue(), mapping())
    assert messages and "'orders'" in messages[0]


def test_redrive_as_a_separate_resource():
    separate = Resource("aws:sqs/redrivePolicy:RedrivePolicy", "orders-redrive", {
        "queueUrl": "https://sqs/orders",
        "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 3})})
    assert check("sqs-source-redrive", queue(), mapping(), separate) == []


def test_unknown_source_follows_the_reference():
    pending = mapping(UNKNOWN, eventSourceArn=("urn:queue:orders",))
    assert check("sqs-source-redrive", queue(), pending)


# -- environment-dependent rules ----------------------------------------------------------

def test_production_rules_only_apply_in_production():
    table = {"pointInTimeRecovery": {"enabled": False}, "deletionProtectionEnabled": False}
    dev = Resource("aws:dynamodb/table:Table", "orders", table, environment="dev")
    prod = Resource("aws:dynamodb/table:Table", "orders", table, environment="prod")
    assert check("dynamodb-production-protection", dev) == []
    assert len(check("dynamodb-production-protection", prod)) == 2
    dev_fn = function(tracingConfig={"mode": "PassThrough"})
    assert check("lambda-tracing-in-production", dev_fn) == []


# -- encryption, logs, tags ---------------------------------------------------------------

def test_queue_encryption_with_a_kms_key_passes():
    kms = Resource("aws:sqs/queue:Queue", "kms-queue", {"kmsMasterKeyId": "alias/orders"})
    assert check("sqs-encryption", kms) == []


def test_topic_without_key_fails():
    topic = Resource("aws:sns/topic:Topic", "plain-topic", {})
    messages = check("sns-encryption", topic)
    assert messages and "'plain-topic'" in messages[0]


def test_function_log_group_found_by_reference_during_preview():
    group = Resource("aws:cloudwatch/logGroup:LogGroup", "fn-logs",
                     {"name": UNKNOWN, "retentionInDays": 14}, urn="urn:lg")
    fn = function(loggingConfig={"logGroup": UNKNOWN})
    fn = Resource(fn.type, fn.name, fn.props, urn=fn.urn, refs={"loggingConfig": ("urn:lg",)})
    assert check("lambda-managed-log-group", fn, group) == []


def test_resource_tags_make_up_for_provider_defaults():
    tagged = Resource("aws:sqs/queue:Queue", "tagged", {
        "tagsAll": {"project": "order-platform", "environment": "dev"}})
    untagged = Resource("aws:sqs/queue:Queue", "untagged", {}, default_tags={"project": "x"})
    assert check("required-tags", tagged) == []
    messages = check("required-tags", tagged, untagged)
    assert len(messages) == 1 and "untagged" in messages[0] and "environment" in messages[0]


# -- API Gateway methods ------------------------------------------------------------------

def method(verb, authorization, authorizer_id="auth-1") -> Resource:
    return Resource("aws:apigateway/method:Method", f"api-{str(verb).lower()}",
                    {"httpMethod": verb, "authorization": authorization,
                     "authorizerId": authorizer_id})


@pytest.mark.parametrize("verb", ["GET", "POST", "DELETE", "ANY"])
def test_open_methods_fail(verb):
    [message] = check("api-method-authorization", method(verb, "NONE", None))
    assert f"'api-{verb.lower()}'" in message and "open to anyone" in message


def test_preflights_authorized_methods_and_unknowns_pass():
    assert check("api-method-authorization", method("OPTIONS", "NONE", None),
                 method("GET", "COGNITO_USER_POOLS"), method("PUT", "AWS_IAM", None),
                 method("GET", "COGNITO_USER_POOLS", UNKNOWN), method(UNKNOWN, "NONE")) == []


def test_an_authorizer_type_without_an_authorizer_fails():
    assert check("api-method-authorization", method("GET", "COGNITO_USER_POOLS", None))
