"""SNS → SQS under the queues' policies: a queue whose policy does not let the topic send to it
gets nothing, and the topic's `NumberOfNotificationsFailed` metric counts the drop, as on AWS.

moto delivers to SQS subscriptions itself, inside Publish. Before a Publish is forwarded, each
SQS subscription of the topic is authorized (`sqs:SendMessage` for `sns.amazonaws.com` with
`aws:SourceArn` = the topic, through the `Cloud` port); the denied ones are named in the
`X-Localcloud-Skip-Subscriptions` header, which the moto fix (`emulator/moto_fixes/sns.py`) honours.
After moto accepted it, every message a denied subscription's filter policy would have let
through counts once in `NumberOfNotificationsFailed` (namespace `AWS/SNS`, dimension
`TopicName`). The topics' SQS subscriptions (and their filter policies) are read from moto once
and read again after a Subscribe, Unsubscribe, SetSubscriptionAttributes or topic write seen at
the gateway.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from botocore.exceptions import ClientError
from moto.sns.utils import FilterPolicyMatcher

from localcloud.core.arns import Arn
from localcloud.core.faults import action_of
from localcloud.core.http import (SKIP_SUBSCRIPTIONS_HEADER as SKIP_HEADER, AfterForward,
                                  BeforeForward, GatewayRequest, RouteTable)
from localcloud.core.pagination import all_items
from localcloud.core.ports import Cloud

log = logging.getLogger("localcloud.sns_queues")

SNS = "sns.amazonaws.com"  # the principal SNS delivers as
# SNS writes after which the cached subscriptions may be stale.
_SUBSCRIPTION_WRITES = {"Subscribe", "Unsubscribe", "SetSubscriptionAttributes", "CreateTopic",
                        "DeleteTopic"}


@functools.lru_cache(maxsize=256)
def filter_matcher(filter_policy: str, scope: str | None = None) -> FilterPolicyMatcher:
    """moto's SNS filter policy matcher (scope MessageAttributes by default, or MessageBody)."""
    return FilterPolicyMatcher(json.loads(filter_policy), scope)


def accepts(filter_policy: str | None, scope: str | None, attributes: dict,
            message: str) -> bool:
    """Whether a subscription's filter policy lets a message through (no policy: yes)."""
    if not filter_policy:
        return True
    try:
        return filter_matcher(filter_policy, scope).matches(attributes, message)
    except (ValueError, FilterPolicyMatcher.CheckException):
        log.warning("invalid filter policy %s: nothing delivered", filter_policy)
        return False


def count_failed(cloud: Cloud, topic_arn: str, count: int = 1) -> None:
    """`NumberOfNotificationsFailed` for the topic, as SNS records an undelivered message."""
    telemetry = getattr(cloud, "telemetry", None)
    if telemetry is not None and count:
        telemetry.metric("AWS/SNS", "NumberOfNotificationsFailed", count, "Count",
                         {"TopicName": Arn.parse(topic_arn).resource_name})


@dataclass(frozen=True)
class QueueSubscription:
    arn: str
    queue_arn: str
    filter_policy: str | None = None
    filter_scope: str | None = None


def published_topic(request: GatewayRequest) -> str | None:
    """The topic ARN of a Publish/PublishBatch request, in either protocol."""
    if request.header("X-Amz-Target"):
        body = json.loads(request.body or b"{}")
        return body.get("TopicArn") or body.get("TargetArn")
    form = parse_qs(request.body.decode(errors="replace"))
    return (form.get("TopicArn") or form.get("TargetArn") or [None])[0]


class QueueSubscriptions:
    """Names the denied SQS subscriptions of each Publish and counts what they lose."""

    def __init__(self, cloud: Cloud):
        self.cloud = cloud
        self._subscriptions: dict[str, list[QueueSubscription]] = {}

    def routes(self, is_publish) -> RouteTable:
        return RouteTable(
            before_forward=[BeforeForward("sns:Publish queue policies", is_publish,
                                          self._name_denied)],
            after_forward=[AfterForward("sns subscription writes", _is_subscription_write,
                                        lambda request, response: self.invalidate())])

    def invalidate(self) -> None:
        self._subscriptions.clear()

    def denied(self, request: GatewayRequest) -> list[QueueSubscription]:
        """The subscriptions the last hook named on this request."""
        named = set(filter(None, (request.header(SKIP_HEADER) or "").split(",")))
        topic = published_topic(request) if named else None
        return [s for s in self.of_topic(topic) if s.arn in named] if topic else []

    def count_failures(self, request: GatewayRequest, topic_arn: str, attributes: dict,
                       message: str) -> None:
        """One failed notification per denied subscription that would have taken `message`."""
        count_failed(self.cloud, topic_arn, sum(
            1 for s in self.denied(request)
            if accepts(s.filter_policy, s.filter_scope, attributes, message)))

    def of_topic(self, topic_arn: str) -> list[QueueSubscription]:
        # One dict operation at a time is atomic: a concurrent read at worst reads twice.
        cached = self._subscriptions.get(topic_arn)
        if cached is None:
            cached = self._subscriptions[topic_arn] = self._read(topic_arn)
        return cached

    def _name_denied(self, request: GatewayRequest) -> None:
        topic = published_topic(request)
        if not topic:
            return
        denied = [s.arn for s in self.of_topic(topic) if self.cloud.authorize_delivery(
            SNS, topic, "sqs:SendMessage", s.queue_arn)]
        if denied:
            log.info("SNS %s: not delivered to %s (queue policy)", topic, ", ".join(denied))
            request.headers.append((SKIP_HEADER, ",".join(denied)))

    def _read(self, topic_arn: str) -> list[QueueSubscription]:
        sns = self.cloud.aws("sns")
        try:
            listed = all_items(sns, "list_subscriptions_by_topic", "Subscriptions",
                               TopicArn=topic_arn)
        except ClientError:  # no such topic: moto answers the Publish
            return []
        found = []
        for subscription in listed:
            if subscription.get("Protocol") != "sqs" or ":" not in subscription[
                    "SubscriptionArn"]:  # "PendingConfirmation" has no ARN yet
                continue
            attributes = sns.get_subscription_attributes(
                SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
            found.append(QueueSubscription(subscription["SubscriptionArn"],
                                           subscription["Endpoint"],
                                           attributes.get("FilterPolicy") or None,
                                           attributes.get("FilterPolicyScope")))
        return found


def _is_subscription_write(request: GatewayRequest) -> bool:
    named = action_of(request)
    return bool(named and named[0] == "sns" and named[1] in _SUBSCRIPTION_WRITES)
