"""Resource-policy evaluation against AWS's documented rules (IAM User Guide: "AWS JSON policy
elements: Principal" and "NotPrincipal", "Policy evaluation logic" within one account,
"Cross-service confused deputy prevention" for aws:SourceArn / aws:SourceAccount)."""

from __future__ import annotations

from localcloud.services.iam.policy import Decision, Request
from localcloud.services.iam.resource_policy import (Principal, combined,
                                                     evaluate_resource_policy, service_request)

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:send-email"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/order-bus/order-placed"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/create-order"

EVENTS = Principal(ACCOUNT, service="events.amazonaws.com")
FUNCTION_ROLE = Principal(ACCOUNT, arn=SESSION)
SEND = Request("sqs:SendMessage", QUEUE)


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, action="sqs:SendMessage", resource=QUEUE, **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource,
            **extra}


def decide(document, principal, request=SEND) -> Decision:
    return evaluate_resource_policy(document, principal, request)


def test_no_policy_allows_nothing():
    assert decide(None, EVENTS) is Decision.IMPLICIT_DENY
    assert decide(policy(), FUNCTION_ROLE) is Decision.IMPLICIT_DENY


def test_a_service_principal_is_named_by_its_service_name_only():
    named = policy(allow({"Service": ["sns.amazonaws.com", "events.amazonaws.com"]}))
    assert decide(named, EVENTS) is Decision.ALLOW
    assert decide(policy(allow({"Service": "sns.amazonaws.com"})), EVENTS) is Decision.IMPLICIT_DENY
    # a service is no principal of the account, nor a role
    assert decide(policy(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})),
                  EVENTS) is Decision.IMPLICIT_DENY


def test_a_wildcard_principal_names_everyone():
    for everyone in ("*", {"AWS": "*"}):
        assert decide(policy(allow(everyone)), EVENTS) is Decision.ALLOW
        assert decide(policy(allow(everyone)), FUNCTION_ROLE) is Decision.ALLOW


def test_a_role_arn_names_its_sessions_and_a_session_arn_that_session_only():
    assert decide(policy(allow({"AWS": ROLE})), FUNCTION_ROLE) is Decision.ALLOW
    assert decide(policy(allow({"AWS": SESSION})), FUNCTION_ROLE) is Decision.ALLOW
    other = Principal(ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/other")
    assert decide(policy(allow({"AWS": SESSION})), other) is Decision.IMPLICIT_DENY
    assert decide(policy(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/another"})),
                  FUNCTION_ROLE) is Decision.IMPLICIT_DENY


def test_an_allow_to_the_account_only_delegates_to_identity_policies():
    for account in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"):
        assert decide(policy(allow({"AWS": account})), FUNCTION_ROLE) is Decision.IMPLICIT_DENY


def test_a_deny_to_the_account_applies_to_its_roles():
    denied = policy(allow("*"), {"Effect": "Deny", "Principal": {"AWS": ACCOUNT},
                                 "Action": "sqs:*", "Resource": QUEUE})
    assert decide(denied, FUNCTION_ROLE) is Decision.EXPLICIT_DENY


def test_not_principal_applies_to_everyone_it_does_not_name():
    deny_others = policy(allow("*"), {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE},
                                      "Action": "sqs:SendMessage", "Resource": QUEUE})
    assert decide(deny_others, FUNCTION_ROLE) is Decision.ALLOW
    assert decide(deny_others, EVENTS) is Decision.EXPLICIT_DENY


def test_the_source_arn_condition_holds_for_that_source_only():
    permission = policy(allow({"Service": "events.amazonaws.com"}, "lambda:InvokeFunction",
                              FUNCTION, Condition={"ArnLike": {"AWS:SourceArn": RULE}}))
    invoke = "lambda:InvokeFunction"
    assert decide(permission, EVENTS, service_request(invoke, FUNCTION, RULE)) is Decision.ALLOW
    other_rule = RULE.replace("order-placed", "high-value-order")
    assert decide(permission, EVENTS,
                  service_request(invoke, FUNCTION, other_rule)) is Decision.IMPLICIT_DENY


def test_a_source_account_condition_refuses_another_account_s_source():
    held = policy(allow({"Service": "events.amazonaws.com"},
                        Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    assert decide(held, EVENTS, service_request("sqs:SendMessage", QUEUE, RULE)) is Decision.ALLOW
    foreign = RULE.replace(ACCOUNT, "999999999999")
    assert decide(held, EVENTS,
                  service_request("sqs:SendMessage", QUEUE, foreign)) is Decision.IMPLICIT_DENY


def test_sns_s_default_topic_policy_lets_the_account_s_own_sources_publish():
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
    default = policy(allow({"AWS": "*"}, ["SNS:Publish", "SNS:Subscribe"], topic,
                           Condition={"StringEquals": {"AWS:SourceOwner": ACCOUNT}}))
    alarm = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:errors"
    cloudwatch = Principal(ACCOUNT, service="cloudwatch.amazonaws.com")
    assert decide(default, cloudwatch, service_request("sns:Publish", topic, alarm)) \
        is Decision.ALLOW
    assert decide(default, cloudwatch, service_request(
        "sns:Publish", topic, alarm.replace(ACCOUNT, "999999999999"))) is Decision.IMPLICIT_DENY


def test_same_account_either_policy_allowing_is_enough():
    assert combined(Decision.ALLOW, Decision.IMPLICIT_DENY) is Decision.ALLOW
    assert combined(Decision.IMPLICIT_DENY, Decision.ALLOW) is Decision.ALLOW  # resource only
    assert combined(Decision.IMPLICIT_DENY, Decision.IMPLICIT_DENY) is Decision.IMPLICIT_DENY


def test_same_account_an_explicit_deny_in_either_policy_wins():
    assert combined(Decision.ALLOW, Decision.EXPLICIT_DENY) is Decision.EXPLICIT_DENY
    assert combined(Decision.EXPLICIT_DENY, Decision.ALLOW) is Decision.EXPLICIT_DENY


def test_a_service_principal_needs_the_resource_policy():
    assert combined(None, Decision.ALLOW) is Decision.ALLOW
    assert combined(None, Decision.IMPLICIT_DENY) is Decision.IMPLICIT_DENY


def test_a_resource_policy_allow_for_the_role_allows_a_call_its_identity_policy_lacks():
    resource = decide(policy(allow({"AWS": ROLE})), FUNCTION_ROLE)
    assert combined(Decision.IMPLICIT_DENY, resource) is Decision.ALLOW
