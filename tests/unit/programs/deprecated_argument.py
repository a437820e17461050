"""Program: one EventBridge rule with the deprecated `is_enabled` (pulumi_aws v7: `state`)."""

import pulumi_aws as aws

aws.cloudwatch.EventRule("deprecated-rule", schedule_expression="rate(1 hour)", is_enabled=True)
