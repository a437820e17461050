"""The identity-policy evaluator against AWS's documented evaluation logic, rule by rule
(IAM User Guide: "Policy evaluation logic", "IAM JSON policy elements": NotAction, NotResource,
Resource wildcards, Condition operators and missing keys)."""

from __future__ import annotations

import pytest

from localcloud.services.iam.policy import Decision, Request, evaluate, unsupported_operators
from tests.localcloud.services.iam.policy_documents import QUEUE, TABLE, allow, deny, policy



def test_no_statement_means_an_implicit_deny():
    assert evaluate([], Request("dynamodb:GetItem", TABLE)) is Decision.IMPLICIT_DENY
    assert evaluate([policy(allow("sqs:SendMessage", QUEUE))],
                    Request("dynamodb:GetItem", TABLE)) is Decision.IMPLICIT_DENY


def test_an_allow_on_the_action_and_resource_allows():
    assert evaluate([policy(allow("dynamodb:GetItem", TABLE))],
                    Request("dynamodb:GetItem", TABLE)) is Decision.ALLOW


def test_explicit_deny_wins_over_an_allow_in_another_policy():
    documents = [policy(allow("dynamodb:*", "*")), policy(deny("dynamodb:DeleteItem", TABLE))]
    assert evaluate(documents, Request("dynamodb:DeleteItem", TABLE)) is Decision.EXPLICIT_DENY
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) is Decision.ALLOW


def test_explicit_deny_wins_whatever_the_statement_order():
    documents = [policy(deny("sqs:*", "*"), allow("sqs:SendMessage", QUEUE))]
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.EXPLICIT_DENY


def test_actions_match_case_insensitively_with_wildcards():
    documents = [policy(allow(["DynamoDB:get*", "sqs:?endMessage"], "*"))]
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) is Decision.ALLOW
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.ALLOW
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize("pattern, resource, allowed", [
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", TABLE, True),
    ("arn:aws:dynamodb:*:*:table/orders", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/ord?rs", TABLE, True),
    # a table's ARN does not cover its indexes: they need their own (or a wildcard) grant
    (TABLE, f"{TABLE}/index/byDate", False),
    (f"{TABLE}/index/*", f"{TABLE}/index/byDate", True),
    (f"{TABLE}*", f"{TABLE}/index/byDate", True),
    # resource ARNs are case-sensitive, and a "." in a pattern is no wildcard
    ("arn:aws:dynamodb:us-east-1:123456789012:table/Orders", TABLE, False),
    ("arn:aws:sqs:us-east-1:123456789012:work.fifo", "arn:aws:sqs:us-east-1:123456789012:workxfifo",
     False),
])
def test_resource_wildcards(pattern, resource, allowed):
    decision = evaluate([policy(allow("dynamodb:Query", pattern))],
                        Request("dynamodb:Query", resource))
    assert decision is (Decision.ALLOW if allowed else Decision.IMPLICIT_DENY)


def test_not_action_allows_everything_but_the_actions_listed():
    documents = [policy({"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": "*"})]
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) is Decision.ALLOW
    assert evaluate(documents, Request("dynamodb:DeleteItem", TABLE)) is Decision.IMPLICIT_DENY


def test_not_action_with_deny_denies_everything_else():
    # The documented "deny all but" pattern: NotAction + Deny does not itself allow the listed.
    documents = [policy(allow("*", "*"),
                        {"Effect": "Deny", "NotAction": ["sqs:*"], "Resource": "*"})]
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.ALLOW
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) is Decision.EXPLICIT_DENY


def test_not_resource_applies_to_every_other_resource():
    documents = [policy(allow("dynamodb:GetItem", "*"),
                        {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE})]
    other = "arn:aws:dynamodb:us-east-1:123456789012:table/users"
    assert evaluate(documents, Request("dynamodb:GetItem", TABLE)) is Decision.ALLOW
    assert evaluate(documents, Request("dynamodb:GetItem", other)) is Decision.EXPLICIT_DENY


def test_a_condition_that_fails_makes_an_allow_not_apply_and_never_denies():
    identity = "arn:aws:ses:us-east-1:123456789012:identity/orders@example.com"
    documents = [policy(allow("ses:SendEmail", identity, Condition={
        "StringEquals": {"ses:FromAddress": "orders@example.com"}}))]
    right = Request("ses:SendEmail", identity, (("ses:FromAddress", "orders@example.com"),))
    wrong = Request("ses:SendEmail", identity, (("ses:FromAddress", "other@example.com"),))
    assert evaluate(documents, right) is Decision.ALLOW
    assert evaluate(documents, wrong) is Decision.IMPLICIT_DENY


def test_condition_keys_are_case_insensitive_and_like_operators_take_wildcards():
    documents = [policy(allow("ses:SendEmail", "*", Condition={
        "StringLike": {"SES:fromaddress": "*@example.com"}}))]
    request = Request("ses:SendEmail", "*", (("ses:FromAddress", "a@example.com"),))
    assert evaluate(documents, request) is Decision.ALLOW


def test_a_missing_condition_key_fails_a_condition_unless_if_exists_or_negated():
    missing = Request("sqs:SendMessage", QUEUE)
    for operator, applies in [("StringEquals", False), ("StringEqualsIfExists", True),
                              ("StringNotEquals", True), ("ArnLike", False)]:
        documents = [policy(allow("sqs:SendMessage", QUEUE, Condition={
            operator: {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:alerts"}}))]
        expected = Decision.ALLOW if applies else Decision.IMPLICIT_DENY
        assert evaluate(documents, missing) is expected, operator


def test_an_operator_not_implemented_never_applies_and_is_reported():
    documents = [policy(allow("sqs:SendMessage", QUEUE, Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))]
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.IMPLICIT_DENY
    assert unsupported_operators(documents) == {"IpAddress"}


def test_a_single_statement_object_and_a_single_action_string_are_read():
    documents = [{"Version": "2012-10-17", "Statement": allow("sqs:SendMessage", QUEUE)}]
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.ALLOW
