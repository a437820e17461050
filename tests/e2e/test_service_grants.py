"""Every grant the program gives an AWS service is enough and needed: checks generated from the
deployed `local` stack, so a new grant or a new wiring gets its check for free.

The deliveries the wiring needs are read from the deployment: each rule target and its DLQ
(EventBridge), each REST API Lambda integration (API Gateway), each SNS subscription to a queue
or function (SNS), each alarm action (CloudWatch). The grants are read from the resources'
policies: each Lambda permission, each service statement of a queue, topic or key policy.
With every grant in place every delivery is allowed; with one grant removed through the AWS API
(`lambda remove-permission`, `set-queue-attributes`, `set-topic-attributes`, `put-key-policy`:
live, no restart) at least one delivery is denied, and once it is put back none is.

A local cloud of its own: the removals deny deliveries on purpose, which the session's cloud
must never see (`grants_are_enough`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from localcloud.core.arns import Arn, function_ref
from localcloud.core.clients import local_client
from localcloud.core.delivery import TARGET_ACTIONS
from localcloud.core.pagination import all_items
from tests.cloud_session import module_cloud_fixture
from tests.e2e.conftest import ROOT, TIME_SCALE

ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
DEFAULT_TOPIC_STATEMENT = "__default_statement_ID"  # SNS's own, not the program's


@dataclass(frozen=True)
class Delivery:
    """What a service does for a source, as `Cloud.authorize_delivery` takes it."""

    service: str
    source_arn: str
    action: str
    resource: str


@dataclass
class Grant:
    """One statement of a resource's policy for a service, with how to remove and restore it."""

    name: str
    remove: Callable[[], None]
    restore: Callable[[], None]


cloud = module_cloud_fixture(str(ROOT), "grants-cloud", time_scale=TIME_SCALE)


@pytest.fixture(scope="module")
def client(cloud):
    """client("sqs"): through the gateway, so the writes reach the policies' readers live."""
    return lambda service: local_client(service, cloud.endpoint_url, cloud.region)


# -- the deliveries the wiring needs ----------------------------------------------------------

def rule_deliveries(client) -> list[Delivery]:
    events, found = client("events"), []
    for bus in all_items(events, "list_event_buses", "EventBuses"):
        for rule in all_items(events, "list_rules", "Rules", EventBusName=bus["Name"]):
            for target in all_items(events, "list_targets_by_rule", "Targets",
                                    Rule=rule["Name"], EventBusName=bus["Name"]):
                action = TARGET_ACTIONS.get(Arn.parse(target["Arn"]).service)
                if action:
                    found.append(Delivery("events.amazonaws.com", rule["Arn"], action,
                                          target["Arn"]))
                if (target.get("DeadLetterConfig") or {}).get("Arn"):
                    found.append(Delivery("events.amazonaws.com", rule["Arn"],
                                          "sqs:SendMessage", target["DeadLetterConfig"]["Arn"]))
    return found


def api_deliveries(client, region: str, account: str) -> list[Delivery]:
    apigw, found = client("apigateway"), []
    for api in all_items(apigw, "get_rest_apis", "items"):
        stages = [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]]
        for resource in all_items(apigw, "get_resources", "items", restApiId=api["id"]):
            # the path of a request to this resource: any value for each {param}
            path = "/".join("x" if part.startswith("{") else part
                            for part in resource["path"].strip("/").split("/"))
            for method in resource.get("resourceMethods") or {}:
                uri = apigw.get_integration(restApiId=api["id"], resourceId=resource["id"],
                                            httpMethod=method).get("uri") or ""
                if "/functions/" not in uri:
                    continue
                function = uri.split("/functions/", 1)[1].removesuffix("/invocations")
                found += [Delivery("apigateway.amazonaws.com",
                                   f"arn:aws:execute-api:{region}:{account}:{api['id']}/"
                                   f"{stage}/{method}/{path}", "lambda:InvokeFunction", function)
                          for stage in stages]
    return found


def subscription_deliveries(client) -> list[Delivery]:
    sns, found = client("sns"), []
    for topic in all_items(sns, "list_topics", "Topics"):
        for subscription in all_items(sns, "list_subscriptions_by_topic", "Subscriptions",
                                      TopicArn=topic["TopicArn"]):
            action = TARGET_ACTIONS.get(subscription["Protocol"])
            if action:
                found.append(Delivery("sns.amazonaws.com", topic["TopicArn"], action,
                                      subscription["Endpoint"]))
    return found


def alarm_deliveries(client) -> list[Delivery]:
    return [Delivery("cloudwatch.amazonaws.com", alarm["AlarmArn"], "sns:Publish", arn)
            for alarm in all_items(client("cloudwatch"), "describe_alarms", "MetricAlarms")
            for key in ALARM_ACTIONS for arn in alarm.get(key) or [] if ":sns:" in arn]


@pytest.fixture(scope="module")
def deliveries(cloud, client) -> list[Delivery]:
    found = [*rule_deliveries(client), *api_deliveries(client, cloud.region, cloud.account_id),
             *subscription_deliveries(client), *alarm_deliveries(client)]
    assert found, "the deployment wires no service to anything"
    return found


# -- the grants of the resources' policies ----------------------------------------------------

def service_statements(document: dict | None) -> list[dict]:
    return [s for s in (document or {}).get("Statement", [])
            if "Service" in (s.get("Principal") or {}) and s.get("Sid") != DEFAULT_TOPIC_STATEMENT]


def lambda_grants(client) -> list[Grant]:
    lam, grants = client("lambda"), []
    for function in all_items(lam, "list_functions", "Functions"):
        try:
            document = json.loads(lam.get_policy(FunctionName=function["FunctionName"])["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            continue
        for statement in service_statements(document):
            grants.append(_permission(lam, function["FunctionName"], statement))
    return grants


def _permission(lam: Any, name: str, statement: dict) -> Grant:
    qualifier = function_ref(statement["Resource"])[1]
    source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
    return Grant(
        f"lambda permission {statement['Sid']} of {name}",
        remove=lambda: lam.remove_permission(FunctionName=name, StatementId=statement["Sid"]),
        restore=lambda: lam.add_permission(
            FunctionName=name, StatementId=statement["Sid"], Action=statement["Action"],
            Principal=statement["Principal"]["Service"],
            **({"SourceArn": source} if source else {}),
            **({"Qualifier": qualifier} if qualifier else {})))


def policy_grants(kind: str, resources: list[str], read: Callable[[str], str | None],
                  write: Callable[[str, str], None]) -> list[Grant]:
    """A grant per service statement of each resource's policy document (read, write: text)."""
    grants = []
    for resource in resources:
        text = read(resource)
        document = json.loads(text) if text else None
        for statement in service_statements(document):
            rest = [s for s in document["Statement"] if s is not statement]
            grants.append(Grant(
                f"{kind} statement {statement.get('Sid', statement['Principal'])} of {resource}",
                # an empty statement list where it was the only one: SNS refuses ""
                remove=lambda r=resource, rest=rest, d=document: write(
                    r, json.dumps({**d, "Statement": rest})),
                restore=lambda r=resource, t=text: write(r, t)))
    return grants


@pytest.fixture(scope="module")
def grants(client) -> list[Grant]:
    sqs, sns, kms = client("sqs"), client("sns"), client("kms")
    found = [
        *lambda_grants(client),
        *policy_grants(
            "queue policy", sqs.list_queues().get("QueueUrls", []),
            lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
            .get("Attributes", {}).get("Policy"),
            lambda url, text: sqs.set_queue_attributes(QueueUrl=url,
                                                       Attributes={"Policy": text})),
        *policy_grants(
            "topic policy", [t["TopicArn"] for t in all_items(sns, "list_topics", "Topics")],
            lambda arn: sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy"),
            lambda arn, text: sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                                       AttributeValue=text)),
        *policy_grants(
            "key policy", [k["KeyArn"] for k in all_items(kms, "list_keys", "Keys")],
            lambda arn: kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"],
            lambda arn, text: kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=text)),
    ]
    assert found, "the deployment grants no service anything"
    return found


def denied(cloud, deliveries: list[Delivery]) -> list[tuple[Delivery, str]]:
    return [(d, message) for d in deliveries
            if (message := cloud.authorize_delivery(d.service, d.source_arn, d.action,
                                                    d.resource))]


def test_the_program_s_grants_allow_every_delivery_its_wiring_needs(cloud, deliveries):
    assert cloud.iam.mode == "enforce"
    assert denied(cloud, deliveries) == []


def test_every_grant_is_needed_and_its_removal_is_seen_live(cloud, deliveries, grants):
    unneeded, not_restored = [], []
    for grant in grants:
        grant.remove()
        try:
            if not denied(cloud, deliveries):
                unneeded.append(grant.name)
        finally:
            grant.restore()
        if denied(cloud, deliveries):
            not_restored.append(grant.name)
    assert unneeded == [], "grants no delivery of the wiring needs"
    assert not_restored == []
