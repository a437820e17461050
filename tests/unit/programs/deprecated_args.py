"""Program: a deprecated argument given through a typed Args class (which warns at once)."""

import pulumi_aws as aws

aws.cloudwatch.EventRule("deprecated-rule", args=aws.cloudwatch.EventRuleArgs(
    schedule_expression="rate(1 hour)", is_enabled=True))
