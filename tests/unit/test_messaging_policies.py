"""Key, topic and queue policies: service principals act only for this account's sources."""

import json

import pytest

from tests.unit.mocks import ACCOUNT, REGION
from tests.unit.order_graph import QUEUE_POLICY, STACKS, TOPIC_POLICY

KEY = "aws:kms/key:Key"


def _service_statements(document: dict):
    return [s for s in document["Statement"] if "Service" in s.get("Principal", {})]


@pytest.mark.parametrize("stack", STACKS)
def test_the_key_serves_only_this_accounts_alarms_rules_and_topics(graphs, stack):
    (key,) = graphs[stack].of_type(KEY)
    statements = {s["Principal"]["Service"]: s["Condition"]
                  for s in _service_statements(json.loads(key.inputs["policy"]))}
    assert set(statements) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    own_topics = {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:*"}
    assert statements["cloudwatch.amazonaws.com"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
        "StringLike": own_topics}
    assert statements["events.amazonaws.com"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
        "ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/*"},
        "StringLike": own_topics}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("typ", [QUEUE_POLICY, TOPIC_POLICY])
def test_topic_and_queue_policies_name_the_source_and_its_account(graphs, stack, typ):
    holders = graphs[stack].of_type(typ)
    assert holders
    for holder in holders:
        for statement in _service_statements(json.loads(holder.inputs["policy"])):
            condition = statement["Condition"]
            sources = condition["ArnEquals"]["aws:SourceArn"]
            assert sources and all(f":{ACCOUNT}:" in arn for arn in sources)
            assert condition["StringEquals"] == {"aws:SourceAccount": [ACCOUNT]}
