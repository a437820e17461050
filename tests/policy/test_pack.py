"""The pulumi_policy side: the adapter in-process, then the real pack over its gRPC interface
(as the Pulumi engine runs it), without a Pulumi CLI or cloud account."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (EnforcementLevel, PolicyProviderResource, PolicyResource,
                           PolicyResourceOptions, PolicyCustomTimeouts, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from order_policies import RULES
from order_policies.pack import PACK_NAME, policies, to_resource

from tests.policy.conftest import POLICY_DIR, with_unknowns_as

PROD_TAGS = json.dumps({"tags": {"project": "order-platform", "environment": "prod"}})
FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders-send-email"


def test_rules_import_without_pulumi_policy():
    code = ("import sys, order_policies; "
            "sys.exit(1 if 'pulumi_policy' in sys.modules else 0)")
    subprocess.run([sys.executable, "-c", code], cwd=POLICY_DIR, check=True)


def test_one_policy_per_rule():
    built = policies()
    assert [p.name for p in built] == [r.name for r in RULES]
    for policy, rule in zip(built, RULES):
        assert isinstance(policy, StackValidationPolicy if rule.stack else
                          ResourceValidationPolicy)
        assert policy.enforcement_level == EnforcementLevel.MANDATORY


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _policy(name: str):
    return next(p for p in policies() if p.name == name)


def test_resource_policy_reads_environment_from_the_provider():
    provider = PolicyProviderResource("pulumi:providers:aws",
                                      unknown_checking_proxy({"defaultTags": PROD_TAGS}),
                                      "urn:provider", "default_7_51_1")
    props = unknown_checking_proxy({"deletionProtectionEnabled": False,
                                    "pointInTimeRecovery": {"enabled": True},
                                    "name": UNKNOWN_STRING_VALUE})
    args = ResourceValidationArgs("aws:dynamodb/table:Table", props, "urn:table", "orders",
                                  _options(), provider)
    messages = []
    _policy("dynamodb-production-protection").validate(
        args, lambda message, urn=None: messages.append(message))
    assert len(messages) == 1 and "'orders'" in messages[0] and "deletion" in messages[0]


def test_unknown_values_do_not_abort_a_resource_policy():
    props = unknown_checking_proxy({"policy": UNKNOWN_STRING_VALUE})
    args = ResourceValidationArgs("aws:iam/rolePolicy:RolePolicy", props, "urn:p", "p",
                                  _options(), None)
    messages = []
    _policy("iam-no-wildcard-actions").validate(args, lambda m, urn=None: messages.append(m))
    assert messages == []


def test_stack_policy_follows_property_dependencies_and_reports_the_urn():
    function = PolicyResource("aws:lambda/function:Function",
                              unknown_checking_proxy({"name": "orders-send-email",
                                                      "arn": UNKNOWN_STRING_VALUE}),
                              "urn:function", "send-email", _options(), None, None, [], {})
    target = PolicyResource("aws:cloudwatch/eventTarget:EventTarget",
                            unknown_checking_proxy({"arn": UNKNOWN_STRING_VALUE}),
                            "urn:target", "send-email-target", _options(), None, None,
                            [function], {"arn": [function]})
    reported = []
    _policy("async-invoke-failure-destination").validate(
        StackValidationArgs([function, target]),
        lambda message, urn=None: reported.append((message, urn)))
    assert len(reported) == 1
    message, urn = reported[0]
    assert urn == "urn:target" and "orders-send-email" in message


# -- the real pack, over gRPC -------------------------------------------------------------

@pytest.fixture(scope="module")
def analyzer():
    """Run the pack as the engine does (`python -m pulumi.policy <engine> <pack dir>`); it
    prints its port, then serves until stopped."""
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0",
                                str(POLICY_DIR)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    port: list[str] = []
    reader = threading.Thread(target=lambda: port.append(process.stdout.readline().strip()))
    reader.start()
    reader.join(timeout=60)
    try:
        assert port and port[0].isdigit(), (
            f"the pack did not start: {process.stderr.read() if process.poll() else 'timeout'}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port[0]}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def test_pack_lists_every_rule_as_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert sorted(p.name for p in info.policies) == sorted(r.name for r in RULES)
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


def test_pack_reports_a_broken_resource(analyzer):
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="aws:sqs/queue:Queue", name="plain-queue", urn="urn:queue",
        properties=_struct({"name": UNKNOWN_STRING_VALUE})))
    diagnostics = [(d.policyName, d.message) for d in response.diagnostics]
    assert any(name == "sqs-encryption" and "'plain-queue'" in message
               for name, message in diagnostics), diagnostics


def test_pack_reports_a_service_principal_without_source_condition(analyzer):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:dlq"}]})
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="aws:sqs/queuePolicy:QueuePolicy", name="open-dlq-policy", urn="urn:qp",
        properties=_struct({"policy": policy, "queueUrl": UNKNOWN_STRING_VALUE})))
    diagnostics = [(d.policyName, d.message) for d in response.diagnostics]
    assert any(name == "service-principal-source-condition" and "'open-dlq-policy'" in message
               and "events.amazonaws.com" in message for name, message in diagnostics), \
        diagnostics


def test_pack_reports_a_broken_stack(analyzer):
    target = analyzer_pb2.AnalyzerResource(
        type="aws:cloudwatch/eventTarget:EventTarget", name="send-email-target",
        urn="urn:target", properties=_struct({"arn": FN_ARN,
                                              "deadLetterConfig": {"arn": "arn:aws:sqs:x"}}))
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[target]))
    found = [(d.policyName, d.urn) for d in response.diagnostics]
    assert ("async-invoke-failure-destination", "urn:target") in found, found


# -- the adapter over the program's mocked graph ------------------------------------------

def _as_engine_passes_them(stacks_graph, stack: str):
    """Resource args (inputs) and stack resources (outputs) as pulumi_policy builds them."""
    from tests.unit.mocks import stack_config

    provider = PolicyProviderResource(
        "pulumi:providers:aws", unknown_checking_proxy(
            {"region": "eu-west-1", "defaultTags": stack_config(stack)["aws:defaultTags"]}),
        f"urn:pulumi:{stack}::order-platform::pulumi:providers:aws::default", "default")
    args, resources = [], []
    for r in stacks_graph.resources:
        urn = f"urn:pulumi:{stack}::order-platform::{r.type}::{r.name}"
        inputs = with_unknowns_as(dict(r.inputs), UNKNOWN_STRING_VALUE)
        args.append(ResourceValidationArgs(r.type, unknown_checking_proxy(inputs), urn,
                                           r.name, _options(), provider))
        resources.append(PolicyResource(r.type, unknown_checking_proxy(
            {**with_unknowns_as(r.outputs, UNKNOWN_STRING_VALUE), **inputs}), urn, r.name, _options(), provider, None,
            [], {}))
    return args, resources


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_policy_passes_on_the_program_through_the_adapter(stack):
    from tests.unit.mocks import evaluate

    args, resources = _as_engine_passes_them(evaluate(stack), stack)
    # Not vacuous: the adapter finds the environment in the provider's default tags.
    first = args[0]
    assert to_resource(first.resource_type, first.name, first.urn, first.props,
                       first.provider).environment == stack
    reported = []
    for policy in policies():
        report = lambda message, urn=None, _name=policy.name: reported.append((_name, message))
        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources), report)
        else:
            for resource_args in args:
                policy.validate(resource_args, report)
    assert reported == []
