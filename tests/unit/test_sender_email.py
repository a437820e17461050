"""SES on a new account: the send grant in and out of the sandbox, and placeholder addresses
(a warning at preview of dev and prod, a refusal at `pulumi up` of prod)."""

import json
import logging

import pytest

from stack_settings import ConfigError, settings_from_config, undeliverable_addresses
from tests.unit.mocks import ACCOUNT, REGION, RecordingMocks, evaluate, stack_config
from tests.unit.order_graph import ROLE_POLICY, STACKS, role_id, ses_identity_arn, settings

SENDERS = ("send-email", "notify-customer")
REAL = {"order-platform:notifications": json.dumps({"senderEmail": "orders@mail.shop.eu"}),
        "order-platform:monitoring": json.dumps({"alarmEmail": "oncall@ops.shop.eu"})}


def send_statements(graph, function_name: str) -> list[dict]:
    return [s for p in graph.of_type(ROLE_POLICY) if p.inputs["role"] == role_id(graph,
                                                                                  function_name)
            for s in json.loads(p.inputs["policy"])["Statement"] if "ses:SendEmail" in s["Action"]]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", SENDERS)
def test_in_the_sandbox_the_grant_covers_recipient_identities_as_the_sender_only(graphs, stack,
                                                                                 name):
    email = settings(stack).notifications.sender_email
    [statement] = send_statements(graphs[stack], name)
    assert statement["Action"] == ["ses:SendEmail"]
    assert statement["Resource"] == [ses_identity_arn(email),
                                     f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/*"]
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": email}}


def test_out_of_the_sandbox_only_the_sender_identity():
    config = {**stack_config("dev"), "order-platform:notifications": json.dumps(
        {"senderEmail": "orders@mail.shop.eu", "sesSandbox": False})}
    graph = evaluate("dev", config)
    for name in SENDERS:
        [statement] = send_statements(graph, name)
        assert statement["Resource"] == [ses_identity_arn("orders@mail.shop.eu")]
        assert statement["Condition"] == {
            "StringEquals": {"ses:FromAddress": "orders@mail.shop.eu"}}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_placeholders_are_named_with_their_key_at_preview(stack):
    warnings = undeliverable_addresses(settings(stack), stack, preview=True)
    assert any("order-platform:notifications.senderEmail" in w for w in warnings)
    assert any("order-platform:monitoring.alarmEmail" in w for w in warnings)


def test_real_addresses_and_the_local_stack_need_no_warning():
    real = settings_from_config({**stack_config("prod"), **REAL})
    assert undeliverable_addresses(real, "prod", preview=False) == []
    assert undeliverable_addresses(settings("local"), "local", preview=False) == []


@pytest.mark.parametrize("address,placeholder", [
    ("a@example.com", True), ("a@shop.example.com", True), ("a@EXAMPLE.org", True),
    ("a@x.test", True), ("a@example.company.com", False), ("a@myexample.com", False)])
def test_placeholder_domains(address, placeholder):
    s = settings_from_config({"order-platform:notifications": json.dumps(
        {"senderEmail": address})})
    assert bool(undeliverable_addresses(s, "dev", preview=True)) is placeholder


def test_preview_of_prod_warns_through_the_engine(caplog):
    with caplog.at_level(logging.WARNING):
        graph = evaluate("prod")
    assert graph.resources
    assert any("order-platform:notifications.senderEmail" in r.getMessage()
               for r in caplog.records)


def test_up_of_prod_with_a_placeholder_is_refused_before_any_resource():
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as error:
        evaluate("prod", mocks=mocks, preview=False)
    assert "order-platform:notifications.senderEmail" in str(error.value)
    assert "order-platform:monitoring.alarmEmail" in str(error.value)
    assert mocks.resources == []


def test_up_of_prod_with_real_addresses_and_of_dev_proceed():
    prod = {**stack_config("prod")}
    prod["order-platform:notifications"] = REAL["order-platform:notifications"]
    monitoring = json.loads(prod["order-platform:monitoring"])
    prod["order-platform:monitoring"] = json.dumps({**monitoring,
                                                    "alarmEmail": "oncall@ops.shop.eu"})
    assert evaluate("prod", prod, preview=False).resources
    assert evaluate("dev", preview=False).resources
