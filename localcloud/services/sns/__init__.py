"""SNS → Lambda subscriptions, run after moto accepted a Publish."""
