"""SNS → Lambda subscriptions, run by the local cloud after moto accepted a Publish.

moto delivers SNS → SQS itself (under the queues' policies: `queue_subscriptions.py`); Lambda
subscriptions are kept out of moto (it would try to run the function itself) and recorded in
the registry. For each one on the published topic whose filter policy accepts the message, the
function is invoked asynchronously with the SNS event Lambda receives, if the function's policy
lets `sns.amazonaws.com` invoke it for this topic; else the message is dropped and counted in
`NumberOfNotificationsFailed`, as for a failed invoke. Filter policies are matched with moto's
own SNS matcher (attribute scope).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from typing import Any

from localcloud.core.clock import iso_millis
from localcloud.core.http import AfterForward, GatewayRequest, HttpResponse, RouteTable
from localcloud.core.ports import Cloud
from localcloud.core.registry import SnsLambdaSubscription

from .protocol import is_publish, publications
from .queue_subscriptions import SNS, QueueSubscriptions, accepts, count_failed

log = logging.getLogger("localcloud.sns_fanout")

# Signatures are made with a key of this process: present and well-formed, not verifiable.
_SIGNING_KEY = os.urandom(32)


def sns_message_attributes(attributes: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Message attributes in the `{name: {Type, Value}}` shape of SNS notifications, from the
    API shape (`DataType`, `StringValue`/`BinaryValue`) or already in that shape."""
    result = {}
    for name, value in (attributes or {}).items():
        if "Type" in value:
            result[name] = {"Type": value["Type"], "Value": value.get("Value", "")}
            continue
        text = value.get("StringValue")
        if text is None and "BinaryValue" in value:
            raw = value["BinaryValue"]
            text = base64.b64encode(raw).decode() if isinstance(raw, (bytes, bytearray)) else raw
        result[name] = {"Type": value.get("DataType", "String"), "Value": text or ""}
    return result


class SnsFanout:
    """Invokes the Lambda subscribers of a topic after each Publish."""

    def __init__(self, cloud: Cloud):
        self.cloud = cloud
        self.queues = QueueSubscriptions(cloud)

    def start(self) -> None:
        """Nothing runs between publishes."""

    def stop(self) -> None:
        """Nothing runs between publishes."""

    def routes(self) -> RouteTable:
        """moto answers Publish; each message it accepted is then fanned out to Lambda."""
        return RouteTable(after_forward=[AfterForward("sns:Publish", is_publish,
                                                      self._after_forwarded_publish)]
                          ).extend(self.queues.routes(is_publish))

    def _after_forwarded_publish(self, request: GatewayRequest, response: HttpResponse) -> None:
        for topic_arn, message, subject, attributes, message_id, structure in publications(
                request, response):
            try:
                self.after_publish(topic_arn, message, subject, attributes, message_id,
                                   message_structure=structure)
                self.queues.count_failures(request, topic_arn,
                                           sns_message_attributes(attributes), message)
            except Exception:  # the publish itself succeeded; report, don't fail it
                log.exception("SNS fan-out failed for %s", topic_arn)

    def after_publish(self, topic_arn: str, message: str, subject: str | None,
                      message_attributes: dict[str, Any] | None, message_id: str,
                      *, message_structure: str | None = None) -> list[str]:
        """Invoke every matching Lambda subscription; returns the subscription ARNs invoked.

        With `message_structure="json"` the message holds one text per protocol: the
        subscriber gets the `lambda` text, or the `default` one."""
        if message_structure == "json":
            texts = json.loads(message)
            message = texts.get("lambda", texts.get("default", ""))
        attributes = sns_message_attributes(message_attributes)
        invoked = []
        for subscription in list(self.cloud.registry.sns_lambda_subscriptions):
            if subscription.topic_arn != topic_arn or not self._accepts(subscription,
                                                                        attributes, message):
                continue
            if self.cloud.authorize_delivery(SNS, topic_arn, "lambda:InvokeFunction",
                                             subscription.function_arn):
                count_failed(self.cloud, topic_arn)
                continue
            event = self.event(subscription, message, subject, attributes, message_id)
            result = self.cloud.invoke(subscription.function_arn, json.dumps(event).encode(),
                                       invocation_type="Event")
            if result.status_code >= 300:
                log.warning("SNS could not invoke %s (status %d)", subscription.function_arn,
                            result.status_code)
                count_failed(self.cloud, topic_arn)
                continue
            invoked.append(subscription.subscription_arn)
        return invoked

    def event(self, subscription: SnsLambdaSubscription, message: str, subject: str | None,
              attributes: dict[str, dict[str, str]], message_id: str) -> dict:
        """The event Lambda receives from an SNS subscription."""
        region = self.cloud.region
        timestamp = iso_millis(self.cloud.clock.now())
        string_to_sign = "".join(f"{key}\n{value}\n" for key, value in (
            ("Message", message), ("MessageId", message_id),
            *((("Subject", subject),) if subject else ()), ("Timestamp", timestamp),
            ("TopicArn", subscription.topic_arn), ("Type", "Notification")))
        signature = hmac.new(_SIGNING_KEY, string_to_sign.encode(), hashlib.sha1).digest()
        return {"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription.subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": subscription.topic_arn,
                "Subject": subject or None,
                "Message": message,
                "Timestamp": timestamp,
                "SignatureVersion": "1",
                "Signature": base64.b64encode(signature).decode(),
                "SigningCertUrl": f"https://sns.{region}.amazonaws.com/"
                                  "SimpleNotificationService-localcloud.pem",
                "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                                  f"&SubscriptionArn={subscription.subscription_arn}",
                "MessageAttributes": attributes,
            },
        }]}

    @staticmethod
    def _accepts(subscription: SnsLambdaSubscription, attributes: dict, message: str) -> bool:
        return accepts(subscription.filter_policy, None, attributes, message)
