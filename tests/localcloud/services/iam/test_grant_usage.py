"""Grant usage: which (action, resource) grants of a role the recorded requests needed."""

from __future__ import annotations

from localcloud.services.iam.policy import Decision, Request, evaluate
from localcloud.services.iam.usage import Grant, GrantUsage, grants, without
from tests.localcloud.services.iam.policy_documents import QUEUE, TABLE, allow, policy


def unneeded(documents: list[dict], *requests: Request) -> set[tuple[str, str]]:
    usage = GrantUsage()
    for request in requests:
        usage.record("role", request)
    return {(grant.action, grant.resource) for grant in usage.unneeded("role", documents)}


def test_each_action_and_resource_of_a_statement_is_a_grant():
    documents = [policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], [TABLE, f"{TABLE}/index/*"]),
                        {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"})]
    assert list(grants(documents)) == [
        Grant(0, 0, "dynamodb:GetItem", TABLE), Grant(0, 0, "dynamodb:GetItem", f"{TABLE}/index/*"),
        Grant(0, 0, "dynamodb:PutItem", TABLE), Grant(0, 0, "dynamodb:PutItem", f"{TABLE}/index/*")]


def test_taking_a_grant_out_keeps_the_rest_of_its_statement():
    documents = [policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], [TABLE, QUEUE]))]
    taken = without(documents, Grant(0, 0, "dynamodb:PutItem", TABLE))
    assert evaluate(taken, Request("dynamodb:PutItem", TABLE)) is Decision.IMPLICIT_DENY
    for action, resource in (("dynamodb:GetItem", TABLE), ("dynamodb:GetItem", QUEUE),
                             ("dynamodb:PutItem", QUEUE)):
        assert evaluate(taken, Request(action, resource)) is Decision.ALLOW
    assert evaluate(documents, Request("dynamodb:PutItem", TABLE)) is Decision.ALLOW  # a copy


def test_a_grant_no_request_used_is_reported():
    documents = [policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], TABLE),
                        allow("sqs:SendMessage", QUEUE))]
    assert unneeded(documents, Request("dynamodb:GetItem", TABLE),
                    Request("sqs:SendMessage", QUEUE)) == {("dynamodb:PutItem", TABLE)}


def test_a_wildcard_grant_is_needed_by_the_requests_it_matches():
    documents = [policy(allow("dynamodb:Query", f"{TABLE}/index/*"))]
    assert unneeded(documents, Request("dynamodb:Query", f"{TABLE}/index/byStatus")) == set()
    assert unneeded(documents, Request("dynamodb:Query", TABLE)) == {
        ("dynamodb:Query", f"{TABLE}/index/*")}  # denied anyway: the grant serves nothing


def test_two_grants_allowing_the_same_request_are_each_unneeded():
    documents = [policy(allow("sqs:SendMessage", QUEUE)), policy(allow("sqs:*", QUEUE))]
    assert unneeded(documents, Request("sqs:SendMessage", QUEUE)) == {
        ("sqs:SendMessage", QUEUE), ("sqs:*", QUEUE)}


def test_a_grant_keeps_its_condition():
    documents = [policy(allow("ses:SendEmail", "*", Condition={
        "StringEquals": {"ses:FromAddress": "orders@example.com"}}))]
    sent = Request("ses:SendEmail", "*", (("ses:FromAddress", "orders@example.com"),))
    assert unneeded(documents, sent) == set()
