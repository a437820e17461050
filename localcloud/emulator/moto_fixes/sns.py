"""Fix to moto's SNS → SQS delivery: moto delivers to every SQS subscription inside Publish,
whatever the queue's policy. The local cloud evaluates the queue policies before it forwards a
Publish and names the subscriptions the policy denies in the `X-Localcloud-Skip-Subscriptions`
header (comma-separated subscription ARNs); moto then delivers to the others only."""

from __future__ import annotations

import functools
import threading

from localcloud.core.http import SKIP_SUBSCRIPTIONS_HEADER

_publishing = threading.local()  # the subscriptions the current Publish must not deliver to


def skip_denied_subscriptions() -> None:
    """Make moto's Publish/PublishBatch leave out the subscriptions the header names."""
    from moto.sns.models import Subscription
    from moto.sns.responses import SNSResponse

    if getattr(Subscription, "_localcloud_skips", False):
        return

    def reading_header(action):
        @functools.wraps(action)
        def publish(self):
            named = self.headers.get(SKIP_SUBSCRIPTIONS_HEADER) or ""
            _publishing.skip = set(filter(None, named.split(",")))
            try:
                return action(self)
            finally:
                _publishing.skip = set()
        return publish

    deliver = Subscription.publish

    @functools.wraps(deliver)
    def publish_unless_skipped(self, *args, **kwargs):
        if self.arn not in getattr(_publishing, "skip", ()):
            return deliver(self, *args, **kwargs)
        return None

    SNSResponse.publish = reading_header(SNSResponse.publish)
    SNSResponse.publish_batch = reading_header(SNSResponse.publish_batch)
    Subscription.publish = publish_unless_skipped
    Subscription._localcloud_skips = True
